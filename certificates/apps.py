from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    name = "certificates"
    label = "panlearn_certificates"
    verbose_name = "Certificates"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (a recorded pass issues its certificate)
