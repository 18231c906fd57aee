"""Passes and expiries fire the facility's webhook: a created ProgrammeCompletion is a completion, and
onboarding's `completion_expired` signal an expiry (a saved completion with `expiry_recorded_at` set counts
too). The scheduled `retry_webhooks` task still announces any expiry missed (`services.expiries_unannounced`)."""

import logging

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from onboarding.events import completion_expired
from onboarding.models import ProgrammeCompletion

from .models import Event
from .services import webhook_event
from .tasks import deliver_webhook

logger = logging.getLogger(__name__)


@receiver(post_save, sender=ProgrammeCompletion, dispatch_uid="panlearn_useroffice_webhook")
def completion_saved(sender, instance: ProgrammeCompletion, created: bool, raw: bool = False, **kwargs) -> None:
    if raw:
        return
    event = Event.COMPLETION if created else (Event.EXPIRY if instance.expiry_recorded_at else None)
    if event is None:
        return
    try:
        with transaction.atomic():  # never lose the pass because a webhook could not be recorded
            delivery = webhook_event(completion=instance, event=event)
    except Exception:
        logger.exception("useroffice: could not record the %s webhook of completion %s", event, instance.pk)
        return
    if delivery is not None:
        transaction.on_commit(lambda: deliver_webhook.enqueue(delivery.pk))


@receiver(completion_expired, dispatch_uid="panlearn_useroffice_expiry_webhook")
def completion_expired_now(sender, completion: ProgrammeCompletion, **kwargs) -> None:
    completion_saved(sender, completion, created=False)
