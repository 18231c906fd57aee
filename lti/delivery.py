"""Posting one score to its line item (run by the task worker): an access token from the platform's token
endpoint (client credentials, the assertion signed by the tool's key), then the AGS Score."""

import json
import logging
from datetime import timedelta

from django.conf import settings

from .models import DeliveryStatus, ScoreDelivery
from .tool_config import PlatformRegistration, PlatformServiceConnector

logger = logging.getLogger(__name__)
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
SCORE_MEDIA_TYPE = "application/vnd.ims.lis.v1.score+json"


def scores_url(line_item_url: str) -> str:
    """The line item URL with /scores appended to its path (its query, if any, kept)."""
    path, _, query = line_item_url.partition("?")
    return f"{path.rstrip('/')}/scores" + (f"?{query}" if query else "")


def score_post(delivery: ScoreDelivery) -> None:
    """POST the score with an access token from the platform (client credentials, signed by the tool)."""
    connector = PlatformServiceConnector(PlatformRegistration(delivery.line_item.platform))
    connector.make_service_request([SCORE_SCOPE], scores_url(delivery.line_item.url), is_post=True,
                                   data=json.dumps(delivery.payload()), content_type=SCORE_MEDIA_TYPE)  # fmt: skip


def score_deliver(delivery_id: int) -> timedelta | None:
    """Try one delivery; the wait before the next try if it failed and may be tried again, else None."""
    delivery = ScoreDelivery.objects.select_related("line_item__platform", "identity").filter(pk=delivery_id).first()
    if delivery is None or delivery.status != DeliveryStatus.PENDING:
        return None
    newer = ScoreDelivery.objects.filter(line_item=delivery.line_item, identity=delivery.identity,
                                         timestamp__gt=delivery.timestamp).exists()  # fmt: skip
    if newer:  # a later score supersedes this one: posting it after would be refused or undo the newer
        delivery.status, delivery.last_error = DeliveryStatus.SENT, "Superseded by a newer score."
        delivery.save(update_fields=["status", "last_error", "updated_at"])
        return None
    # Counted before the post: a post that never returns (a killed worker) still uses up a try.
    delivery.attempts += 1
    delivery.save(update_fields=["attempts", "updated_at"])
    try:
        score_post(delivery)
    except Exception as error:  # whatever the platform or its answer did: recorded, retried, never lost
        delivery.last_error = str(error)[:2000]
        gave_up = delivery.attempts >= settings.PANLEARN_LTI_SCORE_MAX_ATTEMPTS
        delivery.status = DeliveryStatus.FAILED if gave_up else DeliveryStatus.PENDING
        delivery.save(update_fields=["last_error", "status", "updated_at"])
        logger.warning("score delivery %s failed (attempt %s): %s", delivery.pk, delivery.attempts, error)
        return None if gave_up else timedelta(seconds=settings.PANLEARN_LTI_SCORE_RETRY_SECONDS * 2 ** (
            delivery.attempts - 1))  # fmt: skip
    delivery.status, delivery.last_error = DeliveryStatus.SENT, ""
    delivery.save(update_fields=["status", "last_error", "updated_at"])
    return None
