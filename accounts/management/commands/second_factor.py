"""`manage.py second_factor reset <username>`: for a lost phone, the account's authenticator and backup
codes go, and its next admin visit asks it to set up a new authenticator (after its password).
`manage.py second_factor status <username>` tells whether one is set up."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from accounts.second_factor import second_factor_enabled, second_factor_reset


class Command(BaseCommand):
    help = "The admin's two-step sign-in of one account: status, or reset (a lost phone)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["status", "reset"])
        parser.add_argument("username")

    def handle(self, *args, action: str, username: str, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No account is called {username!r}.")
        if action == "status":
            state = "set up" if second_factor_enabled(user) else "not set up"
            self.stdout.write(f"{username}: two-step sign-in {state}.")
        else:
            removed = second_factor_reset(user)
            self.stdout.write(f"{username}: {removed} device(s) removed; the next admin visit sets up a new one.")
