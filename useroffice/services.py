"""Writes: webhooks (set up, events recorded, attempts made) — tokens are in `tokens.py`."""

import json
import logging
import secrets
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.selectors import confirmed_email_of
from onboarding.models import ProgrammeCompletion
from panlearn.outbound import PublicOnlyTransport, RefusedAddress, resolve_public

from . import signing
from .models import Event, Webhook, WebhookDelivery

logger = logging.getLogger(__name__)
BACKOFF_S = (60, 300, 1800, 7200, 21600, 43200)


def webhook_set(*, facility, url: str, is_active: bool = True) -> tuple[Webhook, str | None]:
    """Create or change the facility's webhook; a new one gets a secret, returned (to show once)."""
    webhook = Webhook.objects.filter(facility=facility).first()
    if webhook is None:
        secret = secrets.token_urlsafe(32)
        return Webhook.objects.create(facility=facility, url=url, is_active=is_active, secret=secret), secret
    webhook.url, webhook.is_active = url, is_active
    webhook.save(update_fields=["url", "is_active"])
    return webhook, None


def webhook_secret_rotate(*, webhook: Webhook) -> str:
    webhook.secret = secrets.token_urlsafe(32)
    webhook.save(update_fields=["secret"])
    return webhook.secret


def event_body(*, completion: ProgrammeCompletion, event: str) -> dict:
    user, programme = completion.user, completion.programme
    return {
        "event": event,
        "completion": str(completion.uid),
        "facility": programme.facility.short_name,
        "programme": {"id": programme.pk, "name": programme.name},
        "user": {
            "id": user.pk,
            "username": user.get_username(),
            "name": user.get_full_name().strip(),
            "email": confirmed_email_of(user),  # an unconfirmed address may be anyone's
        },
        "passed_at": completion.passed_at,
        "valid_until": completion.valid_until,
        "via": completion.via,
        "expired_at": completion.expiry_recorded_at if event == Event.EXPIRY else None,
    }


def webhook_event(*, completion: ProgrammeCompletion, event: str) -> WebhookDelivery | None:
    """Record the event for the facility's active webhook (once per completion and event). The caller sends
    it: the save signal's receiver queues it after commit, the scheduled `retry_webhooks` sends what is due."""
    webhook = Webhook.objects.filter(facility_id=completion.programme.facility_id, is_active=True).first()
    if webhook is None:
        return None
    body = json.dumps(event_body(completion=completion, event=event), cls=DjangoJSONEncoder, sort_keys=True)
    try:
        with transaction.atomic():
            delivery = WebhookDelivery.objects.create(webhook=webhook, completion=completion, event=event, body=body,
                                                      next_attempt_at=timezone.now())  # fmt: skip
    except IntegrityError:
        return None  # already recorded: a resave or the sweep meeting the receiver
    return delivery


def _refused_host(url: str) -> str:
    """Why the URL may not be called ('' if it may): https to public addresses only, unless the operator
    allows loopback and private receivers (tests, a development set-up): staff must not aim the server at
    its own services. The transport of the request checks again, on the address it connects to."""
    if settings.PANLEARN_USEROFFICE_WEBHOOK_ALLOW_PRIVATE:
        return ""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        return "not an https URL"
    try:
        resolve_public(parts.hostname, parts.port or 443)
    except RefusedAddress as error:
        return str(error)
    return ""


def _webhook_client(timeout: float) -> httpx.Client:
    if settings.PANLEARN_USEROFFICE_WEBHOOK_ALLOW_PRIVATE:
        return httpx.Client(timeout=timeout, follow_redirects=False)
    return httpx.Client(timeout=timeout, follow_redirects=False, transport=PublicOnlyTransport(schemes=("https",)))


def webhook_attempt(delivery_id: int, *, now: datetime | None = None) -> WebhookDelivery | None:
    """Send one delivery once, if it is due; record the outcome on it and on its webhook."""
    now = now or timezone.now()
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update().select_related("webhook")
            .filter(pk=delivery_id, delivered_at__isnull=True, given_up_at__isnull=True).first()
        )  # fmt: skip
        if delivery is None or (delivery.next_attempt_at and delivery.next_attempt_at > now):
            return delivery
        # Claim it: a second worker finds it not due until this attempt's timeout has long passed.
        delivery.attempts += 1
        delivery.next_attempt_at = now + timedelta(seconds=BACKOFF_S[min(delivery.attempts - 1, len(BACKOFF_S) - 1)])
        delivery.save(update_fields=["attempts", "next_attempt_at"])
    webhook = delivery.webhook
    status, error = None, _refused_host(webhook.url)
    if not error:
        body = delivery.body.encode()
        headers = {"Content-Type": "application/json", "User-Agent": "panlearn-webhook/1",
                   signing.EVENT_HEADER: delivery.event, signing.DELIVERY_HEADER: str(delivery.pk),
                   **signing.signed_headers(secret=webhook.secret, body=body)}  # fmt: skip
        try:
            timeout = settings.PANLEARN_USEROFFICE_WEBHOOK_TIMEOUT
            with _webhook_client(timeout) as client:
                response = client.post(webhook.url, content=body, headers=headers)
            status = response.status_code
            error = "" if 200 <= status < 300 else f"HTTP {status}: {response.text[:200]}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
    delivery.last_status, delivery.last_error = status, error
    if not error:
        delivery.delivered_at, delivery.next_attempt_at = now, None
    elif delivery.attempts >= settings.PANLEARN_USEROFFICE_WEBHOOK_ATTEMPTS:
        delivery.given_up_at, delivery.next_attempt_at = now, None
        logger.warning("useroffice: gave up webhook delivery %s after %s attempts: %s", delivery.pk,
                       delivery.attempts, error)  # fmt: skip
    delivery.save(update_fields=["last_status", "last_error", "delivered_at", "given_up_at", "next_attempt_at"])
    Webhook.objects.filter(pk=webhook.pk).update(last_attempt_at=now, last_status=status, last_error=error)
    return delivery


def webhook_due(*, now: datetime | None = None) -> list[int]:
    now = now or timezone.now()
    return list(
        WebhookDelivery.objects.filter(delivered_at__isnull=True, given_up_at__isnull=True, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:500]
    )


def expiries_unannounced() -> int:
    """Expiries recorded without a save signal (onboarding marks them with an UPDATE) get their event here."""
    pending = ProgrammeCompletion.objects.filter(
        expiry_recorded_at__isnull=False, programme__facility__useroffice_webhook__is_active=True,
        programme__facility__useroffice_webhook__created_at__lte=F("expiry_recorded_at"),
    ).exclude(pk__in=WebhookDelivery.objects.filter(event=Event.EXPIRY).values("completion_id"))  # fmt: skip
    count = 0
    for completion in pending.select_related("user", "programme__facility").iterator():
        count += webhook_event(completion=completion, event=Event.EXPIRY) is not None
    return count
