"""Background work of exercises (run by the task worker: `manage.py db_worker`, or RQ's `rqworker`)."""

import logging

from django.utils import timezone
from django_tasks import task

from .grading.pipeline import grade

logger = logging.getLogger(__name__)


@task()
def grade_submission(submission_id: int) -> str:
    """Grade one submission in a fresh sandbox; the outcome is stored on its row. When the runner is
    down the row waits in the queue and the task is queued again for later."""
    graded = grade(submission_id)
    if graded.retry_after is not None:
        enqueue_grading(submission_id, run_after=timezone.now() + graded.retry_after)
    return graded.submission.status


def enqueue_grading(submission_id: int, *, run_after=None) -> None:
    """Queue the grade; never raises. Called once the submission is committed, its attempt counted: a queue
    that cannot be reached (Redis down, with the RQ backend) must not answer the student with an error that
    makes them submit again. The row stays queued, and `exercises requeue` grades it."""
    try:
        if run_after is not None:
            if not grade_submission.get_backend().supports_defer:
                return  # e.g. the immediate backend: the row stays queued for requeue_stale
            grade_submission.using(run_after=run_after).enqueue(submission_id)
            return
        grade_submission.enqueue(submission_id)
    except Exception:
        logger.exception("could not queue the grade of submission %s; `exercises requeue` will", submission_id)
