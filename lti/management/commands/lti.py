"""`manage.py lti rotate-key` (a new key signs; the old one stays published for the grace period),
`lti retry` (queue score posts still pending) and `lti sync-rosters` (queue every placed course's roster)."""

from django.core.management.base import BaseCommand

from lti.keys import key_rotate
from lti.scores import pending_deliveries_retry
from lti.selectors import contexts_with_roster
from lti.tasks import sync_roster


class Command(BaseCommand):
    help = "LTI tool upkeep: rotate-key, retry, sync-rosters."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["rotate-key", "retry", "sync-rosters"])

    def handle(self, *args, action: str, **options):
        if action == "rotate-key":
            key = key_rotate()
            self.stdout.write(f"Key {key.kid} signs from now on; the old one stays published a while.")
        elif action == "retry":
            self.stdout.write(f"Queued {pending_deliveries_retry()} pending score deliveries.")
        else:
            contexts = contexts_with_roster()
            for context in contexts:
                sync_roster.enqueue(context.pk)
            self.stdout.write(f"Queued {len(contexts)} roster syncs.")
