from django.apps import AppConfig


class OnboardingConfig(AppConfig):
    name = "onboarding"
    label = "panlearn_onboarding"
    verbose_name = "Onboarding"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from exercises.access import register_manager_rule

        from . import signals  # noqa: F401  (receivers: grades, overrides and lessons feed completions)
        from .selectors import assessments_staffed_by

        register_manager_rule(assessments_staffed_by)
