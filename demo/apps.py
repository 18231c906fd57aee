from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo site's content and its loader: the top of the house, it builds through every app's services."""

    name = "demo"
    label = "panlearn_demo"
    verbose_name = "Demo content"
