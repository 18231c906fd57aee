from django.apps import AppConfig


class UserOfficeConfig(AppConfig):
    name = "useroffice"
    label = "panlearn_useroffice"
    verbose_name = "User-office export"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (passes and expiries fire the facility's webhook)
