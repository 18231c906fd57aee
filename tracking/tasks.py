"""Background work of learning records (run by `manage.py db_worker`)."""

import logging
from datetime import timedelta

from django.core.cache import cache
from django.utils import timezone
from django_tasks import task

from . import delivery

logger = logging.getLogger(__name__)
# Set while a delivery run is queued and not started (services.schedule_delivery_once); a run that died
# before it started leaves it for at most the TTL.
DELIVERY_QUEUED_KEY = "panlearn:tracking:delivery-queued"
DELIVERY_QUEUED_TTL = 60


@task()
def deliver_statements() -> dict:
    """Drain the outbox to every target; if statements wait in backoff, come back when they are due."""
    cache.delete(DELIVERY_QUEUED_KEY)  # before reading: a commit from now on queues the next run
    reports = delivery.deliver_all()
    _schedule_wakeup()
    return {name: report.delivered for name, report in reports.items()}


def _schedule_wakeup() -> None:
    """Come back when the next pending statement is due; at once when some are due now (the run's time
    budget ran out before the outbox was drained), since commits no longer queue a run each."""
    due = delivery.next_due()
    if due is None or not deliver_statements.get_backend().supports_defer:
        return
    due = max(due, timezone.now())
    # One deferred run per wake-up time, however many runs noticed it.
    key = f"panlearn:tracking:wakeup:{due.timestamp():.0f}"
    if cache.add(key, True, timeout=int((due - timezone.now()).total_seconds()) + 60):
        deliver_statements.using(run_after=due + timedelta(milliseconds=50)).enqueue()
