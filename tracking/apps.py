from django.apps import AppConfig


class TrackingConfig(AppConfig):
    name = "tracking"
    label = "panlearn_tracking"
    verbose_name = "Learning records"
