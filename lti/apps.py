from django.apps import AppConfig


class LtiConfig(AppConfig):
    name = "lti"
    label = "panlearn_lti"
    verbose_name = "LTI 1.3 tool"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import signals  # noqa: F401
