"""Writes: learning events into the outbox (in the caller's transaction), statements into the store.

Each `record_*` function builds its statements with the pure builders and writes them, with one
delivery row per target, in the current transaction: the event and its statements commit or roll
back together. One delivery run is queued per transaction (see `_queue_delivery_run`). Inside
`statements_batched()` the rows of several events are written together when the block ends.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from . import identity, outbox
from .models import BUILTIN_TARGET, OutboxStatement
from .xapi import builders
from .xapi import vocabulary as v
from .xapi.models import Statement

logger = logging.getLogger(__name__)


def target_names() -> list[str]:
    names = [BUILTIN_TARGET] if settings.PANLEARN_TRACKING_STORE_ENABLED else []
    return names + [lrs["name"] for lrs in settings.PANLEARN_TRACKING_LRS]


# The rows of the open `statements_batched()` block, written when it ends; None: write at once.
_batch: ContextVar[list[dict] | None] = ContextVar("panlearn_tracking_batch", default=None)


def statements_record(statements: list[Statement], *, user=None) -> None:
    """Write statements and their deliveries (or add them to the open batch); a statement id
    already in the outbox keeps its first row."""
    rows = []
    for statement in statements:
        payload = statement.as_json()
        rows.append({
            "statement_id": statement.id,
            "payload": payload,
            "user_id": user.pk if user is not None else None,
            "actor_key": identity.actor_key(payload["actor"]),
            "verb": statement.verb.id,
            "object_iri": str(statement.object.id),
        })  # fmt: skip
    batch = _batch.get()
    if batch is not None:
        batch.extend(rows)
    elif rows:
        with transaction.atomic(savepoint=False):  # the caller's transaction, or one of its own
            _write(rows)


@contextmanager
def statements_batched() -> Iterator[None]:
    """One write for every statement recorded in the block (a quiz submit's `answered`, `scored` and
    `passed` are three events): the outbox and delivery inserts and their savepoint are paid once.
    Open it inside the event's transaction. Queries in the block do not see its statements until
    it ends; a block that raises writes nothing. Nested blocks join the outer one."""
    if _batch.get() is not None:
        yield
        return
    rows: list[dict] = []
    token = _batch.set(rows)
    try:
        yield
    finally:
        _batch.reset(token)
    if rows:
        try:
            with transaction.atomic():
                _write(rows)
        except Exception:  # as for a single event: logged, never raised into the caller's work
            logger.exception("xAPI: could not record %d statement(s)", len(rows))


def _write(rows: list[dict]) -> None:
    first: dict = {}
    for row in rows:  # one row per id in one insert (an upsert may not touch a row twice)
        first.setdefault(row["statement_id"], row)
    pks = outbox.statements_insert(list(first.values()))
    targets = target_names()
    outbox.deliveries_insert((pks[key], target, row["actor_key"]) for key, row in first.items() for target in targets)
    _queue_delivery_run()


def _queue_delivery_run() -> None:
    """One delivery run per transaction, however many events it records.

    The database task backend queues it inside the transaction: the run's row commits, or rolls
    back, with the statements (no moment where they are committed with no run to send them), and
    it needs no commit of its own. Other backends (a broker, the immediate one of the tests) queue
    it after the commit, when the statements can be read."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        schedule_delivery()
        return
    if any(func in (schedule_delivery, schedule_delivery_once, _run_queued) for _, func, _ in connection.run_on_commit):
        return
    if not _queues_in_database():
        transaction.on_commit(schedule_delivery_once)
        return
    with transaction.atomic():  # a failed insert rolls back to here, not the event's work (PostgreSQL)
        schedule_delivery()
    transaction.on_commit(_run_queued)  # marks this transaction; dropped with a rolled-back savepoint


def _run_queued() -> None:
    """The on-commit mark of a transaction whose delivery run is already queued (nothing to do)."""


def _queues_in_database() -> bool:
    from django_tasks_db import DatabaseBackend

    from .tasks import deliver_statements

    return isinstance(deliver_statements.get_backend(), DatabaseBackend)


