"""The one-time links of invitations: who a link is for, whether it still works, and using it."""

import hashlib
from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from accounts.models import ConfirmedEmail
from accounts.services import email_confirm_proven
from courses.models import Enrolment
from tracking import interface as tracking

from .models import ParticipantInvitation


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_for_token(token: str) -> ParticipantInvitation | None:
    if not token or len(token) > 100:
        return None
    return (
        ParticipantInvitation.objects.filter(token_hash=token_hash(token))
        .select_related("user", "experiment__facility")
        .first()
    )


def invitation_problem(invitation: ParticipantInvitation | None, *, now: datetime | None = None) -> str:
    """Why the link does not work ("" when it does)."""
    now = now or timezone.now()
    if invitation is None:
        return "unknown"
    if invitation.used_at is not None:
        return "used"
    if invitation.expires_at is not None and invitation.expires_at <= now:
        return "expired"
    return ""


def link_signs_in(invitation: ParticipantInvitation) -> bool:
    """The link itself signs in only an account the import made and nobody has signed in to since
    (it has no password yet); any other account signs in as usual first."""
    user = invitation.user
    return (
        invitation.created_account
        and user.last_login is None
        and user.is_active
        and not user.is_staff
        and not user.is_superuser
    )


@transaction.atomic
def invitation_use(*, invitation: ParticipantInvitation, user, now: datetime | None = None) -> bool:
    """Spend the link (once) for its own user, who thereby proves their address; the enrolments it made are
    recorded as xAPI `registered`."""
    now = now or timezone.now()
    if user.pk != invitation.user_id:
        raise PermissionDenied("This invitation is for another account.")
    updated = ParticipantInvitation.objects.filter(pk=invitation.pk, used_at__isnull=True).update(used_at=now)
    if not updated:
        return False
    invitation.used_at = now
    # The link was mailed to `sent_to` (invitations_send): whoever spends it receives mail there, which turns a
    # confirmation that was only the facility's word into proof, if the account still uses that address.
    email_confirm_proven(user=user, address=invitation.sent_to, how=ConfirmedEmail.LINK, now=now)
    enrolments = Enrolment.objects.filter(user=user, course_id__in=invitation.enrolled_course_ids, is_active=True)
    with tracking.batch():
        for enrolment in enrolments.select_related("course"):
            tracking.enrolled(enrolment=enrolment)
    return True
