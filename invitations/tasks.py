"""Background work of bulk invitations (run by `manage.py db_worker`; schedule in docs/operator.md)."""

from django_tasks import task

from . import importing, reminders


@task()
def import_batch(batch_id: int) -> int:
    """Import a confirmed upload; its emails go out when the import has committed."""
    batch = importing.batch_import(batch_id=batch_id)
    return batch.imported_rows if batch else 0


@task()
def send_reminders() -> dict:
    """Reminders before experiments and before expiry, and invitation emails that failed; on a schedule."""
    return reminders.reminders_send().as_dict()
