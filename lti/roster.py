"""Names and Role Provisioning: an LMS course's members become panlearn accounts (by issuer and subject,
as at a launch), enrolled in the placed course under its enrolment policy (never made its trainers), so the
gradebook and dashboards list them before they first open anything. Members the LMS marks inactive no longer receive
this LMS course's scores; their panlearn enrolment is panlearn's to end. The roster never makes anyone a trainer,
but it takes back what launches from this LMS course gave (lti.trainers) from everyone it no longer lists as an
active instructor: inactive, a learner now, or gone."""

import contextlib

from django.db import transaction
from django.utils import timezone

from .claims import INSTRUCTOR, launch_from
from .exceptions import LaunchRefused
from .models import ContextMember, LtiContext, LtiIdentity
from .outbound import PlatformCallRefused
from .services import course_join, identity_create, identity_touch, membership_record
from .tool_config import PlatformRegistration, PlatformServiceConnector
from .trainers import roster_withdraw

NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
NRPS_MEDIA_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"


def members_fetch(context: LtiContext) -> list[dict]:
    """The roster's members (dicts only); PlatformCallRefused for a URL off the platform's host or a bad answer."""
    connector = PlatformServiceConnector(PlatformRegistration(context.platform))
    members = []
    for page in connector.get_paginated_data([NRPS_SCOPE], context.memberships_url, accept=NRPS_MEDIA_TYPE):
        body = page["body"]
        if not isinstance(body, dict) or not isinstance(body.get("members", []), list):
            raise PlatformCallRefused("The platform's roster is not a membership container.")
        members.extend(member for member in body.get("members", []) if isinstance(member, dict))
    return members


def member_claims(member: dict) -> dict:
    """A member as launch claims, so the roster and a launch read people the same way."""
    user_id = member.get("user_id")
    return {"sub": user_id if isinstance(user_id, str) else "", "name": member.get("name"),
            "email": member.get("email"), "given_name": member.get("given_name"),
            "https://purl.imsglobal.org/spec/lti/claim/roles": member.get("roles") or []}  # fmt: skip


def roster_sync(context_id: int) -> int:
    """Sync one placed course's roster; the number of active members."""
    context = LtiContext.objects.select_related("platform", "course").get(pk=context_id)
    if not context.memberships_url:
        return 0
    active, instructors = 0, set()
    for member in members_fetch(context):  # the whole roster first: a failed page withdraws nothing
        read = launch_from(member_claims(member))
        if not read.subject or len(read.subject) > 255:
            continue
        with transaction.atomic():
            identity = LtiIdentity.objects.select_related("user").filter(platform=context.platform,
                                                                         subject=read.subject).first()  # fmt: skip
            if member.get("status", "Active") != "Active":
                # Their scores stop going to this LMS course. Their panlearn enrolment stays: the roster did not
                # necessarily make it (they may have enrolled or been invited in panlearn), so it is not its to end.
                if identity is not None:
                    ContextMember.objects.filter(identity=identity, context_id=context.context_id).delete()
                continue
            if identity is None:
                identity = identity_create(platform=context.platform, launch=read)
            else:
                identity_touch(identity, read)
            membership_record(identity=identity, context_id=context.context_id)
            if read.role == INSTRUCTOR:
                instructors.add(identity.user_id)
            with contextlib.suppress(LaunchRefused):  # by invitation: the LMS's roster does not open it
                course_join(user=identity.user, course=context.course)
            active += 1
    roster_withdraw(context=context, instructors=instructors)
    context.roster_synced_at = timezone.now()
    context.save(update_fields=["roster_synced_at", "updated_at"])
    return active
