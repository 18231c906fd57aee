"""Draining the outbox: claim a batch under a lease, send it, then mark, split, retry or dead-letter.

Guarantees:
- at least once: a row leaves `pending` only after its target confirmed it (or refused it for
  good); a worker killed mid-batch leaves leased rows that another worker claims once the lease
  runs out, and sends again;
- no duplicates in effect: statement ids are deterministic and an LRS keeps one statement per id
  (a resend is accepted as the same statement, or answered 409 and checked with a GET);
- order per actor: a claim skips every actor that still has an earlier statement waiting (in
  backoff or leased by another worker), and a batch that must wait is retried whole.
"""

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from .models import Delivery, DeliveryStatus
from .targets import Fate, configured_targets

logger = logging.getLogger(__name__)
PENDING, DELIVERED, DEAD = DeliveryStatus.PENDING, DeliveryStatus.DELIVERED, DeliveryStatus.DEAD


@dataclass
class Report:
    delivered: int = 0
    retried: int = 0
    dead: int = 0
    batches: int = 0
    errors: list[str] = field(default_factory=list)
    # Rows the target confirmed, marked in the transaction of the next claim (or at the end of the run).
    confirmed: list[int] = field(default_factory=list)


def backoff(attempts: int) -> timedelta:
    """Doubles from the base with every failed attempt, up to the cap."""
    seconds = settings.PANLEARN_TRACKING_BACKOFF_BASE * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.PANLEARN_TRACKING_BACKOFF_CAP))


def _free(now: datetime) -> Q:
    return Q(lease_until__isnull=True) | Q(lease_until__lte=now)


def claim(
    target: str, *, owner: str, limit: int, now: datetime | None = None, report: Report | None = None
) -> list[Delivery]:
    """Lease up to `limit` due rows of one target, oldest first, skipping actors that must wait.

    The lease is taken by a conditional UPDATE, so two workers never hold one row, on SQLite
    (one writer at a time) as on PostgreSQL (where SKIP LOCKED also keeps them from waiting).
    The rows `report` holds as confirmed are marked delivered in the same transaction, first: one
    commit per batch instead of two (a commit is an fsync, the largest cost of a batch on SQLite).
    """
    now = now or timezone.now()
    waiting = Delivery.objects.filter(target=target, status=PENDING).filter(
        Q(available_at__gt=now) | Q(lease_until__gt=now)
    )
    due = (
        Delivery.objects.filter(target=target, status=PENDING, available_at__lte=now)
        .filter(_free(now))
        .exclude(actor_key__in=waiting.values("actor_key"))
        .order_by("pk")
    )
    with transaction.atomic():
        if report is not None:
            _settle(report)
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        ids = list(due.values_list("pk", flat=True)[:limit])
        if not ids:
            return []
        lease = now + timedelta(seconds=settings.PANLEARN_TRACKING_LEASE_SECONDS)
        Delivery.objects.filter(pk__in=ids, status=PENDING).filter(_free(now)).update(
            lease_owner=owner, lease_until=lease
        )
    # Only what sending needs: building model rows is most of a claim's CPU time.
    fields = ("target", "actor_key", "status", "attempts", "lease_owner", "lease_until", "statement__statement_id",
              "statement__payload")  # fmt: skip
    rows = Delivery.objects.filter(pk__in=ids, lease_owner=owner).select_related("statement").only(*fields)
    return list(rows.order_by("pk"))


def _renew(rows: list[Delivery]) -> None:
    """Extend the lease before a send, unless more than half of it is left (a fresh claim's is)."""
    seconds = settings.PANLEARN_TRACKING_LEASE_SECONDS
    now = timezone.now()
    if all(row.lease_until and row.lease_until - now > timedelta(seconds=seconds / 2) for row in rows):
        return
    lease = now + timedelta(seconds=seconds)
    Delivery.objects.filter(pk__in=[row.pk for row in rows], status=PENDING).update(lease_until=lease)
    for row in rows:
        row.lease_until = lease


def _mark_delivered(rows: list[Delivery], report: Report) -> None:
    """Confirmed: written with the next claim, or by `_settle` at the end of the run. A worker killed
    before that leaves the rows leased, and they are sent again: the LRS keeps one copy by id."""
    report.confirmed.extend(row.pk for row in rows)
    report.delivered += len(rows)


