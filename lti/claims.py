"""What a verified launch message says, read into plain values (pure functions: no database)."""

from dataclasses import dataclass

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
AGS_ENDPOINT = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
DEEP_LINKING = "LtiDeepLinkingRequest"
RESOURCE_LINK = "LtiResourceLinkRequest"
MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
INSTRUCTOR_ROLES = {f"{MEMBERSHIP}Instructor", f"{MEMBERSHIP}ContentDeveloper", "Instructor", "ContentDeveloper"}
# Custom parameters a placement carries (deep linking sets them; an operator may type them in the LMS).
PAGE_PARAMETER = "panlearn_page"
EXERCISE_PARAMETER = "panlearn_exercise"

LEARNER, INSTRUCTOR = "learner", "instructor"


def role_of(roles: list[str]) -> str:
    """An LMS instructor or content developer of the context trains; everyone else learns. System and
    institution roles (an LMS administrator) give nothing more here."""
    return INSTRUCTOR if any(role in INSTRUCTOR_ROLES for role in roles or []) else LEARNER


def _int_or_none(value) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class Launch:
    issuer: str
    subject: str
    message_type: str
    deployment_id: str
    role: str
    name: str
    email: str
    given_name: str
    context_id: str
    context_title: str
    page_id: int | None
    exercise_id: int | None
    lineitem_url: str
    memberships_url: str


def launch_from(body: dict) -> Launch:
    context = body.get(f"{LTI}context") or {}
    custom = body.get(f"{LTI}custom") or {}
    ags = body.get(AGS_ENDPOINT) or {}
    nrps = body.get(NRPS) or {}
    return Launch(
        issuer=str(body.get("iss", "")),
        subject=str(body.get("sub", "")),
        message_type=str(body.get(f"{LTI}message_type", "")),
        deployment_id=str(body.get(f"{LTI}deployment_id", "")),
        role=role_of(body.get(f"{LTI}roles") or []),
        name=str(body.get("name") or "")[:255],
        email=str(body.get("email") or "")[:254],
        given_name=str(body.get("given_name") or "")[:150],
        context_id=str(context.get("id") or ""),
        context_title=str(context.get("title") or "")[:255],
        page_id=_int_or_none(custom.get(PAGE_PARAMETER)),
        exercise_id=_int_or_none(custom.get(EXERCISE_PARAMETER)),
        lineitem_url=str(ags.get("lineitem") or ""),
        memberships_url=str(nrps.get("context_memberships_url") or ""),
    )
