from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    label = "panlearn_accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (receivers)
