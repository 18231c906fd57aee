"""Writes: issuing a certificate for a recorded pass, and revoking one."""

import logging
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from onboarding.models import ProgrammeCompletion

from .ids import new_public_id
from .models import Certificate

logger = logging.getLogger(__name__)


def certificate_issue(*, completion: ProgrammeCompletion, now: datetime | None = None) -> Certificate:
    """Idempotent: a completion has one certificate, issued when the pass is recorded."""
    existing = Certificate.objects.filter(completion=completion).first()
    if existing is not None:
        return existing
    for _ in range(3):  # an id collision (80 random bits) is astronomically rare; retry rather than fail
        try:
            with transaction.atomic():
                return Certificate.objects.create(
                    completion=completion, public_id=new_public_id(), issued_at=now or timezone.now()
                )
        except IntegrityError:
            existing = Certificate.objects.filter(completion=completion).first()
            if existing is not None:
                return existing
    raise RuntimeError("could not draw a unique certificate id")


def certificate_issue_missing(*, now: datetime | None = None) -> int:
    """Certificates for passes recorded before this app was installed (or while issuing failed)."""
    missing = ProgrammeCompletion.objects.filter(certificate__isnull=True)
    return sum(1 for completion in missing.iterator() if certificate_issue(completion=completion, now=now))


def certificate_revoke(*, certificate: Certificate, by, reason: str, now: datetime | None = None) -> Certificate:
    """Revoke for good (the verification page says so from now on). Revoking again keeps the first record."""
    reason = reason.strip()
    if not reason:
        raise ValueError("A revocation needs a reason.")
    updated = Certificate.objects.filter(pk=certificate.pk, revoked_at__isnull=True).update(
        revoked_at=now or timezone.now(), revoke_reason=reason, revoked_by=by
    )
    certificate.refresh_from_db()
    if updated:
        logger.info("certificate %s revoked by user %s", certificate.public_id, getattr(by, "pk", None))
    return certificate
