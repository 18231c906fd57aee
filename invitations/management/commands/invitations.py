"""`manage.py invitations remind`: reminders before experiments and before expiry, and invitation emails
that failed to go out (run daily from cron or a timer; `--enqueue` hands the same work to the task worker)."""

from django.core.management.base import BaseCommand

from invitations.reminders import reminders_send
from invitations.tasks import send_reminders


class Command(BaseCommand):
    help = "Bulk invitations: 'remind' sends the reminders that are due (each once) and retries unsent invitations."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{remind}")
        remind = actions.add_parser("remind", help="send due reminders and retry invitation emails that failed")
        remind.add_argument("--enqueue", action="store_true", help="queue the send_reminders task instead")

    def handle(self, *args, action: str, **options):
        if options.get("enqueue"):
            result = send_reminders.enqueue()
            self.stdout.write(f"Queued send_reminders ({result.id}).")
            return
        report = reminders_send()
        self.stdout.write(
            f"{report.start} reminder(s) before experiments, {report.expiry} before expiry, "
            f"{report.invitations} invitation(s) sent."
        )
