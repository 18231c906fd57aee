"""What a verified launch message says, read into plain values (pure functions: no database)."""

import re
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
    """A database id, or None: ASCII digits only ("²".isdigit() is true) and small enough for a bigint."""
    text = str(value).strip() if isinstance(value, str | int) and not isinstance(value, bool) else ""
    return int(text) if re.fullmatch(r"[0-9]{1,18}", text) else None


def _url_or_empty(value) -> str:
    """A service URL that fits its column (500); anything longer or not http(s) is dropped, not truncated."""
    text = value if isinstance(value, str) else ""
    return text if len(text) <= 500 and text.startswith(("https://", "http://")) else ""


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


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
    context = _dict(body.get(f"{LTI}context"))
    custom = _dict(body.get(f"{LTI}custom"))
    ags = _dict(body.get(AGS_ENDPOINT))
    nrps = _dict(body.get(NRPS))
    roles = body.get(f"{LTI}roles")
    return Launch(
        issuer=str(body.get("iss", "")),
        subject=str(body.get("sub", "")),
        message_type=str(body.get(f"{LTI}message_type", "")),
        deployment_id=str(body.get(f"{LTI}deployment_id", "")),
        role=role_of([role for role in roles if isinstance(role, str)] if isinstance(roles, list) else []),
        name=str(body.get("name") or "")[:255],
        email=str(body.get("email") or "")[:254],
        given_name=str(body.get("given_name") or "")[:150],
        context_id=str(context.get("id") or ""),
        context_title=str(context.get("title") or "")[:255],
        page_id=_int_or_none(custom.get(PAGE_PARAMETER)),
        exercise_id=_int_or_none(custom.get(EXERCISE_PARAMETER)),
        lineitem_url=_url_or_empty(ags.get("lineitem")),
        memberships_url=_url_or_empty(nrps.get("context_memberships_url")),
    )
