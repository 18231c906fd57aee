"""Background work of the content app (run by `manage.py db_worker`)."""

from django_tasks import task

from .imports import import_run


@task()
def import_dataset(job_id: int) -> str:
    """Download an added dataset's files; progress and outcome are on its DatasetImport row."""
    return import_run(job_id).status
