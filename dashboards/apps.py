from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    name = "dashboards"
    label = "panlearn_dashboards"
    verbose_name = "Dashboards"
