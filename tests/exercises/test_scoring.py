"""Scoring of per-test outcomes and the feedback students see: points add up, hidden tests never leak."""

import itertools
import json
import random
from dataclasses import asdict
from decimal import Decimal

import pytest

from exercises.scoring import (
    DISCLOSURES,
    MAX_MESSAGE_CHARS,
    MAX_OUTPUT_CHARS,
    REDACTED,
    STATUSES,
    TestOutcome,
    TestSpec,
    feedback_for,
    format_points,
    score,
    to_decimal,
)
from runner import grading_protocol as grading

D = Decimal


def outcome(name: str, status: str = "passed", fraction: float | None = None, **extra) -> TestOutcome:
    return TestOutcome(name, status, fraction, **extra)


# Points ----------------------------------------------------------------------------------------------


def test_points_are_points_times_fraction_rounded_to_hundredths():
    specs = [TestSpec("a", 2), TestSpec("b", 3), TestSpec("c", 1.5)]
    result = score([outcome("a"), outcome("b", "partial", 1 / 3), outcome("c", "failed")], specs)
    assert [t.points for t in result.tests] == [D("2.00"), D("1.00"), D("0.00")]
    assert (result.total, result.possible, result.percent) == (D("3.00"), D("6.50"), D("46.15"))


def test_total_is_the_sum_of_the_shown_points_so_it_adds_up():
    specs = [TestSpec(f"t{i}", 1) for i in range(3)]
    result = score([outcome(f"t{i}", "partial", 1 / 3) for i in range(3)], specs)
    assert [t.points for t in result.tests] == [D("0.33")] * 3
    assert result.total == D("0.99")


def test_decimal_points_avoid_binary_rounding():
    specs = [TestSpec("a", 0.1), TestSpec("b", 0.2)]
    assert score([outcome("a"), outcome("b")], specs).total == D("0.30")
    assert score([outcome("a", "partial", 0.5)], [TestSpec("a", "5.35")]).tests[0].points == D("2.68")  # half up


@pytest.mark.parametrize("status", ["timeout", "error", "not_run", "failed"])
def test_a_test_without_credit_earns_nothing_but_others_keep_theirs(status):
    specs = [TestSpec("ok", 2), TestSpec("bad", 3), TestSpec("half", 4)]
    result = score([outcome("ok"), outcome("bad", status, 0.9), outcome("half", "partial", 0.5)], specs)
    assert result.test("bad").points == 0 and result.test("bad").fraction == 0.0
    assert result.total == D("4.00") and result.possible == D("9.00")


def test_missing_outcomes_are_not_run_and_unknown_outcomes_add_nothing():
    specs = [TestSpec("a", 1), TestSpec("b", 1)]
    result = score([outcome("a"), outcome("forged", "passed")], specs)
    assert [(t.name, t.status) for t in result.tests] == [("a", "passed"), ("b", "not_run")]
    assert result.total == D("1.00") and result.possible == D("2.00")
    assert result.test("forged") is None


def test_no_tests_or_zero_points_give_zero_percent():
    assert score([], []).percent == 0
    assert score([outcome("a")], [TestSpec("a", 0)]).percent == 0


def test_duplicate_names_are_refused():
    with pytest.raises(ValueError, match="unique"):
        score([], [TestSpec("a"), TestSpec("a")])
    with pytest.raises(ValueError, match="twice"):
        score([outcome("a"), outcome("a")], [TestSpec("a")])


def test_full_marks_needs_every_test_passed():
    specs = [TestSpec("a", 1), TestSpec("z", 0)]
    assert score([outcome("a"), outcome("z")], specs).full_marks
    assert not score([outcome("a"), outcome("z", "failed")], specs).full_marks
    assert not score([outcome("a", "partial", 0.999)], [TestSpec("a", 1)]).full_marks


def test_as_dict_is_json_ready():
    result = score([outcome("a", "partial", 0.25)], [TestSpec("a", 2)])
    data = json.loads(json.dumps(result.as_dict()))
    assert data["total"] == 0.5 and data["tests"][0]["points"] == 0.5 and data["percent"] == 25.0


