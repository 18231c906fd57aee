from django.apps import AppConfig


class TrackingConfig(AppConfig):
    name = "tracking"
    label = "panlearn_tracking"
    verbose_name = "Learning records"

    def ready(self) -> None:
        from .store import receivers  # noqa: F401  attachment files go with their last statement
