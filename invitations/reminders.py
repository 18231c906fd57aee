"""Reminders, each sent once (a ReminderSent row with a unique key is written in the same transaction
as the email goes out; a failed email rolls it back, so the next run tries again).

- Before an experiment: on each of PANLEARN_INVITATIONS_START_REMINDER_DAYS days before its start
  date (14 and 3), to participants whose required programmes are not valid on that date. A reminder
  is due from that day until the start; only the most urgent one due is sent (a run missed for a week
  sends one email, not two), and a day that had already passed when the participant was added is
  skipped (the invitation itself just told them).
- Before expiry: PANLEARN_INVITATIONS_EXPIRY_REMINDER_DAYS days (30) before the end of a user's
  latest pass of a programme, unless it has been renewed; not for a pass shorter than that window.
"""

import logging
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from onboarding.models import Participant, ProgrammeCompletion
from onboarding.selectors import validity

from . import emails
from .importing import invitations_send
from .models import ParticipantInvitation, ReminderKind, ReminderSent
from .selectors import RequirementIndex, chunks

logger = logging.getLogger(__name__)
RETRY_UNSENT_AFTER = timedelta(minutes=10)


@dataclass
class ReminderReport:
    start: int = 0
    expiry: int = 0
    invitations: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def reminders_send(*, now: datetime | None = None) -> ReminderReport:
    """Everything due at `now` (the schedule's one entry point)."""
    now = now or timezone.now()
    stale = ParticipantInvitation.objects.filter(sent_at__isnull=True, created_at__lte=now - RETRY_UNSENT_AFTER)
    return ReminderReport(
        start=start_reminders_send(now=now),
        expiry=expiry_reminders_send(now=now),
        invitations=invitations_send(ids=stale.values_list("pk", flat=True), now=now),
    )


def _send_once(*, keys: list[str], record: dict, message, connection) -> bool:
    """Record `keys[0]` (and mark the others done) and send; False if already sent."""
    try:
        with transaction.atomic():
            ReminderSent.objects.create(key=keys[0], **record)
            ReminderSent.objects.bulk_create(
                [ReminderSent(key=key, **record) for key in keys[1:]], ignore_conflicts=True
            )
            connection.send_messages([message])
    except IntegrityError:
        return False
    except Exception:
        logger.exception("invitations: could not send reminder %s", keys[0])
        return False
    return True


def _due_days(participant: Participant, *, today, days: list[int]) -> list[int]:
    start = participant.experiment.start_date
    left = (start - today).days
    added = timezone.localdate(participant.added_at)
    return [d for d in days if left <= d and added < start - timedelta(days=d)]


def start_reminders_send(*, now: datetime | None = None) -> int:
    now = now or timezone.now()
    days = sorted(set(settings.PANLEARN_INVITATIONS_START_REMINDER_DAYS))
    if not days:
        return 0
    today = timezone.localdate(now)
    upcoming = (
        Participant.objects.filter(
            experiment__start_date__gte=today, experiment__start_date__lte=today + timedelta(days=max(days))
        )
        .select_related("experiment__facility", "user")
        .order_by("experiment__start_date", "pk")
    )
    candidates = [(p, due) for p in upcoming if p.user.email and (due := _due_days(p, today=today, days=days))]
    if not candidates:
        return 0
    sent_keys: set[str] = set()
    for chunk in chunks([p.pk for p, _ in candidates]):
        sent_keys |= set(
            ReminderSent.objects.filter(kind=ReminderKind.START, participant_id__in=chunk).values_list("key", flat=True)
        )
    key = "start:{}:{}".format
    candidates = [(p, due) for p, due in candidates if key(p.pk, min(due)) not in sent_keys]
    index = RequirementIndex({p.experiment.facility_id for p, _ in candidates})
    required = {p.pk: index.required(experiment=p.experiment, role=p.role) for p, _ in candidates}
    programmes = {programme.pk: programme for found in required.values() for programme in found}
    until: dict[tuple[int, int], datetime] = {}
    users = sorted({p.user_id for p, _ in candidates if required[p.pk]})
    for chunk in chunks(users):
        for row in validity(programmes=list(programmes), users=chunk, now=now):
            until[(row.user_id, row.programme_id)] = row.valid_until
    base_url = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
    connection, sent = get_connection(), 0
    for participant, due in candidates:
        starts = start_of(participant.experiment.start_date)
        missing = [
            programme
            for programme in required[participant.pk]
            if until.get((participant.user_id, programme.pk), starts) <= starts
        ]
        if not missing:
            continue
        urgent = min(due)
        message = emails.start_reminder_message(
            participant=participant, programmes=missing, days=urgent, base_url=base_url
        )
        keys = [key(participant.pk, d) for d in sorted(due)]
        record = {
            "kind": ReminderKind.START,
            "days": urgent,
            "user_id": participant.user_id,
            "participant_id": participant.pk,
            "sent_at": now,
        }
        sent += _send_once(keys=keys, record=record, message=message, connection=connection)
    return sent


def expiry_reminders_send(*, now: datetime | None = None) -> int:
    now = now or timezone.now()
    days = settings.PANLEARN_INVITATIONS_EXPIRY_REMINDER_DAYS
    if days <= 0:
        return 0
    window = timedelta(days=days)
    newer = ProgrammeCompletion.objects.filter(
        user=OuterRef("user"), programme=OuterRef("programme"), valid_until__gt=OuterRef("valid_until")
    )
    sent_before = ReminderSent.objects.filter(completion=OuterRef("pk"), kind=ReminderKind.EXPIRY)
    due = (
        ProgrammeCompletion.objects.filter(
            valid_until__gt=now, valid_until__lte=now + window, passed_at__lte=now, expiry_recorded_at__isnull=True
        )
        .exclude(Exists(newer))
        .exclude(Exists(sent_before))
        .select_related("user", "programme__facility", "programme__refresher_course")
        .order_by("valid_until", "pk")
    )
    base_url = settings.WAGTAILADMIN_BASE_URL.rstrip("/")
    connection, sent = get_connection(), 0
    for completion in due:
        if not completion.user.email or completion.valid_until - completion.passed_at <= window:
            continue
        valid_until = timezone.localtime(completion.valid_until)
        message = emails.expiry_reminder_message(completion=completion, valid_until=valid_until, base_url=base_url)
        record = {
            "kind": ReminderKind.EXPIRY,
            "days": days,
            "user_id": completion.user_id,
            "completion_id": completion.pk,
            "sent_at": now,
        }
        sent += _send_once(
            keys=[f"expiry:{completion.pk}:{days}"], record=record, message=message, connection=connection
        )
    return sent


def start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))
