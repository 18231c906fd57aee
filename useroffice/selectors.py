"""Reads for the export: who holds which programme, until when, in what state; a page at a time.

Without a proposal: one row per user and programme with a recorded pass (onboarding's
ProgrammeCompletion), its latest end (`valid_until`) and the state at `now` — one grouped query per
page, keyset-paginated on (user id, programme id), so page 100 costs what page 1 does.
With a proposal: one row per participant of that experiment and programme it requires of them, passed
or not (`never_started`, `in_progress`): what a user office needs to clear or block the beamtime.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Max, Q, QuerySet

from accounts.selectors import confirmed_emails_for
from onboarding import selectors as onboarding
from onboarding import status as rules
from onboarding.models import Experiment, Participant, Programme, ProgrammeCompletion

from .models import ApiToken, Webhook

PASSED_STATES = (rules.State.VALID, rules.State.EXPIRING_SOON, rules.State.EXPIRED)
ALL_STATES = tuple(rules.State)


class FilterError(ValueError):
    """A filter the caller got wrong (the API answers 400 with the message)."""


@dataclass(frozen=True)
class ExportFilters:
    facility_ids: frozenset[int] | None  # what the caller may see; None: every facility
    proposal: str = ""
    programme_id: int | None = None
    facility: str = ""  # a facility's short name, within facility_ids
    state: str = ""

    def __post_init__(self):
        if self.state and self.state not in {state.value for state in ALL_STATES}:
            raise FilterError(f"status must be one of {', '.join(s.value for s in ALL_STATES)}")
        if self.state and not self.proposal and rules.State(self.state) not in PASSED_STATES:
            raise FilterError("never_started and in_progress are known only for a proposal's participants")


@dataclass(frozen=True)
class ExportRow:
    user_id: int
    username: str
    name: str
    email: str
    programme_id: int
    programme: str
    facility: str
    state: str
    valid: bool
    passed_at: datetime | None
    valid_until: datetime | None
    proposal: str = ""
    role: str = ""

    def as_dict(self) -> dict:
        return dict(self.__dict__)  # flat fields: dataclasses.asdict's deep copy costs 4x more per row


Cursor = tuple[int, int]


def parse_cursor(text: str) -> Cursor | None:
    if not text:
        return None
    try:
        user_id, programme_id = (int(part) for part in text.split(".", 1))
    except ValueError:
        raise FilterError("after must be a cursor from a `next` link") from None
    return user_id, programme_id


def format_cursor(row: ExportRow) -> str:
    return f"{row.user_id}.{row.programme_id}"


def _expiring() -> timedelta:
    return timedelta(days=settings.PANLEARN_ONBOARDING_EXPIRING_DAYS)


def _state_at(until: datetime, now: datetime) -> rules.State:
    return rules.status_of(rules.Period(now, until), started=True, now=now,
                           expiring_days=settings.PANLEARN_ONBOARDING_EXPIRING_DAYS).state  # fmt: skip


def _programmes(filters: ExportFilters) -> QuerySet[Programme]:
    programmes = Programme.objects.select_related("facility")
    if filters.facility_ids is not None:
        programmes = programmes.filter(facility_id__in=filters.facility_ids)
    if filters.facility:
        programmes = programmes.filter(facility__short_name__iexact=filters.facility)
    if filters.programme_id is not None:
        programmes = programmes.filter(pk=filters.programme_id)
    return programmes


def _grouped(completions: QuerySet, *, now: datetime) -> QuerySet:
    return (
        completions.filter(passed_at__lte=now)
        .values("user_id", "programme_id")
        .annotate(until=Max("valid_until"), since=Max("passed_at"))
        .order_by("user_id", "programme_id")
    )


def _users(ids) -> dict:
    fields = ("pk", "username", "first_name", "last_name", "email")
    return {user.pk: user for user in get_user_model().objects.filter(pk__in=ids).only(*fields)}


def _name(user) -> str:
    return f"{user.first_name} {user.last_name}".strip() or user.username


def _passed_page(filters: ExportFilters, *, now: datetime, after: Cursor | None, limit: int) -> list[ExportRow]:
    completions = ProgrammeCompletion.objects.filter(programme__in=_programmes(filters).values("pk"))
    if after is not None:
        completions = completions.filter(Q(user_id__gt=after[0]) | Q(user_id=after[0], programme_id__gt=after[1]))
    grouped = _grouped(completions, now=now)
    if filters.state == rules.State.VALID:
        grouped = grouped.filter(until__gt=now + _expiring())
    elif filters.state == rules.State.EXPIRING_SOON:
        grouped = grouped.filter(until__gt=now, until__lte=now + _expiring())
    elif filters.state == rules.State.EXPIRED:
        grouped = grouped.filter(until__lte=now)
    found = list(grouped[:limit])
    users = _users({row["user_id"] for row in found})
    programmes = _programmes(filters).in_bulk({row["programme_id"] for row in found})
    emails = confirmed_emails_for(users.values())  # an unconfirmed address may be anyone's: not reported
    rows = []
    for row in found:
        user, programme, state = users[row["user_id"]], programmes[row["programme_id"]], _state_at(row["until"], now)
        rows.append(ExportRow(user.pk, user.username, _name(user), emails.get(user.pk, ""), programme.pk,
                              programme.name, programme.facility.short_name, state.value, state.is_valid,
                              row["since"], row["until"]))  # fmt: skip
    return rows


def _proposal_rows(filters: ExportFilters, *, now: datetime) -> list[ExportRow]:
    """Every participant of the proposal's experiment(s) × every programme required of them."""
    allowed = set(_programmes(filters).values_list("pk", flat=True))
    experiments = Experiment.objects.filter(proposal=filters.proposal.strip())
    if filters.facility_ids is not None:
        experiments = experiments.filter(facility_id__in=filters.facility_ids)
    participants = list(Participant.objects.filter(experiment__in=experiments).select_related("experiment", "user"))
    required: dict[tuple[int, str], list[Programme]] = {}  # one experiment's participants differ only by role
    wanted = []
    for participant in participants:
        key = (participant.experiment_id, participant.role)
        if key not in required:
            required[key] = [p for p in onboarding.required_programmes(participant) if p.pk in allowed]
        wanted += [(participant, programme) for programme in required[key]]
    completions = ProgrammeCompletion.objects.filter(
        user_id__in={p.user_id for p in participants}, programme_id__in=allowed
    )
    latest = {(row["user_id"], row["programme_id"]): row for row in _grouped(completions, now=now)}
    emails = confirmed_emails_for({participant.user for participant in participants})
    rows = []
    for participant, programme in wanted:
        user, found = participant.user, latest.get((participant.user_id, programme.pk))
        if found is not None:
            state, since, until = _state_at(found["until"], now), found["since"], found["until"]
        else:
            started = onboarding.has_started(user=user, programme=programme)
            state, since, until = rules.State.IN_PROGRESS if started else rules.State.NEVER_STARTED, None, None
        rows.append(ExportRow(user.pk, user.username, _name(user), emails.get(user.pk, ""), programme.pk,
                              programme.name, programme.facility.short_name, state.value, state.is_valid, since, until,
                              participant.experiment.proposal, participant.role))  # fmt: skip
    rows.sort(key=lambda row: (row.user_id, row.programme_id))
    return rows


