"""Scoring and feedback for code exercises: the runner's per-test outcomes in, points and safe feedback out.

Pure (no Django, no database, no I/O), so one function scores a submission, a regrade and the
admin's validation runs alike, and its rules can be tested exhaustively. Points are Decimals rounded
to hundredths, half up, so 0.1 + 0.2 is 0.3 and a gradebook column adds up to its total.

The specs decide what counts: an outcome for a test the exercise does not define is ignored (a
forged or stale result cannot add points), and a test with no outcome scores 0 as `not_run`. A
timeout, error or not-run test earns nothing, but every other test keeps its credit.

Feedback is strict because nbgrader leaks hidden tests through it. A hidden test's name, message and
output are never copied into feedback, whatever its disclosure: students see one aggregate line. And
since student code may run in the same process as the tests (the gateway backend), it could dig a
hidden test's source out of the interpreter and print it from inside a public test; so public
messages and outputs are scrubbed of what only a hidden test reveals (`_hidden_secrets`): its name,
its own lines, the texts and numbers written only in it, and its messages and outputs. The runner's
ordering (student code first, then the public tests, then the hidden ones) is the first defence;
this scrub is the second.

What a hidden test shares with a public one is not a secret: an imported nbgrader cell's hidden test
repeats the cell's public lines, so a student's error there fails both alike. A hidden message the
runner wrote (a limit) is never scrubbed, and one the student's code raised (`raised_by`) only when
it holds a text or number written only in a hidden test, such as an input it echoed.
"""

import ast
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Literal, get_args

Status = Literal["passed", "partial", "failed", "error", "timeout", "not_run"]
Disclosure = Literal["show", "hide", "pass_fail", "hide_if_passed"]
Mode = Literal["check", "submit"]
# Who wrote a test's message (runner/grading_protocol.py): the test itself, the student's code or the runner.
RaisedBy = Literal["", "student", "runner"]

STATUSES: tuple[str, ...] = get_args(Status)
DISCLOSURES: tuple[str, ...] = get_args(Disclosure)
MODES: tuple[str, ...] = get_args(Mode)
RAISED_BY: tuple[str, ...] = get_args(RaisedBy)
# Statuses that earn nothing, whatever fraction was reported with them.
NO_CREDIT: frozenset[str] = frozenset({"failed", "error", "timeout", "not_run"})

MAX_MESSAGE_CHARS = 2000
MAX_OUTPUT_CHARS = 2000
TRUNCATED = "… (truncated)"
REDACTED = "[hidden]"
# Hidden lines shorter than this are not scrubbed from public text: "pass" or "x = 1" would blank
# out ordinary output and carry no secret worth hiding.
MIN_REDACTED_LINE_CHARS = 8
CENT = Decimal("0.01")


def to_decimal(value: Decimal | float | int | str) -> Decimal:
    """An exact, finite Decimal; floats go through their shortest repr, so 0.1 is 0.1 and not 0.1000000000000000055."""
    if isinstance(value, bool):
        raise TypeError("points must be a number, not a bool")
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"{value!r} is not a number") from None
    else:
        raise TypeError(f"expected a number, got {type(value).__name__}")
    if not number.is_finite():
        raise ValueError(f"{value!r} is not a finite number")
    return number


def round_points(value: Decimal) -> Decimal:
    """Points to hundredths, half up (2.675 is 2.68, as a person rounding by hand would expect)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def format_points(value: Decimal | float | int) -> str:
    """Points for people: at least one decimal, at most two ("5.0", "5.5", "5.25")."""
    rounded = round_points(to_decimal(value))
    if rounded == rounded.to_integral_value():
        return f"{rounded:.1f}"
    return f"{rounded:.2f}".rstrip("0")


def _fraction_or_none(value: Any) -> float | None:
    """A reported fraction made safe: non-numbers and NaN give None, the rest is clamped to [0, 1]."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if number != number:  # NaN
        return None
    return max(0.0, min(1.0, number))


@dataclass(frozen=True)
class TestSpec:
    """One test as the exercise defines it: its points, whether it is hidden, and what students may see of it.

    `points` accepts a float, int, str or Decimal and is stored as a Decimal. A `disclosure` of None
    means the policy's default. `source` is optional and used only for feedback: a hidden test's
    lines are scrubbed out of public tests' feedback, except those a public test's source shares;
    pass it for every test.
    """

    __test__ = False  # not a pytest test class

    name: str
    points: Decimal | float | int | str = Decimal(1)
    hidden: bool = False
    disclosure: Disclosure | None = None
    source: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError("a test needs a name")
        points = to_decimal(self.points)
        if points < 0:
            raise ValueError(f"test {self.name!r}: points cannot be negative")
        object.__setattr__(self, "points", points)
        if self.disclosure is not None and self.disclosure not in DISCLOSURES:
            raise ValueError(f"test {self.name!r}: disclosure must be one of {', '.join(DISCLOSURES)}")


