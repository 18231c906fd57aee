from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    label = "panlearn_accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from tracking import identity

        from . import signals  # noqa: F401  (receivers)
        from .selectors import confirmed_email_of

        identity.use_confirmed_email_lookup(confirmed_email_of)
