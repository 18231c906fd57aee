"""Exercise policies: attempts, decay, deadlines, late penalties, the solution's release, which attempt counts.

Pure (no Django, no database, no clock): every function takes the time it decides about, so a
regrade applies the policy to the facts of the original submission, not to today's date, and every
branch can be tested without freezing time. Datetimes must be timezone-aware; a naive one is refused
with a ValueError rather than guessed at, since a guess is an hour's difference at a deadline.

A course sets the defaults and an exercise overrides what it needs (`Policy.merge`). Adjusted points
come with the factors applied and a plain-words explanation of each, for the student's page and
the gradebook's "why this score".
"""

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Literal, NamedTuple, Protocol, TypeVar, get_args

from .scoring import DISCLOSURES, Disclosure, round_points, to_decimal

Late = Literal["penalty", "lock"]
LATE_MODES: tuple[str, ...] = get_args(Late)
DAY = timedelta(days=1)


class ClearType(enum.Enum):
    """The type of CLEAR (an enum so that it survives copying and pickling as the same object)."""

    CLEAR = "clear"


# In an override, CLEAR removes the course's attempt limit or deadline (None would inherit it).
CLEAR = ClearType.CLEAR


def require_aware(value: datetime, what: str) -> datetime:
    """`value` if it carries a timezone; a ValueError naming `what` if it is naive."""
    if not isinstance(value, datetime):
        raise TypeError(f"{what} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware (got the naive datetime {value.isoformat()})")
    return value


