"""Quiz questions and their graders: single and multiple choice, numbers with units, short text by patterns.

Pure (no Django, no I/O). A question is a frozen dataclass checked when it is built, so a malformed
exercise fails in the admin with a clear ValueError rather than in front of a student. Grading
never raises on a student's answer: whatever they type (empty, garbage, NaN, a wrong unit) comes
back as a Grade, a (fraction, feedback) pair, with feedback that says what to fix and never reveals
the right answer.

Numbers are read and compared as Decimals, so "10.1 mm" against 10 ± 0.1 mm is in, not lost to
binary rounding; tolerance boundaries are inclusive. A simple fraction ("1/4", "-3/2 eV") is read as
its quotient. Units are a small documented set used in
photon and neutron science (see UNITS), chosen so that conversions are powers of ten (and π for angles):
  length: m, mm, µm (um), nm, Å (A, angstrom)
  energy: eV, meV, keV
  time:   s, ms, µs (us)
  angle:  deg (°, degree), rad (radian)
Units are case-sensitive, as in SI (mm is not Mm); "A" is the ångström here, never the ampere.
"""

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from typing import Literal, NamedTuple, get_args

from .scoring import to_decimal

NO_ANSWER = "No answer was given."
CORRECT = "Correct."
WRONG = "Not correct."
MAX_NUMBER_CHARS = 200
MAX_TEXT_CHARS = 1000
# Exponents beyond this are refused as out of range (Decimal would accept 1e999999 and make every
# comparison slow or overflow).
MAX_EXPONENT = 300
PI = Decimal("3.14159265358979323846264338327950288419716939937510")


class Grade(NamedTuple):
    """A grader's verdict: the fraction of the question's points earned, in [0, 1], and feedback lines."""

    fraction: float
    feedback: tuple[str, ...]


def _no_answer(answer: object) -> bool:
    return answer is None or (isinstance(answer, str) and not answer.strip())


# Choice questions ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    """One choice; `feedback` is shown to a student who picked it."""

    id: str
    text: str
    correct: bool = False
    feedback: str = ""


def _check_options(options: Iterable[Option]) -> tuple[Option, ...]:
    options = tuple(options)
    if len(options) < 2:
        raise ValueError("a choice question needs at least two options")
    ids = [option.id for option in options]
    if any(not isinstance(option_id, str) or not option_id.strip() for option_id in ids):
        raise ValueError("every option needs an id")
    if len(set(ids)) != len(ids):
        raise ValueError("option ids must be unique")
    if not any(option.correct for option in options):
        raise ValueError("at least one option must be correct")
    return options


@dataclass(frozen=True)
class SingleChoice:
    """Pick one option. If several are marked correct, any of them earns full marks."""

    options: tuple[Option, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "options", _check_options(self.options))

    def grade(self, answer: str | None) -> Grade:
        if _no_answer(answer):
            return Grade(0.0, (NO_ANSWER,))
        chosen = next((option for option in self.options if option.id == answer), None)
        if chosen is None:
            return Grade(0.0, ("That is not one of the options.",))
        if chosen.correct:
            return Grade(1.0, (chosen.feedback or CORRECT,))
        return Grade(0.0, (chosen.feedback or WRONG,))


ChoiceMode = Literal["all_or_nothing", "partial"]


@dataclass(frozen=True)
class MultipleChoice:
    """Pick any number of options.

    "all_or_nothing": full marks for exactly the correct set, else 0. "partial": (right picks − wrong
    picks) / number of correct options, never below 0, so ticking every box is not a strategy.
    Feedback: a summary, then the feedback of each option the student picked (never of the others,
    which would give the answer away).
    """

    options: tuple[Option, ...]
    mode: ChoiceMode = "all_or_nothing"

    def __post_init__(self) -> None:
        object.__setattr__(self, "options", _check_options(self.options))
        if self.mode not in get_args(ChoiceMode):
            raise ValueError(f"mode must be one of {', '.join(get_args(ChoiceMode))}")

    def grade(self, answer: Iterable[str] | str | None) -> Grade:
        if isinstance(answer, str):
            answer = [answer] if answer.strip() else []
        chosen_ids = set(answer or ())
        if not chosen_ids:
            return Grade(0.0, ("No option was selected.",))
        known = {option.id for option in self.options}
        if not chosen_ids <= known:
            return Grade(0.0, ("Your answer names options that are not in this question.",))
        chosen = [option for option in self.options if option.id in chosen_ids]
        right = sum(option.correct for option in chosen)
        wrong = len(chosen) - right
        needed = sum(option.correct for option in self.options)
        if self.mode == "all_or_nothing":
            fraction = 1.0 if right == needed and wrong == 0 else 0.0
            summary = CORRECT if fraction == 1.0 else "Not quite: your selection is not exactly the right set."
        else:
            fraction = max(0.0, (right - wrong) / needed)
            picked = f"You chose {_count(right, 'right option')} and {_count(wrong, 'wrong option')}."
            summary = CORRECT if fraction == 1.0 else picked
        lines = [summary] + [f"{option.text}: {option.feedback}" for option in chosen if option.feedback]
        return Grade(fraction, tuple(lines))


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