@pytest.mark.parametrize(
    ("value", "text"), [(5, "5.0"), (D("5.5"), "5.5"), (5.25, "5.25"), (D("7.005"), "7.01"), (0, "0.0")]
)
def test_format_points(value, text):
    assert format_points(value) == text


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), "abc", True, None])
def test_to_decimal_refuses_non_numbers(bad):
    with pytest.raises((ValueError, TypeError)):
        to_decimal(bad)


# Specs and outcomes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"name": ""},
        {"name": "a", "points": -1},
        {"name": "a", "points": float("nan")},
        {"name": "a", "disclosure": "some"},
    ],
)
def test_malformed_specs_are_refused(kwargs):
    with pytest.raises((ValueError, TypeError)):
        TestSpec(**kwargs)


def test_outcome_defaults_and_validation():
    assert outcome("a").fraction == 1.0
    assert outcome("a", "partial").fraction == 0.0
    assert outcome("a", "timeout", 1.0).fraction == 0.0
    for bad in (1.5, -0.1, float("nan")):
        with pytest.raises(ValueError):
            outcome("a", "partial", bad)
    with pytest.raises(ValueError, match="status"):
        TestOutcome("a", "skipped")  # type: ignore[arg-type]


def test_from_runner_reads_the_harness_entry():
    entry = {"name": "t", "status": "partial", "fraction": 0.4, "message": "m", "output": "o", "duration_ms": 3.5}
    assert TestOutcome.from_runner(entry) == TestOutcome("t", "partial", 0.4, "m", "o", 3.5)


def test_from_runner_reads_the_runner_outcome_as_dict_or_object():
    runner_outcome = grading.TestOutcome("t", "partial", points=1.5, points_possible=2.0, message="close")
    for data in (asdict(runner_outcome), runner_outcome):
        parsed = TestOutcome.from_runner(data)
        assert (parsed.status, parsed.fraction, parsed.message) == ("partial", 0.75, "close")


@pytest.mark.parametrize(
    ("entry", "status", "fraction"),
    [
        ({"name": "t", "status": "exploded"}, "error", 0.0),
        ({"name": "t", "status": "partial", "fraction": "nan"}, "partial", 0.0),
        ({"name": "t", "status": "partial", "fraction": float("nan")}, "partial", 0.0),
        ({"name": "t", "status": "partial", "fraction": 7}, "partial", 1.0),
        ({"name": "t", "status": "partial", "fraction": -2}, "partial", 0.0),
        ({"name": "t", "status": "passed"}, "passed", 1.0),
        ({"name": "t", "status": "timeout", "fraction": 1.0}, "timeout", 0.0),
        ({"name": "t", "status": "passed", "points": 1, "points_possible": 0}, "passed", 1.0),
    ],
)
def test_from_runner_is_lenient_but_safe(entry, status, fraction):
    parsed = TestOutcome.from_runner(entry)
    assert (parsed.status, parsed.fraction) == (status, fraction)


def test_score_accepts_runner_dicts():
    result = score([{"name": "a", "status": "passed", "fraction": 1.0}], [TestSpec("a", 2)])
    assert result.total == D("2.00")


# Feedback by disclosure -----------------------------------------------------------------------------


def public_run(status: str, disclosure: str):
    specs = [TestSpec("t", 2, disclosure=disclosure)]
    fraction = {"passed": 1.0, "partial": 0.5}.get(status)
    return score([outcome("t", status, fraction, message="msg", output="out")], specs), specs


@pytest.mark.parametrize("status", STATUSES)
def test_show_gives_name_status_points_message_and_output(status):
    breakdown, specs = public_run(status, "show")
    [item] = feedback_for(breakdown, specs, mode="check")
    assert item["name"] == "t" and item["status"] == status and item["possible"] == 2.0
    assert (item["message"], item["output"]) == ("msg", "out")
    assert item["passed"] is (status == "passed")


@pytest.mark.parametrize("status", STATUSES)
def test_hide_gives_nothing_but_still_counts(status):
    breakdown, specs = public_run(status, "hide")
    assert feedback_for(breakdown, specs, mode="submit") == []
    assert breakdown.possible == 2


@pytest.mark.parametrize("status", STATUSES)
def test_pass_fail_gives_only_name_and_passed(status):
    breakdown, specs = public_run(status, "pass_fail")
    assert feedback_for(breakdown, specs, mode="submit") == [
        {"kind": "test", "name": "t", "passed": status == "passed"}
    ]


