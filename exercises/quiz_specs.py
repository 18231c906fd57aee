"""Quiz questions as stored (a kind and a JSON spec) turned into the graders of quiz.py, and back out as
what a student may see: the question without its answers, or (once the solution is released) the answers.

Pure (no Django). `build_question` is the admin's check: a malformed spec raises QuestionSpecError
with a message a trainer can act on. `grade_answers` gives runner-style outcomes, so a quiz is scored
by exercises.scoring and adjusted by exercises.policy_rules like a code exercise.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tracking.xapi import interactions as xapi

from . import quiz
from .scoring import format_points, to_decimal

KINDS = ("single", "multiple", "number", "text")


class QuestionSpecError(ValueError):
    """A question's spec cannot be graded; the message says what to fix."""


@dataclass(frozen=True)
class StoredQuestion:
    """A question as the database holds it; `name` is what the student's feedback calls it ("Question 2")."""

    id: str
    name: str
    kind: str
    spec: Mapping[str, Any]
    points: Any = 1
    prompt: str = ""


def _mapping(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise QuestionSpecError(f"{what} must be a JSON object {{…}}")
    return value


def _unknown(spec: Mapping[str, Any], allowed: set[str], what: str) -> None:
    extra = sorted(set(spec) - allowed)
    if extra:
        raise QuestionSpecError(f"{what}: unknown key(s) {', '.join(extra)}; allowed: {', '.join(sorted(allowed))}")


def _options(spec: Mapping[str, Any]) -> tuple[quiz.Option, ...]:
    raw = spec.get("options")
    if not isinstance(raw, list):
        raise QuestionSpecError('a choice question needs "options": a list of {"id", "text", "correct", "feedback"}')
    options = []
    for number, item in enumerate(raw, 1):
        item = _mapping(item, f"option {number}")
        _unknown(item, {"id", "text", "correct", "feedback"}, f"option {number}")
        if not isinstance(item.get("text", ""), str) or not str(item.get("text", "")).strip():
            raise QuestionSpecError(f"option {number} needs a text")
        if not isinstance(item.get("correct", False), bool):
            raise QuestionSpecError(f'option {number}: "correct" must be true or false')
        options.append(quiz.Option(id=str(item.get("id", "")), text=item["text"], correct=item.get("correct", False),
                                   feedback=str(item.get("feedback", ""))))  # fmt: skip
    return tuple(options)


def build_question(kind: str, spec: Any) -> quiz.Question:
    """The grader for a stored question; QuestionSpecError (with a plain message) if it is malformed."""
    spec = _mapping(spec, "the spec")
    try:
        if kind == "single":
            _unknown(spec, {"options"}, "single choice")
            return quiz.SingleChoice(_options(spec))
        if kind == "multiple":
            _unknown(spec, {"options", "mode"}, "multiple choice")
            return quiz.MultipleChoice(_options(spec), mode=spec.get("mode", "all_or_nothing"))
        if kind == "number":
            allowed = {"value", "unit", "abs_tol", "rel_tol", "require_unit", "feedback_correct", "feedback_wrong"}
            _unknown(spec, allowed, "number")
            if "value" not in spec:
                raise QuestionSpecError('a number question needs "value"')
            return quiz.NumericQuestion(**{key: spec[key] for key in allowed if key in spec and spec[key] is not None})
        if kind == "text":
            _unknown(spec, {"patterns", "feedback_wrong"}, "short text")
            raw = spec.get("patterns")
            if not isinstance(raw, list):
                raise QuestionSpecError('a short-text question needs "patterns": a list of {"pattern", "match", …}')
            patterns = []
            for number, item in enumerate(raw, 1):
                item = _mapping(item, f"pattern {number}")
                _unknown(item, {"pattern", "match", "points", "feedback"}, f"pattern {number}")
                patterns.append(quiz.TextPattern(**item))
            extra = {"feedback_wrong": spec["feedback_wrong"]} if "feedback_wrong" in spec else {}
            return quiz.ShortTextQuestion(tuple(patterns), **extra)
    except QuestionSpecError:
        raise
    except (ValueError, TypeError) as error:
        raise QuestionSpecError(str(error)) from None
    raise QuestionSpecError(f"unknown question kind {kind!r}; one of {', '.join(KINDS)}")


def public_view(kind: str, spec: Mapping[str, Any]) -> dict[str, Any]:
    """What the page may show before the answers are released: option ids and texts, the expected unit."""
    question = build_question(kind, spec)
    if isinstance(question, quiz.SingleChoice | quiz.MultipleChoice):
        return {"options": [{"id": option.id, "text": option.text} for option in question.options]}
    if isinstance(question, quiz.NumericQuestion):
        return {"unit": question.unit or ""}
    return {}


def answer_text(kind: str, spec: Mapping[str, Any]) -> str:
    """The answer in words, for the released solution: "Neutrons", "1.54 Å (± 0.01)", "Bragg"."""
    question = build_question(kind, spec)
    if isinstance(question, quiz.SingleChoice | quiz.MultipleChoice):
        return "; ".join(option.text for option in question.options if option.correct)
    if isinstance(question, quiz.NumericQuestion):
        unit = f" {question.unit}" if question.unit else ""
        tolerances = []
        if question.abs_tol is not None:
            tolerances.append(f"± {question.abs_tol}{unit}")
        if question.rel_tol is not None:
            tolerances.append(f"± {format_points(to_decimal(question.rel_tol) * 100).rstrip('0').rstrip('.')}%")
        return f"{question.value}{unit}" + (f" ({' or '.join(tolerances)})" if tolerances else "")
    assert isinstance(question, quiz.ShortTextQuestion)
    best = max(to_decimal(pattern.points) for pattern in question.patterns)
    return next(pattern.pattern for pattern in question.patterns if to_decimal(pattern.points) == best)


def answer_to(question: StoredQuestion, answers: Mapping[str, Any]) -> Any:
    """The student's answer to one question, or None: a forged shape is no answer."""
    answer = answers.get(question.id)
    expected = list | str if question.kind == "multiple" else str | int | float
    if not isinstance(answer, expected) or isinstance(answer, bool):
        return None
    return answer


def _given(answer: Any) -> bool:
    if isinstance(answer, str):
        return bool(answer.strip())
    if isinstance(answer, list):
        return any(not isinstance(item, str) or item.strip() for item in answer)
    return answer is not None


def answered_any(questions: Sequence[StoredQuestion], answers: Mapping[str, Any]) -> bool:
    """Whether at least one question has an answer: a quiz with none is not a submit (blank texts,
    no option ticked, or answers to questions the quiz does not have count as none)."""
    return any(_given(answer_to(question, answers)) for question in questions)


def grade_answers(questions: Sequence[StoredQuestion], answers: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One runner-style outcome per question (name, status, fraction, message) from the student's answers."""
    outcomes = []
    for question in questions:
        grader = build_question(question.kind, question.spec)
        fraction, feedback = grader.grade(answer_to(question, answers))
        status = "passed" if fraction >= 1 else ("partial" if fraction > 0 else "failed")
        outcomes.append({"name": question.name, "status": status, "fraction": fraction, "message": "\n".join(feedback)})
    return outcomes


# The learning record -------------------------------------------------------------------------------


def interactions(
    questions: Sequence[StoredQuestion], answers: Mapping[str, Any], outcomes: Sequence[Mapping[str, Any]]
) -> list[xapi.Interaction]:
    """The questions the student answered, as xAPI interactions with their responses (`outcomes`:
    grade_answers' for the same questions). A question left blank has no `answered` statement."""
    found = []
    for number, (question, outcome) in enumerate(zip(questions, outcomes, strict=True), 1):
        answer = answer_to(question, answers)
        if not _given(answer):
            continue
        grader = build_question(question.kind, question.spec)
        possible = float(to_decimal(question.points))
        found.append(xapi.Interaction(
            key=question.id, number=number, prompt=question.prompt, **_interaction(grader, answer),
            success=outcome["fraction"] >= 1, points=outcome["fraction"] * possible, possible=possible,
        ))  # fmt: skip
    return found


def _interaction(grader: quiz.Question, answer: Any) -> dict[str, Any]:
    if isinstance(grader, quiz.SingleChoice | quiz.MultipleChoice):
        ids = [option.id for option in grader.options]
        picked = {str(item) for item in (answer if isinstance(answer, list) else [answer])}
        chosen = [option_id for option_id in ids if option_id in picked]
        if isinstance(grader, quiz.SingleChoice):
            correct = tuple(option.id for option in grader.options if option.correct)  # any one of them
        else:
            correct = (xapi.choice_response(option.id for option in grader.options if option.correct),)
        return {
            "interaction_type": xapi.CHOICE,
            "choices": tuple((option.id, option.text) for option in grader.options),
            "correct_responses": correct,
            "response": xapi.choice_response(chosen) if chosen and picked <= set(ids) else None,
        }
    typed = str(answer).strip()[: quiz.MAX_TEXT_CHARS]
    if isinstance(grader, quiz.NumericQuestion):
        value = grader.value_of(answer)
        response = xapi.plain_number(value) if value is not None else None
        return {"interaction_type": xapi.NUMERIC, "correct_responses": _numeric_patterns(grader),
                "response": response, "typed": typed if typed != response else None}  # fmt: skip
    assert isinstance(grader, quiz.ShortTextQuestion)
    best = max(to_decimal(pattern.points) for pattern in grader.patterns)
    full = [pattern for pattern in grader.patterns if to_decimal(pattern.points) == best]
    correct = None
    if all(pattern.match != "regex" for pattern in full):  # a regular expression has no xAPI pattern
        correct = tuple(
            xapi.fill_in_pattern(quiz.normalize_text(pattern.pattern), case_matters=pattern.match == "exact")
            for pattern in full
        )
    return {"interaction_type": xapi.FILL_IN, "correct_responses": correct,
            "response": quiz.normalize_text(typed) or None}  # fmt: skip


def _numeric_patterns(question: quiz.NumericQuestion) -> tuple[str, ...]:
    """The accepted values as xAPI numeric ranges, one per tolerance (either suffices)."""
    value = to_decimal(question.value)
    patterns = []
    if question.abs_tol is not None:
        tolerance = to_decimal(question.abs_tol)
        patterns.append(xapi.numeric_range(value - tolerance, value + tolerance))
    if question.rel_tol is not None:
        tolerance = to_decimal(question.rel_tol) * abs(value)
        patterns.append(xapi.numeric_range(value - tolerance, value + tolerance))
    return tuple(patterns) or (xapi.plain_number(value),)