def _settle(report: Report) -> None:
    if not report.confirmed:
        return
    for start in range(0, len(report.confirmed), 500):
        Delivery.objects.filter(pk__in=report.confirmed[start : start + 500], status=PENDING).update(
            status=DELIVERED, delivered_at=timezone.now(), lease_owner="", lease_until=None, last_error=""
        )
    report.confirmed = []


def _mark_dead(rows: list[Delivery], detail: str, report: Report) -> None:
    Delivery.objects.filter(pk__in=[row.pk for row in rows], status=PENDING).update(
        status=DEAD, attempts=F("attempts") + 1, lease_owner="", lease_until=None, last_error=detail[:2000]
    )
    report.dead += len(rows)
    logger.warning("xAPI: dead-lettered %d statement(s): %s", len(rows), detail[:200])


def _retry_later(rows: list[Delivery], detail: str, report: Report) -> None:
    """Back off, or dead-letter the rows that used up their attempts."""
    now = timezone.now()
    for attempts in {row.attempts for row in rows}:
        same = [row.pk for row in rows if row.attempts == attempts]
        if attempts + 1 >= settings.PANLEARN_TRACKING_MAX_ATTEMPTS:
            _mark_dead([row for row in rows if row.pk in same], f"gave up after {attempts + 1} tries: {detail}", report)
            continue
        Delivery.objects.filter(pk__in=same, status=PENDING).update(
            attempts=attempts + 1,
            available_at=now + backoff(attempts + 1),
            lease_owner="",
            lease_until=None,
            last_error=detail[:2000],
        )
        report.retried += len(same)


def _send(target, rows: list[Delivery], report: Report) -> bool:
    """Send rows in order; False when they (and so everything after them) must wait."""
    _renew(rows)
    report.batches += 1
    outcome = target.send([row.statement.payload for row in rows])
    if outcome.fate is Fate.DELIVERED:
        _mark_delivered(rows, report)
        return True
    if outcome.fate is Fate.RETRY:
        _retry_later(rows, outcome.detail, report)
        report.errors.append(outcome.detail)
        return False
    if len(rows) > 1:  # refused or conflicting: halve until the culprit stands alone
        middle = len(rows) // 2
        if not _send(target, rows[:middle], report):
            _retry_later(rows[middle:], "waiting for earlier statements", report)
            return False
        return _send(target, rows[middle:], report)
    if outcome.fate is Fate.REFUSED:
        _mark_dead(rows, outcome.detail, report)
        return True
    known = target.has(str(rows[0].statement.statement_id))  # 409 for one statement
    if known:
        _mark_delivered(rows, report)
        return True
    if known is None:
        _retry_later(rows, f"conflict not confirmed: {outcome.detail}", report)
        return False
    _mark_dead(rows, f"conflict, and the LRS does not hold the id: {outcome.detail}", report)
    return True


def deliver_target(target, *, batch_size: int | None = None, max_seconds: float = 60.0) -> Report:
    report = Report()
    owner = uuid.uuid4().hex
    deadline = timezone.now() + timedelta(seconds=max_seconds)
    try:
        while timezone.now() < deadline:
            rows = claim(target.name, owner=owner, limit=batch_size or settings.PANLEARN_TRACKING_BATCH_SIZE,
                         report=report)  # fmt: skip
            if not rows or not _send(target, rows, report):
                break  # nothing due, or the target is unavailable: the next run tries again
    finally:
        _settle(report)
    return report


def deliver_all(*, max_seconds: float = 60.0) -> dict[str, Report]:
    reports = {}
    for target in configured_targets():
        try:
            reports[target.name] = deliver_target(target, max_seconds=max_seconds)
        finally:
            target.close()
    return reports


def next_due() -> datetime | None:
    """When the earliest pending statement may be tried: after its backoff, and after the lease of the run
    that holds it (a run that died holds it until then)."""
    due = Greatest("available_at", Coalesce("lease_until", "available_at"))
    rows = Delivery.objects.filter(status=PENDING).annotate(due=due).order_by("due").values_list("due", flat=True)
    return rows.first()


def resend(delivery_ids: list[int]) -> int:
    """Put dead letters back in the queue, with fresh attempts."""
    return Delivery.objects.filter(pk__in=delivery_ids, status=DEAD).update(
        status=PENDING, attempts=0, available_at=timezone.now(), lease_owner="", lease_until=None
    )
