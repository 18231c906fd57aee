"""`manage.py tracking deliver`: drain the outbox now (cron fallback for a backend without deferred tasks)."""

from django.core.management.base import BaseCommand

from tracking.delivery import deliver_all


class Command(BaseCommand):
    help = "xAPI outbox: 'deliver' sends every due statement to every target."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{deliver}")
        deliver = actions.add_parser("deliver", help="send every due statement to every target")
        deliver.add_argument("--max-seconds", type=float, default=300.0)

    def handle(self, *args, action: str, **options):
        for name, report in deliver_all(max_seconds=options["max_seconds"]).items():
            self.stdout.write(
                f"{name}: {report.delivered} delivered, {report.retried} to retry, {report.dead} dead-lettered"
            )
