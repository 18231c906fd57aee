"""Background work of exercises (run by the task worker: `manage.py db_worker`, or RQ's `rqworker`).

A student waits for a grade, so grades go ahead of the rest: on the "grading" queue where the backend has
one (RQ: settings.RQ_TASK_QUEUES, which workers name first), and with a higher priority (the database worker
takes those first).
"""

import logging

from django.utils import timezone
from django_tasks import task
from django_tasks.base import DEFAULT_TASK_PRIORITY, DEFAULT_TASK_QUEUE_NAME, TASK_MAX_PRIORITY

from .grading.pipeline import grade

logger = logging.getLogger(__name__)
GRADING_QUEUE = "grading"
# For backends with priorities (the database worker takes higher ones first). RQ has none, and its queue's
# order does it there.
GRADING_PRIORITY = TASK_MAX_PRIORITY // 2


@task()
def grade_submission(submission_id: int) -> str:
    """Grade one submission in a fresh sandbox; the outcome is stored on its row. When the runner is
    down the row waits in the queue and the task is queued again for later."""
    graded = grade(submission_id)
    if graded.retry_after is not None:
        enqueue_grading(submission_id, run_after=timezone.now() + graded.retry_after)
    return graded.submission.status


def grading_task(*, waited_for: bool = True):
    """grade_submission ahead of other work when a student waits for it, as the backend allows: on its own
    queue, or with a priority. A trainer's regrade of a whole exercise (hundreds of grades) is not: it goes
    with the rest, so that it neither starves deliveries and imports nor delays the fresh grades."""
    if not waited_for:
        return grade_submission  # as declared: the default queue and priority
    backend = grade_submission.get_backend()
    return grade_submission.using(
        queue_name=GRADING_QUEUE if GRADING_QUEUE in backend.queues else DEFAULT_TASK_QUEUE_NAME,
        priority=GRADING_PRIORITY if backend.supports_priority else DEFAULT_TASK_PRIORITY,
    )


def enqueue_grading(submission_id: int, *, run_after=None, waited_for: bool = True) -> None:
    """Queue the grade; never raises. Called once the submission is committed, its attempt counted: a queue
    that cannot be reached (Redis down, with the RQ backend) must not answer the student with an error that
    makes them submit again. The row stays queued, and `exercises requeue` grades it."""
    try:
        if run_after is not None:
            if not grade_submission.get_backend().supports_defer:
                return  # e.g. the immediate backend: the row stays queued for requeue_stale
            grading_task(waited_for=waited_for).using(run_after=run_after).enqueue(submission_id)
            return
        grading_task(waited_for=waited_for).enqueue(submission_id)
    except Exception:
        logger.exception("could not queue the grade of submission %s; `exercises requeue` will", submission_id)
