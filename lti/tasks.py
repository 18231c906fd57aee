"""Background work of the LTI tool: score posts (with retries) and roster syncs."""

import logging

from django.utils import timezone
from django_tasks import task

from .delivery import score_deliver
from .roster import roster_sync

logger = logging.getLogger(__name__)


@task()
def deliver_score(delivery_id: int) -> None:
    wait = score_deliver(delivery_id)
    if wait is not None and deliver_score.get_backend().supports_defer:
        deliver_score.using(run_after=timezone.now() + wait).enqueue(delivery_id)
    # Otherwise (the immediate backend) the row stays pending: `manage.py lti retry` queues it again.


def enqueue_delivery(delivery_id: int) -> None:
    """Queue a score post; never raises (the row stays pending, and `lti retry` finds it)."""
    try:
        deliver_score.enqueue(delivery_id)
    except Exception:
        logger.exception("could not queue score delivery %s; `manage.py lti retry` will", delivery_id)


@task()
def sync_roster(context_id: int) -> int:
    return roster_sync(context_id)
