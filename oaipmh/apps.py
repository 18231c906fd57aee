from django.apps import AppConfig


class OaiPmhConfig(AppConfig):
    name = "oaipmh"
    label = "panlearn_oaipmh"
    verbose_name = "Catalogue harvesting (OAI-PMH)"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import signals  # noqa: F401
