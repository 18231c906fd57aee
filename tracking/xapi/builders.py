"""Pure statement builders, one per learning event: plain values in, a validated Statement out.

Ids are UUIDv5 of the event's identity (verb, actor, object and an event key), so building the
same event twice gives the same id, and an LRS that receives a resend keeps one statement.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import lru_cache

from . import vocabulary as v
from .interactions import Interaction
from .models import (
    Activity,
    ActivityDefinition,
    Agent,
    Context,
    ContextActivities,
    InteractionComponent,
    Result,
    Score,
    Statement,
    StatementRef,
    Verb,
)

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, v.PANLEARN)


@dataclass(frozen=True)
class Frame:
    """Who did it, when, and where: the parts every statement of one event shares."""

    actor: Agent
    timestamp: datetime
    language: str
    registration: uuid.UUID | None = None
    course: Activity | None = None
    lesson: Activity | None = None


def statement_id(*, verb: str, actor: Agent, object_id: str, event_key: str) -> uuid.UUID:
    who = actor.model_dump_json(exclude_none=True)
    return uuid.uuid5(NAMESPACE, "\n".join((verb, who, object_id, event_key)))


@lru_cache(maxsize=4096)
def activity(*, iri: str, kind: str, name: str, language: str, **definition) -> Activity:
    """Built and validated once per distinct activity: the models are frozen, so events share them.
    An empty name is left out (xAPI has no empty values)."""
    return Activity(id=iri, definition=ActivityDefinition(type=kind, name={language: name} if name else None,
                                                          **definition))  # fmt: skip


@lru_cache(maxsize=4096)
def question_activity(*, quiz_iri: str, quiz_title: str | None, key: str, number: int, prompt: str,
                      interaction_type: str, choices: tuple[tuple[str, str], ...], correct: tuple[str, ...] | None,
                      language: str) -> Activity:  # fmt: skip
    """A quiz question: a cmi.interaction under its quiz's IRI, with its choices and (for the LRS's
    analytics, never shown to students) its correct responses."""
    definition = ActivityDefinition(
        type=v.INTERACTION,
        name={language: f"{quiz_title}, question {number}" if quiz_title else f"Question {number}"},
        description={language: prompt} if prompt.strip() else None,
        interactionType=interaction_type,
        choices=[InteractionComponent(id=id_, description={language: text}) for id_, text in choices] or None,
        correctResponsesPattern=list(correct) if correct else None,
    )
    return Activity(id=f"{quiz_iri}/question/{key}", definition=definition)


def verb(iri: str) -> Verb:
    return Verb(id=iri, display={"en-US": v.DISPLAY[iri]})


def _build(frame: Frame, *, verb_iri: str, obj: Activity, event_key: str, result: Result | None = None,
           parent: Activity | None = None, grouping: Activity | None = None, other: Activity | None = None,
           **context) -> Statement:  # fmt: skip
    related = {
        "parent": [parent] if parent else None,
        "grouping": [grouping] if grouping and grouping != parent else None,
        "other": [other] if other else None,
    }
    return Statement(
        id=statement_id(verb=verb_iri, actor=frame.actor, object_id=obj.id, event_key=event_key),
        actor=frame.actor,
        verb=verb(verb_iri),
        object=obj,
        result=result,
        context=Context(
            registration=frame.registration,
            contextActivities=ContextActivities(**related) if any(related.values()) else None,
            platform=v.PLATFORM,
            language=frame.language,
            **context,
        ),
        timestamp=frame.timestamp,
    )


def _inside_lesson(frame: Frame) -> dict:
    """An activity inside a lesson: the lesson is its parent, the course its grouping."""
    return {"parent": frame.lesson or frame.course, "grouping": frame.course}


def _score(points: Decimal | float, possible: Decimal | float) -> Score:
    raw, top = float(points), float(possible)
    if top <= 0:
        return Score(raw=raw)
    raw = min(max(raw, 0.0), top)
    return Score(raw=raw, min=0.0, max=top, scaled=round(raw / top, 4))


def _duration(seconds: float | None) -> str | None:
    return None if seconds is None else f"PT{max(seconds, 0):.3f}S"


def enrolled(frame: Frame, *, event_key: str) -> Statement:
    return _build(frame, verb_iri=v.REGISTERED, obj=frame.course, event_key=event_key)


def lesson_progressed(frame: Frame, *, progress: int, event_key: str) -> Statement:
    """Progress through the course (cmi5's percentage) after a lesson was done or undone."""
    return _build(
        frame,
        verb_iri=v.PROGRESSED,
        obj=frame.course,
        event_key=event_key,
        result=Result(completion=progress >= 100, extensions={v.PROGRESS: max(0, min(100, int(progress)))}),
        other=frame.lesson,
    )


def lesson_completed(frame: Frame, *, event_key: str) -> Statement:
    return _build(frame, verb_iri=v.COMPLETED, obj=frame.lesson, event_key=event_key,
                  result=Result(completion=True), parent=frame.course)  # fmt: skip


def course_completed(frame: Frame, *, event_key: str) -> Statement:
    return _build(frame, verb_iri=v.COMPLETED, obj=frame.course, event_key=event_key,
                  result=Result(completion=True, extensions={v.PROGRESS: 100}))  # fmt: skip


def cell_executed(frame: Frame, *, cell: Activity, status: str, duration_s: float | None, code: str | None,
                  event_key: str) -> Statement:  # fmt: skip
    extensions = {v.RUN_STATUS: status}
    if code is not None:
        extensions[v.CODE] = code
    result = Result(success=status == "ok", duration=_duration(duration_s), extensions=extensions)
    return _build(frame, verb_iri=v.EXECUTED, obj=cell, event_key=event_key, result=result, **_inside_lesson(frame))


def exercise_answered(frame: Frame, *, exercise: Activity, response: str | None, kind: str, attempt: int | None,
                      event_key: str) -> Statement:  # fmt: skip
    """A check or a submit. `response`: the code or text; a quiz has none here (its questions' own
    statements carry the answers), and an empty one is left out rather than sent as ""."""
    extensions = {v.SUBMISSION_KIND: kind}
    if attempt is not None:
        extensions[v.ATTEMPT] = attempt
    result = Result(response=response or None, extensions=extensions)
    return _build(frame, verb_iri=v.ANSWERED, obj=exercise, event_key=event_key, result=result,
                  **_inside_lesson(frame))  # fmt: skip


def question_answered(frame: Frame, *, quiz: Activity, question: Interaction, attempt: int | None,
                      event_key: str) -> Statement:  # fmt: skip
    """One answered question of a quiz submit: the response in its interaction's format, its score.
    The quiz is the parent, the course the grouping."""
    names = quiz.definition.name if quiz.definition and quiz.definition.name else {}
    obj = question_activity(quiz_iri=quiz.id, quiz_title=names.get(frame.language), key=question.key,
                            number=question.number, prompt=question.prompt, interaction_type=question.interaction_type,
                            choices=question.choices, correct=question.correct_responses,
                            language=frame.language)  # fmt: skip
    extensions = {}
    if question.typed is not None:
        extensions[v.ANSWER_TEXT] = question.typed
    if attempt is not None:
        extensions[v.ATTEMPT] = attempt
    score = _score(question.points, question.possible)
    result = Result(response=question.response or None, score=score,
                    success=question.success,
                    extensions=extensions or None)  # fmt: skip
    return _build(frame, verb_iri=v.ANSWERED, obj=obj, event_key=f"{event_key}:question:{question.key}",
                  result=result, parent=quiz, grouping=frame.course)  # fmt: skip


def exercise_graded(frame: Frame, *, exercise: Activity, points, possible, threshold: float,
                    duration_s: float | None, event_key: str, instructor: Agent | None = None,
                    extensions: dict | None = None) -> list[Statement]:  # fmt: skip
    """`scored`, then `passed` or `failed`: two statements sharing one result."""
    score = _score(points, possible)
    success = possible is not None and float(possible) > 0 and float(points) >= threshold * float(possible)
    result = Result(score=score, success=success, completion=True, duration=_duration(duration_s))
    context = {"instructor": instructor, "extensions": extensions or None}
    return [
        _build(
            frame,
            verb_iri=verb_iri,
            obj=exercise,
            event_key=event_key,
            result=result,
            **_inside_lesson(frame),
            **context,
        )
        for verb_iri in (v.SCORED, v.PASSED if success else v.FAILED)
    ]


def voided(*, actor: Agent, target: uuid.UUID, timestamp: datetime) -> Statement:
    """Voids an earlier statement (a trainer's override replaces a grade). No platform: not an Activity."""
    return Statement(
        id=statement_id(verb=v.VOIDED, actor=actor, object_id=str(target), event_key="void"),
        actor=actor,
        verb=verb(v.VOIDED),
        object=StatementRef(objectType="StatementRef", id=target),
        timestamp=timestamp,
    )


# --- Facility onboarding: training programmes ------------------------------------------------------


def programme_passed(frame: Frame, *, programme: Activity, facility: Activity | None, valid_until: datetime,
                     renewal: str, event_key: str, renews: uuid.UUID | None = None) -> Statement:  # fmt: skip
    """`passed` (SCORM profile) a facility's training programme. `renewal`: "pass", "refresher" or
    "retaken"; a renewal refers to the `passed` statement of the period it renews."""
    result = Result(success=True, completion=True,
                    extensions={v.VALID_UNTIL: valid_until.isoformat(), v.RENEWAL: renewal})  # fmt: skip
    reference = StatementRef(objectType="StatementRef", id=renews) if renews else None
    return _build(frame, verb_iri=v.PASSED, obj=programme, event_key=event_key, result=result, grouping=facility,
                  statement=reference)  # fmt: skip


def programme_expired(frame: Frame, *, programme: Activity, facility: Activity | None, valid_until: datetime,
                      event_key: str, passed: uuid.UUID | None = None) -> Statement:  # fmt: skip
    """`expired`: a programme's validity ended without renewal; refers to the `passed` it ends."""
    result = Result(success=False, extensions={v.VALID_UNTIL: valid_until.isoformat()})
    reference = StatementRef(objectType="StatementRef", id=passed) if passed else None
    return _build(frame, verb_iri=v.EXPIRED, obj=programme, event_key=event_key, result=result, grouping=facility,
                  statement=reference)  # fmt: skip
