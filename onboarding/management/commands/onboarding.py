"""`manage.py onboarding tick`: record expired training (run daily, or hourly, from cron or a timer).
`manage.py onboarding evaluate [--programme ID]`: record passes earned before a programme existed."""

from django.core.management.base import BaseCommand, CommandError

from onboarding.models import Programme
from onboarding.services import expiry_sweep, programme_evaluate_all


class Command(BaseCommand):
    help = "Facility onboarding: 'tick' records expired programme passes; 'evaluate' records passes already earned."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{tick,evaluate}")
        actions.add_parser("tick", help="record every programme pass whose validity has ended (xAPI 'expired')")
        evaluate = actions.add_parser("evaluate", help="record passes users already hold (all programmes or one)")
        evaluate.add_argument("--programme", type=int, help="the programme's id")

    def handle(self, *args, action: str, **options):
        if action == "tick":
            self.stdout.write(f"{expiry_sweep()} expired pass(es) recorded.")
            return
        programmes = Programme.objects.all()
        if options.get("programme"):
            programmes = programmes.filter(pk=options["programme"])
            if not programmes.exists():
                raise CommandError(f"No programme with id {options['programme']}.")
        total = sum(programme_evaluate_all(programme=programme) for programme in programmes)
        self.stdout.write(f"{total} pass(es) or renewal(s) recorded.")