@dataclass(frozen=True)
class TestOutcome:
    """What the runner reported for one test (see runner/grading_protocol.py).

    `fraction` may be left out: a passed test then earns 1 and anything else 0. Statuses in
    NO_CREDIT always carry a fraction of 0, whatever was reported.
    """

    __test__ = False  # not a pytest test class

    name: str
    status: Status
    fraction: float | None = None
    message: str = ""
    output: str = ""
    duration_ms: float = 0.0
    raised_by: RaisedBy = ""

    def __post_init__(self) -> None:
        if self.raised_by not in RAISED_BY:
            raise ValueError(f"test {self.name!r}: unknown author {self.raised_by!r} of its message")
        if self.status not in STATUSES:
            raise ValueError(f"test {self.name!r}: unknown status {self.status!r}")
        if self.status in NO_CREDIT:
            fraction = 0.0
        elif self.fraction is None:
            fraction = 1.0 if self.status == "passed" else 0.0
        else:
            fraction = float(self.fraction)
            if not 0.0 <= fraction <= 1.0:  # also refuses NaN
                raise ValueError(f"test {self.name!r}: fraction must be between 0 and 1, not {self.fraction!r}")
        object.__setattr__(self, "fraction", fraction)

    @classmethod
    def from_runner(cls, data: Mapping[str, Any] | Any) -> "TestOutcome":
        """An outcome from the runner's dict (the harness entry or an `asdict` of runner.grading_protocol.TestOutcome).

        Lenient where the runner may be: an unknown status becomes "error", a fraction that is
        missing is derived from points / points_possible, a garbage or NaN fraction counts as 0 and
        anything else is clamped to [0, 1]. Objects with the same attributes are accepted too.
        """
        if isinstance(data, Mapping):
            get = data.get
        else:

            def get(key: str, default: Any = None) -> Any:
                return getattr(data, key, default)

        name = str(get("name") or "")
        status = str(get("status") or "error")
        if status not in STATUSES:
            status = "error"
        fraction = _fraction_or_none(get("fraction"))
        if fraction is None and status not in NO_CREDIT:
            try:
                points, possible = float(get("points")), float(get("points_possible"))
            except (TypeError, ValueError):
                points, possible = 0.0, 0.0
            if possible > 0 and points == points:
                fraction = _fraction_or_none(points / possible)
            if fraction is None:
                fraction = 1.0 if status == "passed" else 0.0
        try:
            duration = float(get("duration_ms", get("duration", 0.0)) or 0.0)
        except (TypeError, ValueError):
            duration = 0.0
        raised_by = get("raised_by") or ""
        return cls(
            name=name,
            status=status,  # type: ignore[arg-type]  # checked against STATUSES above
            fraction=fraction,
            message=str(get("message") or ""),
            output=str(get("output") or ""),
            duration_ms=duration if duration == duration else 0.0,
            raised_by=raised_by if raised_by in RAISED_BY else "",  # type: ignore[arg-type]  # checked
        )


@dataclass(frozen=True)
class TestScore:
    """One test's result in a breakdown: the outcome with the points it earned out of the points it was worth."""

    __test__ = False  # not a pytest test class

    name: str
    status: Status
    fraction: float
    points: Decimal
    possible: Decimal
    message: str = ""
    output: str = ""
    duration_ms: float = 0.0
    raised_by: RaisedBy = ""

    @property
    def passed(self) -> bool:
        return self.status == "passed"


@dataclass(frozen=True)
class ScoreBreakdown:
    """Per-test points, in the specs' order, and the totals. The total is the sum of the per-test points
    as rounded and shown, so what a student sees adds up."""

    tests: tuple[TestScore, ...]
    total: Decimal
    possible: Decimal
    percent: Decimal

    def test(self, name: str) -> TestScore | None:
        return next((test for test in self.tests if test.name == name), None)

    @property
    def full_marks(self) -> bool:
        """Every test passed and earned all its points (the admin's check of a reference solution)."""
        return all(test.passed for test in self.tests) and self.total == self.possible

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, for storing with the submission. It holds hidden tests' details: never send it to a browser."""
        return {
            "total": float(self.total),
            "possible": float(self.possible),
            "percent": float(self.percent),
            "tests": [
                {
                    "name": test.name,
                    "status": test.status,
                    "fraction": test.fraction,
                    "points": float(test.points),
                    "possible": float(test.possible),
                    "message": test.message,
                    "output": test.output,
                    "duration_ms": test.duration_ms,
                    "raised_by": test.raised_by,
                }
                for test in self.tests
            ],
        }