def schedule_delivery() -> bool:
    """Queue one delivery run; never raises (the statements wait in the outbox for the next run)."""
    from .tasks import deliver_statements

    try:
        deliver_statements.enqueue()
    except Exception:
        logger.exception("could not queue xAPI delivery; the outbox keeps the statements")
        return False
    return True


def schedule_delivery_once() -> None:
    """After a commit, on a broker: queue a run unless one is queued and has not started yet. A run clears
    the mark before it reads the outbox, so what this commit wrote is read by that run or by the one this
    queues. Without it, every cell run of 200 students queued a delivery run of its own, and the grades
    waited behind a thousand runs that found the outbox already drained."""
    from .tasks import DELIVERY_QUEUED_KEY, DELIVERY_QUEUED_TTL

    try:
        fresh = cache.add(DELIVERY_QUEUED_KEY, True, timeout=DELIVERY_QUEUED_TTL)
    except Exception:  # the cache is down: queue, as without the mark
        fresh = True
    if fresh and not schedule_delivery():
        cache.delete(DELIVERY_QUEUED_KEY)


def _frame(*, user, course=None, lesson=None, when: datetime | None = None) -> builders.Frame:
    course = course if course is not None else (lesson.course if lesson is not None else None)
    return builders.Frame(
        actor=identity.actor_for(user),
        timestamp=when or timezone.now(),
        language=identity.language(),
        registration=identity.registration_for(user_id=user.pk, course_id=course.pk) if course else None,
        course=identity.course_activity(course) if course else None,
        lesson=identity.lesson_activity(lesson) if lesson else None,
    )


def record_enrolment(*, enrolment) -> None:
    frame = _frame(user=enrolment.user, course=enrolment.course)
    key = f"enrolment:{enrolment.pk}:{frame.timestamp.isoformat()}"
    statements_record([builders.enrolled(frame, event_key=key)], user=enrolment.user)


def record_lesson_progress(*, user, lesson, completed: bool, progress: int) -> None:
    course = lesson.course
    frame = _frame(user=user, course=course, lesson=lesson)
    key = f"lesson:{lesson.pk}:{'done' if completed else 'undone'}:{frame.timestamp.isoformat()}"
    statements = [builders.lesson_completed(frame, event_key=key)] if completed else []
    statements.append(builders.lesson_progressed(frame, progress=progress, event_key=key))
    statements_record(statements, user=user)


def record_course_completion(*, user, course) -> None:
    frame = _frame(user=user, course=course)
    key = f"course:{course.pk}:completed:{frame.timestamp.isoformat()}"
    statements_record([builders.course_completed(frame, event_key=key)], user=user)


def record_cell_run(*, user, lesson, course, cell_id: str, status: str, duration_ms: float, code: str | None) -> None:
    frame = _frame(user=user, course=course, lesson=lesson)
    cell = identity.cell_activity(page_id=lesson.pk, cell_id=cell_id, lesson_title=lesson.title)
    key = f"cell:{lesson.pk}:{cell_id}:{frame.timestamp.isoformat()}"
    keep_code = code if settings.PANLEARN_TRACKING_INCLUDE_CODE else None
    duration = duration_ms / 1000 if duration_ms else None
    statement = builders.cell_executed(frame, cell=cell, status=status, duration_s=duration, code=keep_code,
                                       event_key=key)  # fmt: skip
    statements_record([statement], user=user)


def _submission_course(submission):
    return getattr(submission, "course", None)


def record_answer(*, submission, questions=()) -> None:
    frame = _frame(user=submission.user, course=_submission_course(submission), when=submission.submitted_at)
    exercise = identity.exercise_activity(submission.exercise)
    event_key = f"submission:{submission.pk}:answered"
    answered = builders.exercise_answered(frame, exercise=exercise, response=submission.code, kind=submission.kind,
                                          attempt=submission.attempt, event_key=event_key)  # fmt: skip
    statements = [answered]
    for question in questions:
        statements.append(builders.question_answered(frame, quiz=exercise, question=question,
                                                     attempt=submission.attempt, event_key=event_key))  # fmt: skip
    statements_record(statements, user=submission.user)


