"""The calls other apps make when something worth recording happens.

Each builds the event's xAPI statements and writes them to the outbox inside the caller's
transaction (a savepoint keeps a failure here from spoiling it); delivery is queued after commit.
Every function stays cheap and never raises into the caller: a lost statement is logged, the
student's work is never lost for it.
"""

import logging
from collections.abc import Callable, Sequence

from django.db import transaction

from .xapi.interactions import Interaction

logger = logging.getLogger(__name__)


def _record(what: str, record: Callable[[], None]) -> None:
    try:
        with transaction.atomic():
            record()
    except Exception:
        logger.exception("xAPI: could not record %s", what)


def batch():
    """A context manager: the statements of every event in the block are written together when it
    ends, in the caller's transaction (open it inside). For work that records several events at
    once, such as a quiz submit graded on the spot."""
    from .services import statements_batched

    return statements_batched()


def _signed_in(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and user.pk is not None


def cell_ran(
    *, user, lesson, course, cell_id: str, status: str, duration_ms: float = 0.0, code: str | None = None
) -> None:
    """A student ran a code cell of a lesson. Visitors (`user` anonymous) are not recorded.
    `lesson` and its `course` need only `pk` and `title`: the caller's cached facts,
    so that a run reads no page. `code` is stored only when PANLEARN_TRACKING_INCLUDE_CODE is on."""
    if not _signed_in(user):
        return
    from .services import record_cell_run

    _record("a cell run", lambda: record_cell_run(user=user, lesson=lesson, course=course, cell_id=cell_id,
                                                  status=status, duration_ms=duration_ms, code=code))  # fmt: skip


def lesson_progressed(*, user, lesson, completed: bool, progress: int) -> None:
    """A student marked a lesson done (`completed`) or not done; `progress` is the course's percent done now."""
    from .services import record_lesson_progress

    _record("lesson progress", lambda: record_lesson_progress(user=user, lesson=lesson, completed=completed,
                                                              progress=progress))  # fmt: skip


def enrolled(*, enrolment) -> None:
    """A student enrolled (or re-enrolled) in a course."""
    from .services import record_enrolment

    _record("an enrolment", lambda: record_enrolment(enrolment=enrolment))


def course_completed(*, user, course) -> None:
    """A student finished every lesson of a course."""
    from .services import record_course_completion

    _record("a course completion", lambda: record_course_completion(user=user, course=course))


def exercise_answered(submission, *, questions: Sequence[Interaction] = ()) -> None:
    """A check or a submit was committed: `answered`, with the code or text as response; for a quiz,
    one `answered` more per question answered (`questions`), each with its response."""
    from .services import record_answer

    _record("an answer", lambda: record_answer(submission=submission, questions=questions))


def exercise_graded(submission) -> None:
    """A submission was graded: `scored`, then `passed` or `failed`."""
    from .services import record_grade

    _record("a grade", lambda: record_grade(submission=submission))


def grade_overridden(override, previous_points, *, course=None) -> None:
    """A trainer set a student's grade: the standing grade statements are voided, the new grade stated.
    `course`: the course the student's submissions came from, so the grade is counted there."""
    from .services import record_override

    _record("a grade override",
            lambda: record_override(override=override, previous_points=previous_points, course=course))  # fmt: skip


# --- Facility onboarding: training programmes ------------------------------------------------------


def programme_passed(completion) -> None:
    """A user passed (or renewed) a facility's training programme: `passed`, with the validity's end."""
    from .services import record_programme_passed

    _record("a programme pass", lambda: record_programme_passed(completion=completion))


def programme_expired(completion) -> None:
    """A programme pass's validity ended without renewal: `expired`."""
    from .services import record_programme_expired

    _record("a programme expiry", lambda: record_programme_expired(completion=completion))