# Numbers with units -------------------------------------------------------------------------------

Dimension = Literal["length", "energy", "time", "angle"]
DIMENSION_WORDS: dict[str, str] = {"length": "a length", "energy": "an energy", "time": "a time", "angle": "an angle"}


@dataclass(frozen=True)
class Unit:
    """A unit: its symbol as shown, its dimension, and its size in the dimension's base unit (m, eV, s, rad)."""

    symbol: str
    dimension: Dimension
    factor: Decimal


with localcontext() as _context:
    _context.prec = 50
    _DEGREE = PI / 180

_UNIT_LIST = (
    (Unit("m", "length", Decimal(1)), ()),
    (Unit("mm", "length", Decimal("1e-3")), ()),
    (Unit("µm", "length", Decimal("1e-6")), ("um",)),
    (Unit("nm", "length", Decimal("1e-9")), ()),
    (Unit("Å", "length", Decimal("1e-10")), ("A", "angstrom", "angstroms", "Angstrom", "Angstroms")),
    (Unit("eV", "energy", Decimal(1)), ()),
    (Unit("meV", "energy", Decimal("1e-3")), ()),
    (Unit("keV", "energy", Decimal("1e3")), ()),
    (Unit("s", "time", Decimal(1)), ()),
    (Unit("ms", "time", Decimal("1e-3")), ()),
    (Unit("µs", "time", Decimal("1e-6")), ("us",)),
    (Unit("deg", "angle", _DEGREE), ("°", "degree", "degrees")),
    (Unit("rad", "angle", Decimal(1)), ("radian", "radians")),
)


def _key(symbol: str) -> str:
    # NFKC folds the micro sign into Greek mu and the ångström sign into Å, so every spelling meets.
    return unicodedata.normalize("NFKC", symbol).strip()


UNITS: dict[str, Unit] = {_key(alias): unit for unit, aliases in _UNIT_LIST for alias in (unit.symbol, *aliases)}


def units_of(dimension: Dimension) -> list[str]:
    return [unit.symbol for unit, _ in _UNIT_LIST if unit.dimension == dimension]


class QuantityError(ValueError):
    """A student's answer that cannot be read; the message is meant for them."""


class UnknownUnit(QuantityError):
    def __init__(self, symbol: str):
        super().__init__(f"Unknown unit {symbol!r}.")
        self.symbol = symbol


def find_unit(symbol: str) -> Unit:
    """The unit for a symbol or alias; UnknownUnit otherwise."""
    unit = UNITS.get(_key(symbol))
    if unit is None:
        raise UnknownUnit(symbol)
    return unit


class Quantity(NamedTuple):
    value: Decimal
    unit: Unit | None


_NUMBER_TEXT = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
# A number, or a simple fraction of two ("1/4", "-1.5/2", "3 / 4"), then whatever follows (the unit).
_NUMBER = re.compile(rf"({_NUMBER_TEXT})(?:\s*/\s*({_NUMBER_TEXT}))?\s*(.*)")
_NON_FINITE = re.compile(r"[+-]?(?:nan|inf|infinity)\b", re.IGNORECASE)
_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+")
NOT_A_NUMBER = "That is not a number this question can read; write it like 12.5, 1.25e1 or 1/4."


def _in_range(value: Decimal) -> Decimal:
    if value.is_zero():
        return Decimal(0)
    if abs(value.adjusted()) > MAX_EXPONENT:
        raise QuantityError("That number is out of range.")
    return value


