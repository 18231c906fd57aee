"""Every policy branch: attempts, decay and floor, deadlines with penalty or lock, the solution, merging, best score."""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from exercises.policy_rules import (
    CLEAR,
    Attempt,
    Policy,
    PolicyOverride,
    best_score,
    can_submit,
    final_points,
    solution_visible,
)

D = Decimal
DEADLINE = datetime(2025, 3, 1, 23, 59, tzinfo=UTC)
BEFORE = DEADLINE - timedelta(hours=1)
NAIVE = datetime(2025, 3, 1, 12, 0)


# Validation -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_attempts": 0},
        {"max_attempts": -1},
        {"max_attempts": True},
        {"max_attempts": 2.5},
        {"decay_per_attempt": -0.1},
        {"decay_per_attempt": 1.5},
        {"decay_per_attempt": float("nan")},
        {"min_factor": 2},
        {"late_penalty_per_day": float("inf")},
        {"late": "forgive"},
        {"disclosure_default": "everything"},
        {"deadline": NAIVE},
        {"release_solution_after_deadline": "yes"},
        {"decay_per_attempt": "0.1"},
    ],
)
def test_malformed_policies_are_refused(kwargs):
    with pytest.raises((ValueError, TypeError)):
        Policy(**kwargs)


def test_naive_datetimes_are_refused_everywhere():
    policy = Policy(deadline=DEADLINE, release_solution_after_deadline=True)
    with pytest.raises(ValueError, match="timezone-aware"):
        can_submit(policy, 0, NAIVE)
    with pytest.raises(ValueError, match="timezone-aware"):
        final_points(1, 1, policy, 1, NAIVE)
    with pytest.raises(ValueError, match="timezone-aware"):
        solution_visible(policy, NAIVE)
    with pytest.raises(ValueError, match="timezone-aware"):
        best_score([Attempt(1, NAIVE, 1)])
    with pytest.raises(ValueError, match="timezone-aware"):
        Policy(deadline=NAIVE)
    # Without a deadline a naive time is still a mistake worth reporting.
    with pytest.raises(ValueError, match="timezone-aware"):
        can_submit(Policy(), 0, NAIVE)


# Merge ----------------------------------------------------------------------------------------------

COURSE = Policy(
    max_attempts=3,
    decay_per_attempt=0.1,
    min_factor=0.5,
    deadline=DEADLINE,
    late="penalty",
    late_penalty_per_day=0.2,
    release_solution_after_deadline=True,
    disclosure_default="pass_fail",
)


def test_merge_without_override_is_the_course_default():
    assert Policy.merge(COURSE, None) == COURSE
    assert Policy.merge(COURSE, PolicyOverride()) == COURSE
    assert Policy.merge(COURSE, {}) == COURSE


def test_merge_none_inherits_and_values_override():
    later = DEADLINE + timedelta(days=7)
    merged = Policy.merge(
        COURSE, PolicyOverride(max_attempts=5, deadline=later, late="lock", disclosure_default="show")
    )
    assert (merged.max_attempts, merged.deadline, merged.late, merged.disclosure_default) == (5, later, "lock", "show")
    assert (merged.decay_per_attempt, merged.min_factor, merged.late_penalty_per_day) == (0.1, 0.5, 0.2)
    assert merged.release_solution_after_deadline is True


def test_merge_can_switch_booleans_and_numbers_off():
    merged = Policy.merge(
        COURSE, {"release_solution_after_deadline": False, "decay_per_attempt": 0, "min_factor": None}
    )
    assert merged.release_solution_after_deadline is False and merged.decay_per_attempt == 0
    assert merged.min_factor == 0.5


def test_merge_clear_removes_the_limit_and_the_deadline():
    merged = Policy.merge(COURSE, PolicyOverride(max_attempts=CLEAR, deadline=CLEAR))
    assert merged.max_attempts is None and merged.deadline is None
    assert Policy.merge(COURSE, {"max_attempts": CLEAR}).max_attempts is None


def test_merge_refuses_bad_overrides():
    with pytest.raises(ValueError, match="unknown policy field"):
        Policy.merge(COURSE, {"max_tries": 2})
    with pytest.raises(ValueError, match="cannot be cleared"):
        Policy.merge(COURSE, {"late": CLEAR})
    with pytest.raises(ValueError):
        Policy.merge(COURSE, PolicyOverride(max_attempts=0))
    with pytest.raises(ValueError, match="timezone-aware"):
        Policy.merge(COURSE, {"deadline": NAIVE})
    with pytest.raises(TypeError):
        Policy.merge(COURSE, [("max_attempts", 2)])  # type: ignore[arg-type]


# can_submit -----------------------------------------------------------------------------------------


