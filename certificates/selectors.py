"""Reads: a certificate by its public id, what it says now, and who may download or revoke it."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from facilities.selectors import is_facility_staff, scoped_to_staff

from .ids import normalise
from .models import Certificate
from .status import CertificateState, certificate_state

FACILITY_PATH = "completion__programme__facility"


def _with_details(queryset: QuerySet) -> QuerySet:
    return queryset.select_related("completion__user", "completion__programme__facility__logo")


def certificate_by_public_id(given: str) -> Certificate | None:
    """One indexed lookup whatever is given: a malformed id queries for '' and finds nothing, so forged,
    malformed and unknown ids take the same path and the same time."""
    return _with_details(Certificate.objects.filter(public_id=normalise(given))).first()


def state_of(certificate: Certificate | None, *, now: datetime | None = None) -> CertificateState:
    if certificate is None:
        return CertificateState.UNKNOWN
    return certificate_state(
        valid_until=certificate.completion.valid_until, revoked_at=certificate.revoked_at, now=now or timezone.now()
    )


def holder_name(user) -> str:
    return user.get_full_name().strip() or user.get_username()


@dataclass(frozen=True)
class Verification:
    """What the public page may show: the state, the certificate's id as issued, the holder's name and
    what the certificate is for."""

    state: CertificateState
    public_id: str = ""
    holder: str = ""
    programme: str = ""
    facility: str = ""
    passed_at: datetime | None = None
    valid_until: datetime | None = None
    revoked_at: datetime | None = None


def verification(given: str, *, now: datetime | None = None) -> Verification:
    certificate = certificate_by_public_id(given)
    state = state_of(certificate, now=now)
    if certificate is None:
        return Verification(state)
    completion = certificate.completion
    return Verification(
        state, public_id=certificate.public_id, holder=holder_name(completion.user),
        programme=completion.programme.name, facility=completion.programme.facility.name,
        passed_at=completion.passed_at, valid_until=completion.valid_until, revoked_at=certificate.revoked_at,
    )  # fmt: skip


def certificates_of(user) -> QuerySet[Certificate]:
    return _with_details(Certificate.objects.filter(completion__user=user)).order_by("-completion__passed_at")


def certificates_for_staff(user) -> QuerySet[Certificate]:
    """The certificates of the facilities the user manages (every one for superusers)."""
    return scoped_to_staff(_with_details(Certificate.objects.all()), user, facility_path=FACILITY_PATH)


def manages(user, certificate: Certificate) -> bool:
    return is_facility_staff(user, certificate.completion.programme.facility_id)


def may_download(user, certificate: Certificate) -> bool:
    """The holder, staff of the certificate's facility, superusers."""
    if not getattr(user, "is_authenticated", False):
        return False
    return certificate.completion.user_id == user.pk or manages(user, certificate)


def verify_url(public_id: str) -> str:
    """The public verification page, absolute on the site's configured base URL (PANLEARN_BASE_URL), so
    the QR code does not depend on the host a download happened to be made through."""
    from django.conf import settings
    from django.urls import reverse

    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + reverse("certificates:verify", args=[public_id])
