"""python manage.py exercises requeue: grade again what a dead worker or a down runner left behind."""

from django.core.management.base import BaseCommand

from exercises.submissions import requeue_stale


class Command(BaseCommand):
    help = "Exercise maintenance. requeue: submissions left grading or queued for over 5 minutes are graded again."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["requeue"])

    def handle(self, *args, **options):
        count = requeue_stale()
        self.stdout.write(f"{count} submission(s) queued again for grading.")
