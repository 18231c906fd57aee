"""A user's standing in a training programme, from plain facts and a given `now`.

Pure (no Django, no database, no clock), like `exercises.policy_rules`: the services gather the facts,
these functions decide, and every transition can be tested by moving `now`.

The rules:

- A course of a programme counts as passed at the moment its final assessment's counting score
  (best graded submit, or the newest trainer override) first reached the course's pass mark. The
  programme is passed when every course is: the pass date is the last of those moments.
- A pass is valid for `validity_months` calendar months from its date (31 January + 1 month is
  28/29 February).
- A renewal starts a new validity period from its own date. Two things renew: completing the
  programme's refresher (`refreshed_at`), or passing every course's final assessment again. A
  renewal counts only once the current period is in its last `expiring_days` days or has ended,
  so improving a score the day after passing does not start a new period each time.
- Status: no pass and nothing done → never started; something done but no pass → in progress;
  a period that covers `now` → valid until its end, or expiring soon within its last
  `expiring_days` days; the last period over → expired.

Events dated after `now` are ignored, so the same facts answer "what was the status then".
Datetimes must be timezone-aware.
"""

import calendar
import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from exercises.policy_rules import require_aware


class State(enum.StrEnum):
    NEVER_STARTED = "never_started"
    IN_PROGRESS = "in_progress"
    VALID = "valid"
    EXPIRING_SOON = "expiring_soon"
    EXPIRED = "expired"

    @property
    def label(self) -> str:
        return {"never_started": "Not started", "in_progress": "In progress", "valid": "Valid",
                "expiring_soon": "Expiring soon", "expired": "Expired"}[self.value]  # fmt: skip

    @property
    def is_valid(self) -> bool:
        """Cleared for an experiment: valid, or valid but expiring soon."""
        return self in (State.VALID, State.EXPIRING_SOON)


class Renewal(enum.StrEnum):
    FIRST_PASS = "pass"
    REFRESHER = "refresher"
    RETAKEN = "retaken"


@dataclass(frozen=True)
class Period:
    """One validity period: from a pass or a renewal to its end."""

    valid_from: datetime
    valid_until: datetime
    via: Renewal = Renewal.FIRST_PASS


@dataclass(frozen=True)
class Facts:
    """What a user has done in one programme.

    `passes`: per course of the programme (in order), the moments its final assessment was passed:
    every graded submit or override that reached the pass mark while the counting score did (empty:
    never). `refreshed_at`: moments the
    refresher was completed. `started`: the user has done anything in the programme's courses.
    """

    validity_months: int
    passes: Sequence[Sequence[datetime]] = ()
    refreshed_at: Sequence[datetime] = ()
    started: bool = False


@dataclass(frozen=True)
class Status:
    state: State
    period: Period | None = None
    missing: tuple[int, ...] = field(default=())  # indexes of courses not passed (before a first pass)

    @property
    def valid_until(self) -> datetime | None:
        return self.period.valid_until if self.period else None

    @property
    def passed_at(self) -> datetime | None:
        return self.period.valid_from if self.period else None


def add_months(moment: datetime, months: int) -> datetime:
    """Calendar months later, the day clamped to the month's length."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def _first_after(moments: Sequence[datetime], after: datetime | None, until: datetime) -> datetime | None:
    return min((m for m in moments if (after is None or m > after) and m <= until), default=None)


def _all_passed_after(passes: Sequence[Sequence[datetime]], after: datetime | None, until: datetime):
    """The moment every course had passed (again) after `after`: the last of their first passes."""
    if not passes:
        return None
    firsts = [_first_after(moments, after, until) for moments in passes]
    return None if any(moment is None for moment in firsts) else max(firsts)


def periods(facts: Facts, *, now: datetime, expiring_days: int, after: Period | None = None) -> list[Period]:
    """The validity periods the facts earn up to `now`, oldest first. Given `after` (the latest period
    already recorded), only the renewals that follow it: a recorded pass stands as it was recorded."""
    require_aware(now, "now")
    if facts.validity_months < 1:
        raise ValueError("validity_months must be at least 1")
    for moments in (*facts.passes, facts.refreshed_at):
        for moment in moments:
            require_aware(moment, "an event")
    if after is None:
        first = _all_passed_after(facts.passes, None, now)
        if first is None:
            return []
        after = Period(first, add_months(first, facts.validity_months))
        found = [after]
    else:
        found = []
    while True:
        window_opens = after.valid_until - timedelta(days=expiring_days)
        since = max(after.valid_from, window_opens - timedelta(microseconds=1))
        candidates = [
            (moment, via)
            for moment, via in (
                (_first_after(facts.refreshed_at, since, now), Renewal.REFRESHER),
                (_all_passed_after(facts.passes, since, now), Renewal.RETAKEN),
            )
            if moment is not None
        ]
        if not candidates:
            return found
        moment, via = min(candidates, key=lambda item: item[0])
        after = Period(moment, add_months(moment, facts.validity_months), via)
        found.append(after)


def status_of(period: Period | None, *, started: bool, now: datetime, expiring_days: int) -> Status:
    """The status a period (the latest one, or None) gives at `now`."""
    require_aware(now, "now")
    if period is None:
        return Status(State.IN_PROGRESS if started else State.NEVER_STARTED)
    if now >= period.valid_until:
        return Status(State.EXPIRED, period)
    if period.valid_until - now <= timedelta(days=expiring_days):
        return Status(State.EXPIRING_SOON, period)
    return Status(State.VALID, period)


def programme_status(facts: Facts, *, now: datetime, expiring_days: int) -> Status:
    """The user's status in the programme at `now`."""
    found = periods(facts, now=now, expiring_days=expiring_days)
    if found:
        return status_of(found[-1], started=True, now=now, expiring_days=expiring_days)
    missing = tuple(i for i, moments in enumerate(facts.passes) if not any(m <= now for m in moments))
    started = facts.started or any(m <= now for moments in facts.passes for m in moments)
    status = status_of(None, started=started, now=now, expiring_days=expiring_days)
    return Status(status.state, None, missing)