def parse_quantity(text: str) -> Quantity:
    """A number or a simple fraction, with an optional unit: "12.5 mm", "1.25e1mm", "-3", "45°", "1/4 eV".
    QuantityError if it cannot be read."""
    text = unicodedata.normalize("NFKC", text).replace("\u2212", "-").strip()
    if _NON_FINITE.match(text):
        raise QuantityError("Give a finite number.")
    if _DECIMAL_COMMA.match(text):
        raise QuantityError("Write numbers without commas, with a dot for decimals: 12.5, not 12,5.")
    match = _NUMBER.fullmatch(text)
    if match is None:
        raise QuantityError(NOT_A_NUMBER)
    numerator, denominator, rest = match.groups()
    if rest and rest[0] == "/" and denominator is not None:
        raise QuantityError("Write a fraction with one fraction bar, like 1/4.")
    if rest and (rest[0].isdigit() or rest[0] in ",./"):
        raise QuantityError(NOT_A_NUMBER)
    value = _in_range(Decimal(numerator))
    if denominator is not None:
        divisor = _in_range(Decimal(denominator))
        if divisor.is_zero():
            raise QuantityError("Cannot divide by zero: the number below the fraction bar is 0.")
        with localcontext() as context:
            context.prec = 50
            value = _in_range(value / divisor)
    return Quantity(value, find_unit(rest) if rest else None)


def convert(value: Decimal, source: Unit, target: Unit) -> Decimal:
    """`value` in `source` units expressed in `target` units; ValueError across dimensions."""
    if source.dimension != target.dimension:
        raise ValueError(f"cannot convert {source.dimension} ({source.symbol}) to {target.dimension} ({target.symbol})")
    if source.factor == target.factor:
        return value
    with localcontext() as context:
        context.prec = 50
        return value * source.factor / target.factor


@dataclass(frozen=True)
class NumericQuestion:
    """A number, optionally with a unit, within an absolute or a relative tolerance (either suffices).

    `abs_tol` is in the question's unit; `rel_tol` is a fraction of the expected value (0.01 is
    1%). With neither, the answer must match to a relative 1e-9. An answer without a unit is read in
    the question's unit unless `require_unit`; an answer with a unit is converted, and a unit of the
    wrong dimension is refused with feedback ("Expected an energy…"). A question without a unit
    refuses answers with one.
    """

    value: Decimal | float | int | str
    unit: str | None = None
    abs_tol: Decimal | float | int | str | None = None
    rel_tol: Decimal | float | int | str | None = None
    require_unit: bool = False
    feedback_correct: str = CORRECT
    feedback_wrong: str = WRONG

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", to_decimal(self.value))
        if self.unit is not None:
            try:
                object.__setattr__(self, "unit", find_unit(self.unit).symbol)
            except UnknownUnit:
                known = ", ".join(unit.symbol for unit, _ in _UNIT_LIST)
                raise ValueError(f"unknown unit {self.unit!r}; known units: {known}") from None
        for name in ("abs_tol", "rel_tol"):
            tolerance = getattr(self, name)
            if tolerance is not None:
                tolerance = to_decimal(tolerance)
                if tolerance < 0:
                    raise ValueError(f"{name} cannot be negative")
                object.__setattr__(self, name, tolerance)
        if self.require_unit and self.unit is None:
            raise ValueError("require_unit needs the question to have a unit")

    def _expected_unit(self) -> Unit | None:
        return find_unit(self.unit) if self.unit is not None else None

    def accepts(self, value: Decimal) -> bool:
        """Within tolerance of the expected value, both in the question's unit; boundaries included."""
        expected = to_decimal(self.value)
        with localcontext() as context:
            context.prec = 50
            difference = abs(value - expected)
            if self.abs_tol is None and self.rel_tol is None:
                return difference <= abs(expected) * Decimal("1e-9")
            if self.abs_tol is not None and difference <= to_decimal(self.abs_tol):
                return True
            return self.rel_tol is not None and difference <= to_decimal(self.rel_tol) * abs(expected)

    def grade(self, answer: str | float | int | None) -> Grade:
        value = self.read(answer)
        if isinstance(value, Grade):
            return value
        if self.accepts(value):
            return Grade(1.0, (self.feedback_correct,))
        return Grade(0.0, (self.feedback_wrong,))

    def value_of(self, answer: str | float | int | None) -> Decimal | None:
        """The answer as a number in the question's unit, or None if it cannot be read as one."""
        value = self.read(answer)
        return None if isinstance(value, Grade) else value

    def read(self, answer: str | float | int | None) -> Decimal | Grade:
        """The answer in the question's unit, or the failing Grade that says why it cannot be read."""
        if _no_answer(answer):
            return Grade(0.0, (NO_ANSWER,))
        expected_unit = self._expected_unit()
        if isinstance(answer, bool) or not isinstance(answer, str | int | float):
            return Grade(0.0, ("Give a number.",))
        if isinstance(answer, int | float):
            if answer != answer or answer in (float("inf"), float("-inf")):
                return Grade(0.0, ("Give a finite number.",))
            answer = repr(answer)
        if len(answer) > MAX_NUMBER_CHARS:
            return Grade(0.0, ("That answer is too long for a number.",))
        try:
            quantity = parse_quantity(answer)
        except UnknownUnit as error:
            if expected_unit is None:
                return Grade(0.0, (str(error),))
            known = ", ".join(units_of(expected_unit.dimension))
            return Grade(0.0, (f"{error} Units for {DIMENSION_WORDS[expected_unit.dimension]}: {known}.",))
        except QuantityError as error:
            return Grade(0.0, (str(error),))
        value = quantity.value
        if expected_unit is None:
            if quantity.unit is not None:
                return Grade(0.0, ("This answer is a plain number; leave out the unit.",))
        elif quantity.unit is None:
            if self.require_unit:
                return Grade(0.0, (f"Give a unit, for example {expected_unit.symbol}.",))
        elif quantity.unit.dimension != expected_unit.dimension:
            expected_word = DIMENSION_WORDS[expected_unit.dimension]
            return Grade(
                0.0,
                (
                    f"Expected {expected_word} (for example in {expected_unit.symbol}), "
                    f"but {quantity.unit.symbol} is the unit of {DIMENSION_WORDS[quantity.unit.dimension]}.",
                ),
            )
        else:
            value = convert(value, quantity.unit, expected_unit)
        return value