def record_grade(*, submission) -> None:
    if submission.points is None or submission.possible is None:
        return  # not graded (the runner failed): nothing to score
    graded_at = submission.graded_at or timezone.now()
    frame = _frame(user=submission.user, course=_submission_course(submission), when=graded_at)
    started = submission.grading_started_at
    statements = builders.exercise_graded(
        frame,
        exercise=identity.exercise_activity(submission.exercise),
        points=submission.points,
        possible=submission.possible,
        threshold=settings.PANLEARN_TRACKING_PASS_THRESHOLD,
        duration_s=(graded_at - started).total_seconds() if started else None,
        event_key=f"submission:{submission.pk}:graded:{graded_at.isoformat()}",
    )
    statements_record(statements, user=submission.user)


def record_override(*, override, previous_points, possible=None, course=None) -> None:
    """Void the student's standing grade statements for the exercise, then state the trainer's grade."""
    student, exercise = override.user, override.exercise
    frame = _frame(user=student, course=course, when=override.set_at or timezone.now())
    target = identity.exercise_activity(exercise)
    if possible is None:
        latest = exercise.submissions.filter(user=student, possible__isnull=False).order_by("-submitted_at").first()
        possible = latest.possible if latest else override.points
    standing = OutboxStatement.objects.select_for_update().filter(
        actor_key=identity.actor_key(frame.actor.as_json()),
        object_iri=target.id,
        verb__in=(v.SCORED, v.PASSED, v.FAILED),
        voided=False,
    )
    voider = identity.actor_for(override.set_by) if override.set_by_id else frame.actor
    voids = [builders.voided(actor=voider, target=row.statement_id, timestamp=frame.timestamp) for row in standing]
    standing.update(voided=True)
    extensions = {v.OVERRIDE_COMMENT: override.comment}
    if previous_points is not None:
        extensions[v.PREVIOUS_POINTS] = float(previous_points)
    graded = builders.exercise_graded(
        frame,
        exercise=target,
        points=override.points,
        possible=max(possible, override.points),
        threshold=settings.PANLEARN_TRACKING_PASS_THRESHOLD,
        duration_s=None,
        event_key=f"override:{override.pk}",
        instructor=voider if override.set_by_id else None,
        extensions=extensions,
    )
    statements_record([*voids, *graded], user=student)


# --- Facility onboarding: training programmes ------------------------------------------------------


def _programme_activities(programme):
    home, language = identity.homepage(), identity.language()
    facility = programme.facility
    activity = builders.activity(iri=f"{home}/xapi/activities/programme/{programme.pk}", kind=v.PROGRAMME,
                                 name=programme.name, language=language)  # fmt: skip
    place = builders.activity(iri=facility.ror_id or f"{home}/xapi/activities/facility/{facility.pk}",
                              kind=v.FACILITY, name=facility.name, language=language)  # fmt: skip
    return activity, place


def _programme_passed_id(completion, actor):
    programme, _ = _programme_activities(completion.programme)
    return builders.statement_id(verb=v.PASSED, actor=actor, object_id=programme.id,
                                 event_key=f"programme-completion:{completion.uid}")  # fmt: skip


def record_programme_passed(*, completion) -> None:
    frame = _frame(user=completion.user, when=completion.passed_at)
    programme, facility = _programme_activities(completion.programme)
    previous = completion.renewed_from
    statement = builders.programme_passed(
        frame, programme=programme, facility=facility, valid_until=completion.valid_until, renewal=completion.via,
        event_key=f"programme-completion:{completion.uid}",
        renews=_programme_passed_id(previous, frame.actor) if previous else None,
    )  # fmt: skip
    statements_record([statement], user=completion.user)


def record_programme_expired(*, completion) -> None:
    frame = _frame(user=completion.user, when=completion.valid_until)
    programme, facility = _programme_activities(completion.programme)
    statement = builders.programme_expired(
        frame, programme=programme, facility=facility, valid_until=completion.valid_until,
        event_key=f"programme-completion:{completion.uid}:expired",
        passed=_programme_passed_id(completion, frame.actor),
    )  # fmt: skip
    statements_record([statement], user=completion.user)