def _check_unique(specs: Sequence[TestSpec]) -> None:
    seen: set[str] = set()
    for spec in specs:
        if spec.name in seen:
            raise ValueError(f"two tests are named {spec.name!r}; test names must be unique")
        seen.add(spec.name)


def score(outcomes: Iterable[TestOutcome | Mapping[str, Any]], specs: Sequence[TestSpec]) -> ScoreBreakdown:
    """Points per test (points × fraction, rounded to hundredths), total, possible and percent.

    Runner dicts are accepted in `outcomes` and read with `TestOutcome.from_runner`. Outcomes for
    tests not in `specs` are ignored; specs without an outcome count as `not_run`. Two outcomes for
    one test are refused, as that is a runner bug rather than something to guess about. With
    nothing possible (no tests, or tests worth 0) the percent is 0.
    """
    _check_unique(specs)
    by_name: dict[str, TestOutcome] = {}
    for item in outcomes:
        outcome = item if isinstance(item, TestOutcome) else TestOutcome.from_runner(item)
        if outcome.name in by_name:
            raise ValueError(f"the runner reported test {outcome.name!r} twice")
        by_name[outcome.name] = outcome
    tests = []
    for spec in specs:
        outcome = by_name.get(spec.name) or TestOutcome(spec.name, "not_run")
        fraction = float(outcome.fraction or 0.0)
        possible = to_decimal(spec.points)
        earned = round_points(possible * to_decimal(fraction))
        tests.append(
            TestScore(
                name=spec.name,
                status=outcome.status,
                fraction=fraction,
                points=earned,
                possible=possible,
                message=outcome.message,
                output=outcome.output,
                duration_ms=outcome.duration_ms,
                raised_by=outcome.raised_by,
            )
        )
    total = sum((test.points for test in tests), Decimal(0))
    possible_total = sum((test.possible for test in tests), Decimal(0))
    percent = round_points(total * 100 / possible_total) if possible_total > 0 else Decimal("0.00")
    return ScoreBreakdown(tuple(tests), round_points(total), round_points(possible_total), percent)


def truncate_message(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """The head of a message: the assertion text comes first."""
    return text if len(text) <= limit else text[: limit - len(TRUNCATED)] + TRUNCATED


def truncate_output(text: str, limit: int = MAX_OUTPUT_CHARS) -> str:
    """The tail of an output: the end of a traceback or a log is the useful part."""
    marker = "(truncated) …"
    return text if len(text) <= limit else marker + text[len(text) - (limit - len(marker)) :]


# A number as written in code or a message: "3", "17.48", "1e-3"; not a digit inside a word ("x3").
_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?:[eE][-+]?\d+)?(?!\w|\.\d)")


def _numbers(text: str) -> set[float]:
    return {float(token) for token in _NUMBER.findall(text)}


