"""The pure status rules, moved through time with an injected clock."""

from datetime import UTC, datetime, timedelta

import pytest

from onboarding.status import Facts, Period, Renewal, State, add_months, periods, programme_status

T0 = datetime(2025, 1, 10, 9, 0, tzinfo=UTC)
DAYS = 30


def at(days: float) -> datetime:
    return T0 + timedelta(days=days)


def status(facts: Facts, now: datetime):
    return programme_status(facts, now=now, expiring_days=DAYS)


def test_a_year_in_the_life_of_a_programme():
    """never started → in progress → valid → expiring soon → expired → renewed by the refresher."""
    passed_at, refreshed_at = at(3), at(400)
    facts = Facts(validity_months=12, passes=[[passed_at]], refreshed_at=[refreshed_at], started=False)
    assert status(Facts(validity_months=12, passes=[[]]), at(0)).state == State.NEVER_STARTED
    assert status(Facts(validity_months=12, passes=[[]], started=True), at(1)).state == State.IN_PROGRESS

    valid = status(facts, at(4))
    assert valid.state == State.VALID and valid.passed_at == passed_at
    assert valid.valid_until == datetime(2026, 1, 13, 9, 0, tzinfo=UTC)  # 12 calendar months
    assert status(facts, valid.valid_until - timedelta(days=DAYS + 1)).state == State.VALID
    assert status(facts, valid.valid_until - timedelta(days=DAYS)).state == State.EXPIRING_SOON
    assert status(facts, valid.valid_until - timedelta(seconds=1)).state == State.EXPIRING_SOON
    assert status(facts, valid.valid_until).state == State.EXPIRED
    assert status(facts, at(399)).state == State.EXPIRED

    renewed = status(facts, at(401))
    assert renewed.state == State.VALID and renewed.passed_at == refreshed_at
    assert renewed.period.via == Renewal.REFRESHER and renewed.valid_until == add_months(refreshed_at, 12)


def test_the_pass_date_is_when_the_last_course_passed():
    facts = Facts(validity_months=6, passes=[[at(2)], [at(9)], [at(5)]])
    assert status(facts, at(3)).state == State.IN_PROGRESS
    assert status(facts, at(3)).missing == (1, 2)
    result = status(facts, at(10))
    assert result.state == State.VALID and result.passed_at == at(9)


def test_a_later_score_does_not_move_the_pass_but_passing_again_in_the_window_renews():
    """Improving a score right after passing starts no new period; passing every course again once
    the pass is expiring soon does (no refresher needed)."""
    first = at(0)
    until = add_months(first, 12)
    facts = Facts(validity_months=12, passes=[[first, at(1)], [first, at(2), until - timedelta(days=5)]])
    assert periods(facts, now=until, expiring_days=DAYS) == [Period(first, until)]  # course 1 not again
    facts = Facts(validity_months=12, passes=[[first, until - timedelta(days=10)], [first, until - timedelta(days=5)]])
    found = periods(facts, now=until, expiring_days=DAYS)
    assert [p.via for p in found] == [Renewal.FIRST_PASS, Renewal.RETAKEN]
    assert found[1].valid_from == until - timedelta(days=5)


def test_a_refresher_before_the_first_pass_or_before_the_window_does_not_renew():
    first = at(10)
    facts = Facts(validity_months=12, passes=[[first]], refreshed_at=[at(5), at(100)])
    assert periods(facts, now=at(800), expiring_days=DAYS) == [Period(first, add_months(first, 12))]


def test_renewals_chain_and_each_starts_from_its_own_date():
    facts = Facts(validity_months=12, passes=[[at(0)]], refreshed_at=[at(350), at(700), at(701)])
    found = periods(facts, now=at(1000), expiring_days=DAYS)
    assert [p.valid_from for p in found] == [at(0), at(350), at(700)]
    assert status(facts, at(1000)).valid_until == add_months(at(700), 12)


def test_after_a_recorded_period_only_its_renewals_are_returned():
    recorded = Period(at(0), add_months(at(0), 12))
    facts = Facts(validity_months=12, passes=[[at(-3), at(0)]], refreshed_at=[at(360)])
    assert periods(facts, now=at(400), expiring_days=DAYS, after=recorded) == [
        Period(at(360), add_months(at(360), 12), Renewal.REFRESHER)
    ]


def test_events_after_now_are_ignored():
    facts = Facts(validity_months=12, passes=[[at(5)]])
    assert status(facts, at(4)).state == State.NEVER_STARTED


def test_month_ends_are_clamped():
    assert add_months(datetime(2024, 1, 31, tzinfo=UTC), 1) == datetime(2024, 2, 29, tzinfo=UTC)
    assert add_months(datetime(2025, 11, 30, tzinfo=UTC), 3) == datetime(2026, 2, 28, tzinfo=UTC)


def test_naive_times_and_bad_periods_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        status(Facts(validity_months=12), datetime(2025, 1, 1))
    with pytest.raises(ValueError, match="validity_months"):
        status(Facts(validity_months=0), T0)


def test_a_programme_without_courses_is_never_passed():
    assert status(Facts(validity_months=12, passes=[]), T0).state == State.NEVER_STARTED
