"""Assignment and Grade Services: a score delivery is recorded in the grade's transaction and posted to the
line item by a task after the commit (`delivery.py`, with retries); the admin lists each with its status,
attempts and last error."""

from django.db import transaction
from django.utils import timezone

from exercises.models import Exercise

from .models import DeliveryStatus, ScoreDelivery
from .selectors import counting_score, score_destinations
from .tasks import enqueue_delivery

COMPLETED, SUBMITTED = "Completed", "Submitted"
FULLY_GRADED, PENDING_MANUAL = "FullyGraded", "PendingManual"


def score_deliveries_create(*, user, exercise: Exercise, course=None) -> list[ScoreDelivery]:
    """One delivery per line item of the exercise the user's LMS has; each posted after the commit."""
    destinations = score_destinations(user=user, exercise=exercise, course=course)
    if not destinations:
        return []
    score, possible, awaiting = counting_score(user=user, exercise=exercise)
    if score is None and not awaiting:
        return []
    deliveries = [
        ScoreDelivery.objects.create(
            line_item=line_item,
            identity=identity,
            score_given=score,
            score_maximum=possible or 0,
            activity_progress=COMPLETED if score is not None else SUBMITTED,
            grading_progress=FULLY_GRADED if score is not None else PENDING_MANUAL,
            timestamp=timezone.now(),
        )
        for line_item, identity in destinations
    ]
    for delivery in deliveries:
        transaction.on_commit(lambda pk=delivery.pk: enqueue_delivery(pk))
    return deliveries


def pending_deliveries_retry() -> int:
    """Queue every delivery still pending (after a worker outage, or with a backend that cannot defer)."""
    ids = list(ScoreDelivery.objects.filter(status=DeliveryStatus.PENDING).values_list("pk", flat=True))
    for pk in ids:
        enqueue_delivery(pk)
    return len(ids)