@pytest.mark.parametrize("status", STATUSES)
def test_hide_if_passed(status):
    breakdown, specs = public_run(status, "hide_if_passed")
    items = feedback_for(breakdown, specs, mode="submit")
    if status == "passed":
        assert items == []
    else:
        assert items[0]["message"] == "msg" and items[0]["status"] == status


def test_default_disclosure_applies_to_tests_without_one():
    specs = [TestSpec("a"), TestSpec("b", disclosure="show")]
    breakdown = score([outcome("a"), outcome("b")], specs)
    items = feedback_for(breakdown, specs, mode="submit", default_disclosure="pass_fail")
    assert items == [{"kind": "test", "name": "a", "passed": True}, {**items[1], "name": "b", "status": "passed"}]
    assert "message" in items[1]


def test_feedback_keeps_the_specs_order_and_skips_tests_without_spec():
    specs = [TestSpec("b"), TestSpec("a")]
    breakdown = score([outcome("a"), outcome("b")], [TestSpec("a"), TestSpec("b"), TestSpec("c")])
    assert [item["name"] for item in feedback_for(breakdown, specs, mode="check")] == ["b", "a"]


def test_messages_keep_their_head_and_outputs_their_tail():
    specs = [TestSpec("t")]
    long_message = "HEAD" + "m" * 5000
    long_output = "o" * 5000 + "TAIL"
    breakdown = score([outcome("t", "failed", message=long_message, output=long_output)], specs)
    [item] = feedback_for(breakdown, specs, mode="check")
    assert len(item["message"]) == MAX_MESSAGE_CHARS and item["message"].startswith("HEAD")
    assert len(item["output"]) == MAX_OUTPUT_CHARS and item["output"].endswith("TAIL")


def test_bad_mode_or_default_is_refused():
    with pytest.raises(ValueError):
        feedback_for(score([], []), [], mode="peek")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        feedback_for(score([], []), [], mode="check", default_disclosure="all")  # type: ignore[arg-type]


# Hidden tests ---------------------------------------------------------------------------------------


def test_submit_shows_one_aggregate_line_for_hidden_tests():
    specs = [
        TestSpec("public", 1),
        TestSpec("h1", 2, hidden=True),
        TestSpec("h2", 2, hidden=True, disclosure="show"),
        TestSpec("h3", 2, hidden=True, disclosure="pass_fail"),
        TestSpec("h4", 1, hidden=True, disclosure="hide_if_passed"),
        TestSpec("h5", 9, hidden=True, disclosure="hide"),
    ]
    outcomes = [
        outcome("public"),
        outcome("h1"),
        outcome("h2", "partial", 0.5),
        outcome("h3"),
        outcome("h4", "timeout"),
    ]
    outcomes.append(outcome("h5"))
    items = feedback_for(score(outcomes, specs), specs, mode="submit")
    assert [item["kind"] for item in items] == ["test", "hidden"]
    assert items[1] == {
        "kind": "hidden",
        "count": 4,
        "passed": 2,
        "points": 5.0,
        "possible": 7.0,
        "message": "Hidden tests: 2 of 4 passed, 5.0 of 7.0 points",
    }


def test_check_says_nothing_of_hidden_tests():
    specs = [TestSpec("public"), TestSpec("secret", hidden=True)]
    items = feedback_for(score([outcome("public"), outcome("secret")], specs), specs, mode="check")
    assert [item["kind"] for item in items] == ["test"]


def test_no_aggregate_line_without_hidden_tests():
    specs = [TestSpec("public")]
    assert [i["kind"] for i in feedback_for(score([outcome("public")], specs), specs, mode="submit")] == ["test"]


SECRET_NAME = "test_secret_edge_case"
SECRET_SOURCE = "def test_secret_edge_case():\n    assert energy(7.25) == 4242.125, 'zeta-oracle'\n"
SECRET_MESSAGE = "expected 4242.125 from the zeta oracle"
SECRET_OUTPUT = "hidden-output-line: lambda 1.5418 Å"
SECRETS = (SECRET_NAME, "assert energy(7.25) == 4242.125", SECRET_MESSAGE, SECRET_OUTPUT)


def leaky_public_text(i: int) -> str:
    """What student code that dug the hidden test out of the interpreter might print in a public test."""
    variants = [SECRET_SOURCE, f"found {SECRET_NAME} in globals", SECRET_MESSAGE, f"> {SECRET_OUTPUT}\n", ""]
    return variants[i % len(variants)] + "ordinary text"