def _string_constants(source: str) -> set[str]:
    """The lines of a source's string literals (f-strings' literal parts too); none if it does not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return set()
    return {
        line.strip()
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        for line in node.value.splitlines()
    }


class _HiddenOnly:
    """What only the hidden tests' sources hold: lines, string literals and numbers no public test's source has."""

    def __init__(self, hidden_sources: Sequence[str], public_sources: Sequence[str]):
        public_lines = {line.strip() for source in public_sources for line in source.splitlines()}
        self.lines = {line.strip() for source in hidden_sources for line in source.splitlines()} - public_lines
        public_texts = set().union(*map(_string_constants, public_sources))
        self.texts = {
            text
            for source in hidden_sources
            for text in _string_constants(source) - public_texts
            if len(text) >= MIN_REDACTED_LINE_CHARS
        }
        self.numbers = _numbers("\n".join(self.lines)) - _numbers("\n".join(public_sources))

    def found_in(self, line: str) -> bool:
        return bool(_numbers(line) & self.numbers) or any(text in line for text in self.texts)


def _hidden_secrets(hidden_specs: Sequence[TestSpec], public_specs: Sequence[TestSpec], hidden_results) -> list[str]:
    """The texts public feedback is scrubbed of (besides hidden names); see the module's docstring.

    A hidden test's message is a secret when the test wrote it (an assertion's text, an expected
    value it computed). One the runner wrote (a limit) never is. One the student's code raised is the
    student's own error, which the public lines of an imported nbgrader cell, or another cell's stub,
    raise alike; it stays a secret only when it holds a number or text written only in a hidden test
    (an input the student's function echoed). Outputs mix the test's prints and the student's: all
    secret.
    """
    only = _HiddenOnly([spec.source for spec in hidden_specs], [spec.source for spec in public_specs])
    secrets = [*only.lines, *only.texts]
    for result in hidden_results:
        secrets += result.output.splitlines()
        if result.raised_by == "runner":
            continue
        secrets += [
            line for line in result.message.splitlines() if result.raised_by != "student" or only.found_in(line)
        ]
    return secrets


class _Scrubber:
    """Replaces hidden tests' names (as whole identifiers) and their longer lines in public text."""

    def __init__(self, names: Iterable[str], texts: Iterable[str]):
        lines = {line.strip() for text in texts for line in text.splitlines()}
        secrets = sorted((line for line in lines if len(line) >= MIN_REDACTED_LINE_CHARS), key=len, reverse=True)
        parts = [re.escape(line) for line in secrets]
        parts += [rf"(?<!\w){re.escape(name)}(?!\w)" for name in sorted(set(names), key=len, reverse=True) if name]
        self._pattern = re.compile("|".join(parts)) if parts else None

    def __call__(self, text: str) -> str:
        return self._pattern.sub(REDACTED, text) if self._pattern and text else text


def feedback_for(
    breakdown: ScoreBreakdown,
    specs: Sequence[TestSpec],
    *,
    mode: Mode,
    default_disclosure: Disclosure = "show",
) -> list[dict[str, Any]]:
    """What a student may see of a graded run, one dict per shown test, in the specs' order.

    Per public test, by its disclosure (or `default_disclosure`, the policy's):
      - "show": kind, name, status, passed, points, possible, message, output;
      - "pass_fail": kind, name, passed;
      - "hide_if_passed": nothing if it passed, else as "show";
      - "hide": nothing at all (its points still count in the breakdown's total).
    Hidden tests: in "check" mode nothing (check runs public tests only); in "submit" mode one
    aggregate dict of kind "hidden" counting every hidden test whose disclosure is not "hide", e.g.
    "Hidden tests: 3 of 4 passed, 5.0 of 7.0 points". Never a hidden name, message or output.

    Pass every spec with its source, hidden ones too, even in "check" mode: the hidden names and
    sources, less what the public sources share, are what public messages and outputs are scrubbed
    of. A test in the breakdown with no spec is not shown.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}")
    if default_disclosure not in DISCLOSURES:
        raise ValueError(f"default disclosure must be one of {', '.join(DISCLOSURES)}")
    _check_unique(specs)
    results = {test.name: test for test in breakdown.tests}
    hidden_specs = [spec for spec in specs if spec.hidden]
    hidden_results = [results[spec.name] for spec in hidden_specs if spec.name in results]
    public_specs = [spec for spec in specs if not spec.hidden]
    scrub = _Scrubber(
        names=[spec.name for spec in hidden_specs], texts=_hidden_secrets(hidden_specs, public_specs, hidden_results)
    )
    items: list[dict[str, Any]] = []
    hidden_count, hidden_passed, hidden_points, hidden_possible = 0, 0, Decimal(0), Decimal(0)
    for spec in specs:
        test = results.get(spec.name)
        if test is None:
            continue
        disclosure = spec.disclosure or default_disclosure
        if spec.hidden:
            if mode == "submit" and disclosure != "hide":
                hidden_count += 1
                hidden_passed += int(test.passed)
                hidden_points += test.points
                hidden_possible += test.possible
            continue
        if disclosure == "hide" or (disclosure == "hide_if_passed" and test.passed):
            continue
        if disclosure == "pass_fail":
            items.append({"kind": "test", "name": spec.name, "passed": test.passed})
            continue
        items.append(
            {
                "kind": "test",
                "name": spec.name,
                "status": test.status,
                "passed": test.passed,
                "points": float(test.points),
                "possible": float(test.possible),
                "message": truncate_message(scrub(test.message)),
                "output": truncate_output(scrub(test.output)),
            }
        )
    if hidden_count:
        items.append(
            {
                "kind": "hidden",
                "count": hidden_count,
                "passed": hidden_passed,
                "points": float(hidden_points),
                "possible": float(hidden_possible),
                "message": f"Hidden tests: {hidden_passed} of {hidden_count} passed, "
                f"{format_points(hidden_points)} of {format_points(hidden_possible)} points",
            }
        )
    return items