def _fraction(value: float | int | Decimal, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise TypeError(f"{what} must be a number")
    if not 0 <= value <= 1:  # also refuses NaN
        raise ValueError(f"{what} must be between 0 and 1, not {value!r}")


def _percent(value: Decimal) -> str:
    """0.1 → "10%", 0.125 → "12.5%"."""
    text = f"{round_points(value * 100):.2f}".rstrip("0").rstrip(".")
    return f"{text}%"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _plain_duration(delta: timedelta) -> str:
    """The two largest units of a positive duration: "2 days 3 hours", "5 minutes", "12 seconds"."""
    seconds = int(delta.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [_plural(n, unit) for n, unit in ((days, "day"), (hours, "hour"), (minutes, "minute"), (seconds, "second"))]
    shown = [part for part, n in zip(parts, (days, hours, minutes, seconds), strict=True) if n]
    return " ".join(shown[:2]) or "less than a second"


@dataclass(frozen=True)
class Policy:
    """The rules of one exercise (or a course's defaults).

    - max_attempts: submits allowed (checks never count); None is unlimited.
    - decay_per_attempt: the fraction of the points lost for each attempt after the first, down to
      `min_factor` (0.1 and 0.5: attempt 1 keeps 100%, attempt 3 keeps 80%, attempt 6 and later 50%).
    - deadline: None is no deadline. After it, `late` decides: "penalty" takes
      `late_penalty_per_day` off per started day late (1 second late is 1 day), down to 0;
      "lock" refuses submissions.
    - release_solution_after_deadline: the reference solution becomes visible once the deadline has
      passed (never without a deadline).
    - disclosure_default: the feedback disclosure of tests that set none.
    """

    max_attempts: int | None = None
    decay_per_attempt: float = 0.0
    min_factor: float = 0.0
    deadline: datetime | None = None
    late: Late = "penalty"
    late_penalty_per_day: float = 0.0
    release_solution_after_deadline: bool = False
    disclosure_default: Disclosure = "show"

    def __post_init__(self) -> None:
        if self.max_attempts is not None and (
            isinstance(self.max_attempts, bool) or not isinstance(self.max_attempts, int) or self.max_attempts < 1
        ):
            raise ValueError(f"max_attempts must be a whole number of at least 1, or None; not {self.max_attempts!r}")
        _fraction(self.decay_per_attempt, "decay_per_attempt")
        _fraction(self.min_factor, "min_factor")
        _fraction(self.late_penalty_per_day, "late_penalty_per_day")
        if self.deadline is not None:
            require_aware(self.deadline, "deadline")
        if self.late not in LATE_MODES:
            raise ValueError(f"late must be one of {', '.join(LATE_MODES)}, not {self.late!r}")
        if not isinstance(self.release_solution_after_deadline, bool):
            raise TypeError("release_solution_after_deadline must be True or False")
        if self.disclosure_default not in DISCLOSURES:
            raise ValueError(f"disclosure_default must be one of {', '.join(DISCLOSURES)}")

    @classmethod
    def merge(
        cls, course_default: "Policy", exercise_override: "PolicyOverride | Mapping[str, Any] | None"
    ) -> "Policy":
        """The course's defaults with the exercise's overrides on top.

        None in the override inherits the course's value; CLEAR (for max_attempts and deadline)
        removes the course's limit or deadline. A mapping may name only Policy's fields.
        """
        if exercise_override is None:
            return course_default
        if isinstance(exercise_override, PolicyOverride):
            values = {f.name: getattr(exercise_override, f.name) for f in fields(PolicyOverride)}
        elif isinstance(exercise_override, Mapping):
            known = {f.name for f in fields(cls)}
            unknown = sorted(set(exercise_override) - known)
            if unknown:
                raise ValueError(f"unknown policy field(s): {', '.join(map(str, unknown))}")
            values = dict(exercise_override)
        else:
            raise TypeError("the override must be a PolicyOverride, a mapping or None")
        changes: dict[str, Any] = {}
        for name, value in values.items():
            if value is None:
                continue
            if value is CLEAR:
                if name not in ("max_attempts", "deadline"):
                    raise ValueError(f"{name} cannot be cleared, only max_attempts and deadline can")
                value = None
            changes[name] = value
        return replace(course_default, **changes)


@dataclass(frozen=True)
class PolicyOverride:
    """An exercise's changes to its course's policy: None inherits, CLEAR removes a limit or deadline."""

    max_attempts: int | ClearType | None = None
    decay_per_attempt: float | None = None
    min_factor: float | None = None
    deadline: datetime | ClearType | None = None
    late: Late | None = None
    late_penalty_per_day: float | None = None
    release_solution_after_deadline: bool | None = None
    disclosure_default: Disclosure | None = None


class Decision(NamedTuple):
    """Whether a submit is allowed, and why (or what the student should know): unpacks as (allowed, reason)."""

    allowed: bool
    reason: str


def is_late(policy: Policy, when: datetime) -> bool:
    """After the deadline; a submission at the deadline's exact instant is on time."""
    require_aware(when, "the time")
    return policy.deadline is not None and when > policy.deadline


def can_submit(policy: Policy, attempts_used: int, now: datetime) -> Decision:
    """May a student with `attempts_used` submits make another at `now`?

    A lock after the deadline is reported before used-up attempts: it applies to everyone. When the
    submit is allowed, the reason says what the student should know (a late penalty, attempts left)
    and is empty otherwise.
    """
    require_aware(now, "now")
    if isinstance(attempts_used, bool) or not isinstance(attempts_used, int) or attempts_used < 0:
        raise ValueError(f"attempts_used must be a whole number of at least 0, not {attempts_used!r}")
    late = is_late(policy, now)
    if late and policy.late == "lock":
        return Decision(False, "The deadline has passed; this exercise no longer accepts submissions.")
    if policy.max_attempts is not None and attempts_used >= policy.max_attempts:
        if policy.max_attempts == 1:
            return Decision(False, "You have used your only attempt.")
        return Decision(False, f"You have used all {policy.max_attempts} attempts.")
    notes = []
    if late and policy.late_penalty_per_day > 0:
        per_day = _percent(to_decimal(policy.late_penalty_per_day))
        notes.append(f"The deadline has passed: {per_day} of the points are taken off per started day late.")
    if policy.max_attempts is not None:
        notes.append(f"This will be attempt {attempts_used + 1} of {policy.max_attempts}.")
    return Decision(True, " ".join(notes))


@dataclass(frozen=True)
class Factor:
    """One adjustment: the factor the points were multiplied by, and why, in plain words."""

    kind: Literal["attempt_decay", "late_penalty", "late_lock"]
    factor: Decimal
    explanation: str


@dataclass(frozen=True)
class AdjustedScore:
    """Points after the policy: raw points × every factor, rounded to hundredths. `factors` lists only
    the adjustments that changed something."""

    points: Decimal
    raw_points: Decimal
    possible: Decimal
    factors: tuple[Factor, ...] = ()

    @property
    def factor(self) -> Decimal:
        total = Decimal(1)
        for item in self.factors:
            total *= item.factor
        return total

    @property
    def explanations(self) -> list[str]:
        return [item.explanation for item in self.factors]


def attempt_factor(policy: Policy, attempt_number: int) -> Factor | None:
    """The decay for this attempt, or None when it keeps all its points."""
    decay = to_decimal(policy.decay_per_attempt)
    extra = attempt_number - 1
    if decay == 0 or extra == 0:
        return None
    floor = to_decimal(policy.min_factor)
    factor = Decimal(1) - decay * extra
    if factor <= floor:
        if floor == 1:
            return None
        return Factor(
            "attempt_decay",
            floor,
            f"Attempt {attempt_number}: {_percent(1 - floor)} off, the most repeated attempts can cost "
            f"({_percent(decay)} per attempt after the first, keeping at least {_percent(floor)}).",
        )
    return Factor(
        "attempt_decay",
        factor,
        f"Attempt {attempt_number}: {_percent(1 - factor)} off ({_percent(decay)} for each of "
        f"{_plural(extra, 'attempt')} after the first).",
    )


def late_factor(policy: Policy, submitted_at: datetime) -> Factor | None:
    """The late penalty or lock for a submission at `submitted_at`, or None when it was on time.

    Under "lock" a late submission (one that got in around the deadline, or a regrade after the
    deadline moved) is worth nothing: the policy says late work is not accepted.
    """
    if not is_late(policy, submitted_at):
        return None
    assert policy.deadline is not None  # is_late says so
    lateness = submitted_at - policy.deadline
    if policy.late == "lock":
        return Factor(
            "late_lock",
            Decimal(0),
            f"Submitted {_plain_duration(lateness)} after the deadline, when the exercise was closed: no points.",
        )
    per_day = to_decimal(policy.late_penalty_per_day)
    if per_day == 0:
        return None
    days = -(-lateness // DAY)  # started days: ceil
    factor = max(Decimal(0), Decimal(1) - per_day * days)
    return Factor(
        "late_penalty",
        factor,
        f"Submitted {_plain_duration(lateness)} after the deadline, {_plural(days, 'started day')} late: "
        f"{_percent(1 - factor)} off ({_percent(per_day)} per started day).",
    )


def final_points(
    raw_points: Decimal | float | int,
    possible: Decimal | float | int,
    policy: Policy,
    attempt_number: int,
    submitted_at: datetime,
) -> AdjustedScore:
    """The points an attempt is worth under `policy`: raw × attempt decay × late factor, to hundredths.

    `attempt_number` counts from 1. Raw points must lie in [0, possible].
    """
    require_aware(submitted_at, "submitted_at")
    if isinstance(attempt_number, bool) or not isinstance(attempt_number, int) or attempt_number < 1:
        raise ValueError(f"attempt_number must be a whole number of at least 1, not {attempt_number!r}")
    raw, most = to_decimal(raw_points), to_decimal(possible)
    if most < 0:
        raise ValueError("possible points cannot be negative")
    if not 0 <= raw <= most:
        raise ValueError(f"raw points must be between 0 and {most}, not {raw}")
    factors = tuple(
        item for item in (attempt_factor(policy, attempt_number), late_factor(policy, submitted_at)) if item
    )
    score = AdjustedScore(points=Decimal(0), raw_points=round_points(raw), possible=round_points(most), factors=factors)
    return replace(score, points=round_points(raw * score.factor))


def solution_visible(policy: Policy, now: datetime) -> bool:
    """The reference solution is released only when the policy says so and the deadline has passed."""
    require_aware(now, "now")
    return policy.release_solution_after_deadline and is_late(policy, now)


class ScoredAttempt(Protocol):
    """Anything with an attempt number, a submission time and adjusted points (None while not graded)."""

    @property
    def attempt_number(self) -> int: ...

    @property
    def submitted_at(self) -> datetime: ...

    @property
    def points(self) -> Decimal | float | int | None: ...


@dataclass(frozen=True)
class Attempt:
    """A minimal ScoredAttempt; submission rows with the same attributes work as well."""

    attempt_number: int
    submitted_at: datetime
    points: Decimal | float | int | None


A = TypeVar("A", bound=ScoredAttempt)


def best_score(attempts: Iterable[A]) -> A | None:
    """The attempt that counts: the highest adjusted points; on a tie the earliest submitted (then the
    lowest attempt number). Attempts not yet graded (points None) are skipped; None if none is graded."""
    graded = []
    for attempt in attempts:
        require_aware(attempt.submitted_at, f"attempt {attempt.attempt_number}'s submitted_at")
        if attempt.points is not None:
            graded.append((-to_decimal(attempt.points), attempt.submitted_at, attempt.attempt_number, attempt))
    if not graded:
        return None
    return min(graded, key=lambda item: item[:3])[3]
