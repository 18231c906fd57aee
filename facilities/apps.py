from django.apps import AppConfig


class FacilitiesConfig(AppConfig):
    name = "facilities"
    label = "panlearn_facilities"
    verbose_name = "Facilities"
    default_auto_field = "django.db.models.BigAutoField"