def test_unlimited_attempts_without_deadline():
    assert can_submit(Policy(), 1000, BEFORE) == (True, "")


def test_attempt_limit():
    policy = Policy(max_attempts=3)
    assert can_submit(policy, 0, BEFORE) == (True, "This will be attempt 1 of 3.")
    assert can_submit(policy, 2, BEFORE) == (True, "This will be attempt 3 of 3.")
    assert can_submit(policy, 3, BEFORE) == (False, "You have used all 3 attempts.")
    assert can_submit(policy, 4, BEFORE).allowed is False
    assert can_submit(Policy(max_attempts=1), 1, BEFORE) == (False, "You have used your only attempt.")


@pytest.mark.parametrize("bad", [-1, 1.0, True, None])
def test_attempts_used_must_be_a_count(bad):
    with pytest.raises(ValueError):
        can_submit(Policy(), bad, BEFORE)


def test_lock_refuses_after_the_deadline_but_not_at_it():
    policy = Policy(deadline=DEADLINE, late="lock")
    assert can_submit(policy, 0, DEADLINE).allowed
    allowed, reason = can_submit(policy, 0, DEADLINE + timedelta(seconds=1))
    assert not allowed and "deadline has passed" in reason


def test_lock_is_reported_before_used_up_attempts():
    policy = Policy(max_attempts=1, deadline=DEADLINE, late="lock")
    assert "deadline" in can_submit(policy, 1, DEADLINE + timedelta(days=1)).reason


def test_late_with_penalty_is_allowed_and_says_so():
    policy = Policy(max_attempts=3, deadline=DEADLINE, late_penalty_per_day=0.1)
    allowed, reason = can_submit(policy, 1, DEADLINE + timedelta(hours=2))
    assert allowed
    assert reason == (
        "The deadline has passed: 10% of the points are taken off per started day late. This will be attempt 2 of 3."
    )
    assert can_submit(Policy(deadline=DEADLINE), 0, DEADLINE + timedelta(days=3)) == (True, "")


def test_deadline_compares_instants_across_timezones():
    berlin = timezone(timedelta(hours=1))
    policy = Policy(deadline=DEADLINE, late="lock")
    assert can_submit(policy, 0, datetime(2025, 3, 2, 0, 59, tzinfo=berlin)).allowed  # 23:59 UTC
    assert not can_submit(policy, 0, datetime(2025, 3, 2, 1, 0, tzinfo=berlin)).allowed


# final_points: decay --------------------------------------------------------------------------------


def test_no_adjustment_gives_the_raw_points():
    result = final_points(7.5, 10, Policy(), 1, BEFORE)
    assert (result.points, result.raw_points, result.possible, result.factors) == (D("7.50"), D("7.50"), D("10.00"), ())
    assert result.factor == 1 and result.explanations == []


def test_first_attempt_never_decays():
    assert final_points(10, 10, Policy(decay_per_attempt=0.25), 1, BEFORE).points == D("10.00")


@pytest.mark.parametrize(
    ("attempt", "points"), [(2, "9.00"), (3, "8.00"), (5, "6.00"), (6, "5.00"), (7, "5.00"), (50, "5.00")]
)
def test_decay_per_attempt_with_floor(attempt, points):
    result = final_points(10, 10, Policy(decay_per_attempt=0.1, min_factor=0.5), attempt, BEFORE)
    assert result.points == D(points)
    [factor] = result.factors
    assert factor.kind == "attempt_decay"


def test_decay_explanations_in_plain_words():
    policy = Policy(decay_per_attempt=0.1, min_factor=0.5)
    assert final_points(10, 10, policy, 3, BEFORE).explanations == [
        "Attempt 3: 20% off (10% for each of 2 attempts after the first)."
    ]
    assert final_points(10, 10, policy, 8, BEFORE).explanations == [
        "Attempt 8: 50% off, the most repeated attempts can cost "
        "(10% per attempt after the first, keeping at least 50%)."
    ]


def test_decay_without_floor_reaches_zero():
    assert final_points(10, 10, Policy(decay_per_attempt=0.3), 5, BEFORE).points == D("0.00")


def test_floor_of_one_means_no_decay():
    assert final_points(10, 10, Policy(decay_per_attempt=0.3, min_factor=1), 5, BEFORE).factors == ()


@pytest.mark.parametrize("bad", [0, -1, True, 1.5])
def test_attempt_number_counts_from_one(bad):
    with pytest.raises(ValueError, match="attempt_number"):
        final_points(1, 1, Policy(), bad, BEFORE)


@pytest.mark.parametrize(("raw", "possible"), [(-1, 10), (11, 10), (0, -1), (float("nan"), 10)])
def test_raw_points_must_fit(raw, possible):
    with pytest.raises(ValueError):
        final_points(raw, possible, Policy(), 1, BEFORE)


