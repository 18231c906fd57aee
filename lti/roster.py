"""Names and Role Provisioning: an LMS course's members become panlearn accounts (by issuer and subject,
as at a launch), enrolled in the placed course or made its trainers, so the gradebook and dashboards list
them before they first open anything. Members the LMS marks inactive lose their enrolment."""

import contextlib

import requests
from django.db import transaction
from django.utils import timezone

from courses.exceptions import NotEnrolled
from courses.services import enrolment_deactivate

from .claims import launch_from
from .models import LtiContext, LtiIdentity
from .services import course_join, identity_create, identity_touch
from .tool_config import PlatformRegistration, PlatformServiceConnector

NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
NRPS_MEDIA_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"


def members_fetch(context: LtiContext, *, session: requests.Session | None = None) -> list[dict]:
    connector = PlatformServiceConnector(PlatformRegistration(context.platform), session or requests.Session())
    members = []
    for page in connector.get_paginated_data([NRPS_SCOPE], context.memberships_url, accept=NRPS_MEDIA_TYPE):
        members.extend((page["body"] or {}).get("members", []))
    return members


def member_claims(member: dict) -> dict:
    """A member as launch claims, so the roster and a launch read people the same way."""
    return {"sub": member.get("user_id"), "name": member.get("name"), "email": member.get("email"),
            "given_name": member.get("given_name"),
            "https://purl.imsglobal.org/spec/lti/claim/roles": member.get("roles") or []}  # fmt: skip


def roster_sync(context_id: int) -> int:
    """Sync one placed course's roster; the number of active members."""
    context = LtiContext.objects.select_related("platform", "course").get(pk=context_id)
    if not context.memberships_url:
        return 0
    active = 0
    for member in members_fetch(context):
        read = launch_from(member_claims(member))
        if not read.subject:
            continue
        with transaction.atomic():
            identity = LtiIdentity.objects.select_related("user").filter(platform=context.platform,
                                                                         subject=read.subject).first()  # fmt: skip
            if member.get("status", "Active") != "Active":
                if identity is not None:
                    with contextlib.suppress(NotEnrolled):
                        enrolment_deactivate(user=identity.user, course=context.course)
                continue
            if identity is None:
                identity = identity_create(platform=context.platform, launch=read)
            else:
                identity_touch(identity, read)
            course_join(user=identity.user, course=context.course, role=read.role)
            active += 1
    context.roster_synced_at = timezone.now()
    context.save(update_fields=["roster_synced_at", "updated_at"])
    return active