def export_page(
    filters: ExportFilters, *, now: datetime, after: Cursor | None = None, limit: int = 100
) -> tuple[list[ExportRow], Cursor | None]:
    """A page of rows after the cursor, and the cursor of the next page (None on the last)."""
    if filters.proposal:
        rows = [row for row in _proposal_rows(filters, now=now)
                if (not filters.state or row.state == filters.state)
                and (after is None or (row.user_id, row.programme_id) > after)][: limit + 1]  # fmt: skip
    else:
        rows = _passed_page(filters, now=now, after=after, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, ((rows[-1].user_id, rows[-1].programme_id) if more else None)


def export_all(filters: ExportFilters, *, now: datetime, chunk: int = 2000) -> Iterator[ExportRow]:
    """Every row, a page at a time (the CSV streams this)."""
    after = None
    while True:
        rows, after = export_page(filters, now=now, after=after, limit=chunk)
        yield from rows
        if after is None:
            return


# -- the admin's reads: tokens and webhooks of the facilities a user manages ---------------------------


def tokens_of(facilities: QuerySet) -> QuerySet:
    return ApiToken.objects.filter(facility__in=facilities).select_related("facility", "created_by")


def token_of(pk: int, facilities: QuerySet):
    """The token if it belongs to one of `facilities`, else None."""
    return ApiToken.objects.filter(pk=pk, facility__in=facilities).first()


def webhooks_by_facility(facilities: QuerySet) -> dict:
    return {hook.facility_id: hook for hook in Webhook.objects.filter(facility__in=facilities)}


def webhook_of(facility):
    return Webhook.objects.filter(facility=facility).first()
