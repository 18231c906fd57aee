"""Reads: the batches a staff member may see, and required programmes for many participants at once."""

from collections.abc import Iterable, Iterator, Sequence

from django.db.models import QuerySet

from accounts.selectors import users_with_confirmed_email
from facilities.selectors import is_facility_staff, scoped_to_staff
from onboarding.models import Experiment, Programme

from .models import InvitationBatch


def may_invite(user) -> bool:
    """Superusers, and staff of at least one facility."""
    return is_facility_staff(user)


def batches_for(user) -> QuerySet[InvitationBatch]:
    return scoped_to_staff(
        InvitationBatch.objects.select_related("facility", "uploaded_by"), user, facility_path="facility"
    )


class RequirementIndex:
    """The programmes of some facilities with their requirements and courses, loaded once, answering
    `onboarding.selectors.required_programmes` for any number of participants without a query each
    (the same rule: a programme is required when one of its requirements matches)."""

    def __init__(self, facility_ids: Iterable[int]):
        programmes = (
            Programme.objects.filter(facility_id__in=set(facility_ids))
            .select_related("facility", "refresher_course")
            .prefetch_related("requirements", "courses")
        )
        self.by_facility: dict[int, list[Programme]] = {}
        self._answers: dict[tuple, list[Programme]] = {}
        for programme in programmes:
            self.by_facility.setdefault(programme.facility_id, []).append(programme)

    def required(self, *, experiment, role: str) -> list[Programme]:
        key = (experiment.facility_id, role, experiment.instrument, experiment.experiment_type)
        if key not in self._answers:
            self._answers[key] = self._match(experiment=experiment, role=role)
        return self._answers[key]

    def _match(self, *, experiment, role: str) -> list[Programme]:
        return [
            programme
            for programme in self.by_facility.get(experiment.facility_id, [])
            if any(
                requirement.matches(
                    role=role, instrument=experiment.instrument, experiment_type=experiment.experiment_type
                )
                for requirement in programme.requirements.all()
            )
        ]

    @staticmethod
    def course_ids(programmes: Iterable[Programme]) -> list[int]:
        ids: list[int] = []
        for programme in programmes:
            for row in sorted(programme.courses.all(), key=lambda row: (row.sort_order or 0, row.pk)):
                if row.course_id not in ids:
                    ids.append(row.course_id)
        return ids


CHUNK = 500  # ids per IN (...): well under SQLite's limit on query parameters


def chunks(items: Sequence, size: int = CHUNK) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def users_by_email(emails_: Iterable[str]) -> dict[str, list]:
    """Accounts by lower-cased confirmed email (a list, as the callers expect; one account per confirmed
    address). An unconfirmed address may have been typed by anyone at sign-up: it matches no row."""
    found: dict[str, list] = {}
    for chunk in chunks(sorted(set(emails_))):
        for user in users_with_confirmed_email(chunk).order_by("pk"):
            found.setdefault(user.email_lower, []).append(user)
    return found


def experiments_by_proposal(facility_id: int) -> dict[str, Experiment]:
    experiments = Experiment.objects.filter(facility_id=facility_id).only(
        "pk", "facility_id", "proposal", "start_date", "instrument", "experiment_type", "title"
    )
    return {experiment.proposal.casefold(): experiment for experiment in experiments}
