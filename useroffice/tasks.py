"""Background work of the user-office export (run by `manage.py db_worker`; schedule in docs/user-office.md)."""

from django.utils import timezone
from django_tasks import task

from . import services


@task()
def deliver_webhook(delivery_id: int) -> int | None:
    """One attempt; after a failure, the next one is deferred to its backoff time where the backend can
    defer (the database backend), else left to `retry_webhooks` on the schedule. Returns the HTTP status."""
    return _attempt_and_defer(delivery_id)


def _attempt_and_defer(delivery_id: int) -> int | None:
    delivery = services.webhook_attempt(delivery_id)
    if delivery is None or delivery.next_attempt_at is None:
        return delivery.last_status if delivery else None
    if delivery.delivered_at is None and delivery.given_up_at is None and deliver_webhook.get_backend().supports_defer:
        deliver_webhook.using(run_after=delivery.next_attempt_at).enqueue(delivery_id)
    return delivery.last_status


@task()
def retry_webhooks() -> int:
    """The scheduled catch-up: announce expiries recorded without a save signal, then send whatever is due."""
    services.expiries_unannounced()
    due = services.webhook_due(now=timezone.now())
    for delivery_id in due:  # a failed one is deferred to its backoff time, as a queued delivery is
        _attempt_and_defer(delivery_id)
    return len(due)