# final_points: deadline -----------------------------------------------------------------------------

PENALTY = Policy(deadline=DEADLINE, late="penalty", late_penalty_per_day=0.1)


@pytest.mark.parametrize(
    ("late_by", "points"),
    [
        (timedelta(0), "10.00"),  # at the deadline: on time
        (-timedelta(days=3), "10.00"),
        (timedelta(seconds=1), "9.00"),  # a second late is a started day
        (timedelta(hours=23, minutes=59), "9.00"),
        (timedelta(days=1), "9.00"),
        (timedelta(days=1, seconds=1), "8.00"),
        (timedelta(days=9, hours=1), "0.00"),
        (timedelta(days=30), "0.00"),  # never below zero
    ],
)
def test_late_penalty_per_started_day(late_by, points):
    assert final_points(10, 10, PENALTY, 1, DEADLINE + late_by).points == D(points)


def test_late_penalty_explanation():
    result = final_points(10, 10, PENALTY, 1, DEADLINE + timedelta(days=1, hours=3))
    assert result.explanations == [
        "Submitted 1 day 3 hours after the deadline, 2 started days late: 20% off (10% per started day)."
    ]
    result = final_points(10, 10, PENALTY, 1, DEADLINE + timedelta(minutes=5))
    assert result.explanations[0].startswith("Submitted 5 minutes after the deadline, 1 started day late")


def test_late_without_penalty_costs_nothing():
    assert final_points(10, 10, Policy(deadline=DEADLINE), 1, DEADLINE + timedelta(days=2)).factors == ()


def test_late_under_lock_is_worth_nothing():
    policy = Policy(deadline=DEADLINE, late="lock")
    assert final_points(10, 10, policy, 1, DEADLINE).points == D("10.00")
    result = final_points(10, 10, policy, 1, DEADLINE + timedelta(seconds=30))
    assert result.points == 0 and result.factors[0].kind == "late_lock"
    assert result.explanations == ["Submitted 30 seconds after the deadline, when the exercise was closed: no points."]


def test_decay_and_late_penalty_multiply():
    policy = Policy(decay_per_attempt=0.1, deadline=DEADLINE, late_penalty_per_day=0.25)
    result = final_points(8, 10, policy, 3, DEADLINE + timedelta(hours=30))
    assert [f.kind for f in result.factors] == ["attempt_decay", "late_penalty"]
    assert result.factor == D("0.40") and result.points == D("3.20")  # 8 × 0.8 × 0.5


def test_adjusted_points_round_half_up():
    assert final_points(D("3.33"), 10, Policy(decay_per_attempt=0.5), 2, BEFORE).points == D("1.67")  # 1.665


# Solution -------------------------------------------------------------------------------------------


def test_solution_visible_only_after_the_deadline_when_released():
    released = Policy(deadline=DEADLINE, release_solution_after_deadline=True)
    assert not solution_visible(released, BEFORE)
    assert not solution_visible(released, DEADLINE)
    assert solution_visible(released, DEADLINE + timedelta(seconds=1))
    assert not solution_visible(Policy(deadline=DEADLINE), DEADLINE + timedelta(days=1))
    assert not solution_visible(Policy(release_solution_after_deadline=True), DEADLINE + timedelta(days=1))


# Best score -----------------------------------------------------------------------------------------


def test_best_score_is_the_highest_adjusted_points():
    attempts = [Attempt(1, BEFORE, D("4.0")), Attempt(2, BEFORE + timedelta(minutes=1), 7.5), Attempt(3, DEADLINE, 6)]
    assert best_score(attempts).attempt_number == 2


def test_best_score_tie_goes_to_the_earliest():
    attempts = [Attempt(2, BEFORE + timedelta(minutes=5), 5), Attempt(1, BEFORE, D("5.00")), Attempt(3, DEADLINE, 5.0)]
    assert best_score(attempts).attempt_number == 1
    same_time = [Attempt(4, BEFORE, 5), Attempt(3, BEFORE, 5)]
    assert best_score(same_time).attempt_number == 3


def test_best_score_skips_ungraded_attempts():
    assert best_score([Attempt(1, BEFORE, None), Attempt(2, DEADLINE, 0)]).attempt_number == 2
    assert best_score([Attempt(1, BEFORE, None)]) is None
    assert best_score([]) is None


def test_best_score_returns_the_callers_own_object():
    class Row:
        def __init__(self, attempt_number, submitted_at, points):
            self.attempt_number, self.submitted_at, self.points = attempt_number, submitted_at, points

    rows = [Row(1, BEFORE, 2), Row(2, DEADLINE, 3)]
    assert best_score(rows) is rows[1]