def assert_no_secret(items: list[dict]) -> None:
    text = json.dumps(items, ensure_ascii=False)
    for secret in SECRETS:
        assert secret not in text, secret
    assert "zeta-oracle" not in text


@pytest.mark.parametrize(
    ("mode", "hidden_disclosure", "hidden_status"),
    list(itertools.product(["check", "submit"], [*DISCLOSURES, None], STATUSES)),
)
def test_no_hidden_detail_reaches_feedback_whatever_the_disclosure_and_status(mode, hidden_disclosure, hidden_status):
    specs = [TestSpec(SECRET_NAME, 3, hidden=True, disclosure=hidden_disclosure, source=SECRET_SOURCE)]
    outcomes = [outcome(SECRET_NAME, hidden_status, 0.5 if hidden_status == "partial" else None)]
    outcomes[0] = TestOutcome(
        SECRET_NAME, hidden_status, outcomes[0].fraction, message=SECRET_MESSAGE, output=SECRET_OUTPUT
    )
    for index, (disclosure, status) in enumerate(itertools.product(DISCLOSURES, STATUSES)):
        name = f"public_{index}"
        specs.append(TestSpec(name, 1, disclosure=disclosure))
        outcomes.append(
            TestOutcome(
                name,
                status,
                0.5 if status == "partial" else None,
                message=leaky_public_text(index),
                output=leaky_public_text(index + 1),
            )
        )
    for default in DISCLOSURES:
        items = feedback_for(score(outcomes, specs), specs, mode=mode, default_disclosure=default)
        assert_no_secret(items)
        shown = [item for item in items if item["kind"] == "test" and "message" in item]
        assert shown and all("ordinary text" in item["message"] for item in shown)  # public text still shown


def test_random_exercises_never_leak_hidden_details():
    rng = random.Random(7)
    for _ in range(300):
        specs, outcomes, secrets = [], [], []
        for index in range(rng.randint(1, 8)):
            hidden = rng.random() < 0.5
            name = f"{'hidden' if hidden else 'public'}_test_{index}"
            status = rng.choice(STATUSES)
            fraction = rng.random() if status == "partial" else None
            source = f"def {name}():\n    assert solve({index}) == {index * 1009.5}\n" if hidden else ""
            message = f"secret message number {index} {rng.random()}" if hidden else leaky_public_text(index)
            output = f"secret output number {index} {rng.random()}" if hidden else leaky_public_text(index + 2)
            specs.append(TestSpec(name, rng.randint(0, 5), hidden, rng.choice([*DISCLOSURES, None]), source))
            outcomes.append(TestOutcome(name, status, fraction, message, output))
            if hidden:
                secrets += [name, message, output, f"assert solve({index}) == {index * 1009.5}"]
        if rng.random() < 0.5:  # a public test prints a hidden test's source and messages
            public = next((o for o in outcomes if o.name.startswith("public")), None)
            if public is not None:
                leaked = "\n".join(secrets)
                outcomes[outcomes.index(public)] = TestOutcome(
                    public.name, public.status, public.fraction, leaked, leaked
                )
        for mode in ("check", "submit"):
            text = json.dumps(feedback_for(score(outcomes, specs), specs, mode=mode), ensure_ascii=False)
            for secret in secrets:
                assert secret not in text


def test_scrubbing_replaces_whole_identifiers_only():
    specs = [TestSpec("test_sum", hidden=True), TestSpec("test_sum_large")]
    outcomes = [outcome("test_sum"), outcome("test_sum_large", "failed", message="test_sum_large vs test_sum: x")]
    [item, _] = feedback_for(score(outcomes, specs), specs, mode="submit")
    assert item["name"] == "test_sum_large"
    assert item["message"] == f"test_sum_large vs {REDACTED}: x"


def test_short_hidden_lines_are_not_scrubbed():
    specs = [TestSpec("h", hidden=True, source="x = 1\nassert compute() == 99.5\n"), TestSpec("p")]
    outcomes = [outcome("h"), outcome("p", "failed", message="x = 1 and assert compute() == 99.5")]
    item = feedback_for(score(outcomes, specs), specs, mode="check")[0]
    assert item["message"] == f"x = 1 and {REDACTED}"


