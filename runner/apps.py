from django.apps import AppConfig


class RunnerConfig(AppConfig):
    name = "runner"
    label = "panlearn_runner"
    verbose_name = "Kernel runner"

    def ready(self):
        from . import checks  # noqa: F401  registers the settings checks
