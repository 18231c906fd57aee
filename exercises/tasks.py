"""Background work of exercises (run by `manage.py db_worker`)."""

from django_tasks import task

from .submissions import submission_grade


@task()
def grade_submission(submission_id: int) -> str:
    """Grade one submission in a fresh sandbox; the outcome is stored on its row."""
    return submission_grade(submission_id).status
