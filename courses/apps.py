from django.apps import AppConfig


class CoursesConfig(AppConfig):
    name = "courses"
    label = "panlearn_courses"
    verbose_name = "Courses"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import signals  # noqa: F401
