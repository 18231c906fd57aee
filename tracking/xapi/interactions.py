"""Quiz questions as xAPI 1.0.3 interactions (xAPI-Data 2.4.4.1 and its response formats).

Plain values in, so that the exercises app builds them without knowing xAPI's syntax: choice ids
joined by `[,]`, numeric ranges as `low[:]high`, fill-in patterns with `{case_matters=true}`.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

CHOICE = "choice"
NUMERIC = "numeric"
FILL_IN = "fill-in"


@dataclass(frozen=True)
class Interaction:
    """One quiz question and a student's answer to it, as its `answered` statement carries them.

    `key` names the question inside its quiz (its id: stable while the question is edited).
    `response` is None when nothing could be read as a response of the interaction's type (the
    property is then left out); `typed` is the answer as typed, when the response cannot say it all.
    `correct_responses` is None when the correct answers cannot be written as xAPI patterns.
    """

    key: str
    number: int
    prompt: str
    interaction_type: str
    choices: tuple[tuple[str, str], ...] = ()
    correct_responses: tuple[str, ...] | None = None
    response: str | None = None
    typed: str | None = None
    success: bool = False
    points: Decimal = Decimal(0)
    possible: Decimal = Decimal(0)


def plain_number(value: Decimal) -> str:
    """A Decimal without exponent or trailing zeros: xAPI numeric responses are plain numbers."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def choice_response(ids: Iterable[str]) -> str:
    return "[,]".join(ids)


def numeric_range(low: Decimal, high: Decimal) -> str:
    return f"{plain_number(min(low, high))}[:]{plain_number(max(low, high))}"


def fill_in_pattern(text: str, *, case_matters: bool) -> str:
    return ("{case_matters=true}" if case_matters else "") + text
