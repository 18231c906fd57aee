"""`manage.py tracking deliver`: drain the outbox now (cron fallback for a backend without deferred tasks).
`manage.py tracking erase --user <username or id> --reason "..."`: erase a user's learning records (GDPR).
`manage.py tracking ref-chains`: build the built-in store's StatementRef chains again (after an upgrade,
for statements that a server still running the earlier code stored while the migration ran)."""

import json

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from tracking.delivery import deliver_all
from tracking.erasure import erase_statements, erasure_plan
from tracking.store.refs import chains_rebuild_all


class Command(BaseCommand):
    help = (
        "xAPI: 'deliver' sends every due statement to every target; 'erase' erases a user's statements; "
        "'ref-chains' builds the store's StatementRef chains again."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{deliver,erase,ref-chains}")
        deliver = actions.add_parser("deliver", help="send every due statement to every target")
        deliver.add_argument("--max-seconds", type=float, default=300.0)
        erase = actions.add_parser(
            "erase",
            help="erase a user's statements from the outbox and the built-in store, leaving an audit record",
        )
        erase.add_argument("--user", required=True, help="username, or the id of an account (deleted ones too)")
        erase.add_argument("--reason", required=True, help="why (kept in the audit record)")
        erase.add_argument(
            "--requested-by",
            default="the data subject",
            help="who asked: a role or a ticket, not the person's name (default: the data subject)",
        )
        erase.add_argument("--dry-run", action="store_true", help="show what would be erased, change nothing")
        actions.add_parser("ref-chains", help="build every StatementRef chain of the built-in store again")

    def handle(self, *args, action: str, **options):
        if action == "deliver":
            for name, report in deliver_all(max_seconds=options["max_seconds"]).items():
                self.stdout.write(
                    f"{name}: {report.delivered} delivered, {report.retried} to retry, {report.dead} dead-lettered"
                )
            return
        if action == "ref-chains":
            self.stdout.write(f"{chains_rebuild_all()} chain rows written")
            return
        subject = self._subject(options["user"])
        if options["dry_run"]:
            plan = erasure_plan(subject)
            self.stdout.write(f"would erase, for pseudonym {plan.subject.pseudonym}: {json.dumps(plan.counts)}")
            if plan.external_lrs:
                self.stdout.write(f"external LRSs that received statements: {json.dumps(plan.external_lrs)}")
            return
        if not options["reason"].strip():
            raise CommandError("--reason must say why")
        record = erase_statements(
            subject, requested_by=options["requested_by"], reason=options["reason"], via="command"
        )
        counts = json.dumps(record.counts)
        self.stdout.write(f"erasure record {record.pk} (pseudonym {record.actor_pseudonym}): {counts}")
        if record.external_lrs:
            self.stdout.write(
                self.style.WARNING(
                    "These external LRSs received statements and must be asked to erase them (actor account name "
                    f"{record.actor_pseudonym}): {json.dumps(record.external_lrs)}"
                )
            )

    def _subject(self, given: str):
        """A username, else a user id; an id whose account was deleted is erased by its pseudonym."""
        users = get_user_model().objects
        user = users.filter(**{users.model.USERNAME_FIELD: given}).first()
        if user is not None:
            return user
        if given.isdigit():
            return users.filter(pk=int(given)).first() or int(given)
        raise CommandError(f"no user {given!r} (give a username or an id)")