# Short text ---------------------------------------------------------------------------------------

MatchMode = Literal["exact", "case_insensitive", "regex"]


def normalize_text(text: str) -> str:
    """NFKC, trimmed, with runs of whitespace as one space: what "the same text" means for a typed answer."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


@dataclass(frozen=True)
class TextPattern:
    """An accepted (or anticipated wrong) answer, with its points and feedback.

    "exact" and "case_insensitive" compare normalized text (see normalize_text); "regex" must match the
    whole normalized answer (add "(?i)" to ignore case). A pattern worth 0 points is for feedback on
    a common mistake.
    """

    pattern: str
    match: MatchMode = "exact"
    points: Decimal | float | int | str = Decimal(1)
    feedback: str = ""
    _compiled: "re.Pattern[str] | None" = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.match not in get_args(MatchMode):
            raise ValueError(f"match must be one of {', '.join(get_args(MatchMode))}")
        points = to_decimal(self.points)
        if points < 0:
            raise ValueError("pattern points cannot be negative")
        object.__setattr__(self, "points", points)
        if self.match == "regex":
            try:
                object.__setattr__(self, "_compiled", re.compile(self.pattern))
            except re.error as error:
                raise ValueError(f"invalid regular expression {self.pattern!r}: {error}") from None
        elif not normalize_text(self.pattern):
            raise ValueError("a text pattern cannot be empty")

    def matches(self, normalized_answer: str) -> bool:
        if self._compiled is not None:
            return self._compiled.fullmatch(normalized_answer) is not None
        if self.match == "case_insensitive":
            return normalize_text(self.pattern).casefold() == normalized_answer.casefold()
        return normalize_text(self.pattern) == normalized_answer


@dataclass(frozen=True)
class ShortTextQuestion:
    """A typed answer matched against patterns in order; the first match decides.

    The fraction is the pattern's points over the most any pattern is worth, so patterns can
    give full, partial or no credit. Answers longer than MAX_TEXT_CHARS are refused, which also
    bounds a trainer's regular expression's running time.
    """

    patterns: tuple[TextPattern, ...]
    feedback_wrong: str = WRONG

    def __post_init__(self) -> None:
        patterns = tuple(self.patterns)
        if not patterns:
            raise ValueError("a short-text question needs at least one pattern")
        if not any(to_decimal(pattern.points) > 0 for pattern in patterns):
            raise ValueError("at least one pattern must be worth points")
        object.__setattr__(self, "patterns", patterns)

    def grade(self, answer: str | None) -> Grade:
        if _no_answer(answer):
            return Grade(0.0, (NO_ANSWER,))
        if not isinstance(answer, str):
            return Grade(0.0, ("Give a text answer.",))
        if len(answer) > MAX_TEXT_CHARS:
            return Grade(0.0, (f"That answer is too long (at most {MAX_TEXT_CHARS} characters).",))
        normalized = normalize_text(answer)
        best = max(to_decimal(pattern.points) for pattern in self.patterns)
        for pattern in self.patterns:
            if pattern.matches(normalized):
                fraction = float(to_decimal(pattern.points) / best)
                default = CORRECT if fraction == 1.0 else ("Partly correct." if fraction > 0 else WRONG)
                return Grade(fraction, (pattern.feedback or default,))
        return Grade(0.0, (self.feedback_wrong,))


Question = SingleChoice | MultipleChoice | NumericQuestion | ShortTextQuestion