# What a hidden test shares with a public one is not its secret -------------------------------------------

IMPORTED_PUBLIC = "def test_cell():\n    assert energy(1.0) > 0\n"
IMPORTED_HIDDEN = (
    "def test_cell_hidden():\n    assert energy(1.0) > 0\n"
    "    assert energy(0.7293) == 17.48, 'expected 17.48 keV for Mo K-alpha'\n"
)


def shared_error_feedback(hidden_message: str, raised_by: str, public_message: str | None = None) -> str:
    """The public message (the hidden one unless given) as the student sees it after a submit."""
    specs = [
        TestSpec("test_cell", 0, source=IMPORTED_PUBLIC),
        TestSpec("test_other", 1, source="def test_other():\n    assert energy(2.0) > 0\n"),
        TestSpec("test_cell_hidden", 2, hidden=True, source=IMPORTED_HIDDEN),
    ]
    public_message = hidden_message if public_message is None else public_message
    outcomes = [
        outcome("test_cell", "error", message=public_message, raised_by=raised_by),
        outcome("test_other", "passed"),
        outcome("test_cell_hidden", "error", message=hidden_message, raised_by=raised_by),
    ]
    return feedback_for(score(outcomes, specs), specs, mode="submit")[0]["message"]


@pytest.mark.parametrize(
    ("message", "raised_by"),
    [
        ("NotImplementedError: ", "student"),
        ("NameError: name 'energy_mev' is not defined", "student"),
        ("ValueError: no energy for 1.0 Å", "student"),  # a public input, echoed
        ("MemoryError: your code used more than 256 MiB of memory, so this test was stopped.", "runner"),
        ("Your code ran for more than 30 s, so it was stopped.", "runner"),
    ],
)
def test_an_error_a_hidden_test_shares_with_a_public_one_is_shown(message, raised_by):
    assert shared_error_feedback(message, raised_by) == message


@pytest.mark.parametrize(
    ("hidden_message", "public_message"),
    [
        ("ValueError: no energy for 0.7293 Å", None),  # a hidden input, echoed by the student's function
        ("ValueError: expected 17.48 keV for Mo K-alpha", None),  # a hidden text, re-raised
        ("ValueError: got 17.48", "ValueError: got 17.48 as well"),  # a hidden expected value
    ],
)
def test_a_student_error_holding_what_only_a_hidden_test_has_stays_hidden(hidden_message, public_message):
    shown = shared_error_feedback(hidden_message, "student", public_message)
    assert "0.7293" not in shown and "17.48" not in shown and "Mo K-alpha" not in shown
    assert REDACTED in shown


def test_a_hidden_tests_own_message_stays_hidden_even_without_a_hidden_value():
    """An assertion's text is the test's: a public test that shows it (e.g. student code that read the
    hidden source) gets it redacted, whatever it says."""
    assert shared_error_feedback("the edge case at zero is wrong", "") == REDACTED


def test_what_only_a_hidden_source_holds_is_redacted_and_what_it_shares_is_not():
    specs = [
        TestSpec("test_cell", 1, source=IMPORTED_PUBLIC),
        TestSpec("test_cell_hidden", 2, True, source=IMPORTED_HIDDEN),
    ]
    leak = (
        "assert energy(1.0) > 0\n"
        "assert energy(0.7293) == 17.48, 'expected 17.48 keV for Mo K-alpha'\n"
        "I read: expected 17.48 keV for Mo K-alpha in test_cell_hidden"
    )
    outcomes = [outcome("test_cell", "failed", message=leak, output=leak), outcome("test_cell_hidden", "passed")]
    for mode in ("check", "submit"):
        item = feedback_for(score(outcomes, specs), specs, mode=mode)[0]
        for text in (item["message"], item["output"]):
            assert text.splitlines() == ["assert energy(1.0) > 0", REDACTED, f"I read: {REDACTED} in {REDACTED}"]


def test_the_runners_author_of_a_message_is_kept_and_checked():
    assert score([{"name": "a", "status": "error", "raised_by": "student"}], [TestSpec("a")]).tests[0].raised_by == (
        "student"
    )
    assert TestOutcome.from_runner({"name": "a", "status": "error", "raised_by": "forged"}).raised_by == ""
    with pytest.raises(ValueError, match="author"):
        TestOutcome("a", "error", raised_by="forged")
