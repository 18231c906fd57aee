"""A recorded pass issues its certificate. A receiver, so onboarding stays unaware of certificates; it runs
in the pass's transaction, behind a savepoint: a failure to issue must never lose the pass itself
(`certificate_issue_missing` catches up)."""

import logging

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from onboarding.models import ProgrammeCompletion

logger = logging.getLogger(__name__)


@receiver(post_save, sender=ProgrammeCompletion, dispatch_uid="panlearn_certificates_issue")
def completion_recorded(sender, instance: ProgrammeCompletion, created: bool, raw: bool = False, **kwargs) -> None:
    if not created or raw:
        return
    from .services import certificate_issue

    try:
        with transaction.atomic():
            certificate_issue(completion=instance)
    except Exception:
        logger.exception("certificates: could not issue a certificate for completion %s", instance.pk)
