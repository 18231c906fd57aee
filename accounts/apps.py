from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    label = "panlearn_accounts"
    verbose_name = "Accounts"
