"""Who and what statements are about: pseudonymous actors, registrations and activity IRIs.

Activity IRIs are built from primary keys under the site's URL, so renaming or moving a page
never changes what earlier statements refer to.
"""

import hashlib
import hmac
import uuid
from collections.abc import Callable
from functools import lru_cache
from urllib.parse import quote

from django.conf import settings

from .xapi import vocabulary as v
from .xapi.builders import NAMESPACE, activity
from .xapi.models import Account, Activity, Agent


def homepage() -> str:
    return (settings.PANLEARN_TRACKING_HOMEPAGE or settings.WAGTAILADMIN_BASE_URL).rstrip("/")


def language() -> str:
    """Django's language code as an RFC 5646 tag (en-gb -> en-GB)."""
    main, _, region = settings.LANGUAGE_CODE.partition("-")
    return f"{main}-{region.upper()}" if region and len(region) == 2 else settings.LANGUAGE_CODE


def pseudonym(user_id: int) -> str:
    """Stable per user and site, not reversible without the secret: never the username or email."""
    secret = (settings.PANLEARN_TRACKING_PSEUDONYM_SECRET or settings.SECRET_KEY).encode()
    return hmac.new(secret, f"panlearn.tracking.actor:{user_id}".encode(), hashlib.sha256).hexdigest()[:32]


def _no_confirmed_email(user) -> str:
    return ""


# Whether an address is the user's own (confirmed) is the accounts app's knowledge. It hands its lookup
# over at start-up (AccountsConfig.ready), so that tracking imports no app above it. Without it, no
# address counts and actors stay pseudonymous.
_confirmed_email_of: Callable[[object], str] = _no_confirmed_email


def use_confirmed_email_lookup(lookup: Callable[[object], str]) -> None:
    """`lookup(user)` is the user's confirmed address, or "" (an unconfirmed one may be someone else's)."""
    global _confirmed_email_of
    _confirmed_email_of = lookup


def confirmed_email_of(user) -> str:
    return _confirmed_email_of(user) if getattr(user, "email", "") else ""


def actor_for(user) -> Agent:
    # mbox sites only: one query more per statement
    if settings.PANLEARN_TRACKING_ACTOR == "mbox" and (email := confirmed_email_of(user)):
        return _agent(mbox=f"mailto:{email}")
    return _agent(home_page=homepage(), name=pseudonym(user.pk))


def actor_keys(user_id: int, *, email: str = "") -> set[str]:
    """Every key a user's statements may carry: their pseudonymous account and, for sites that switched
    PANLEARN_TRACKING_ACTOR to mbox at some point, `email`, their confirmed address if any."""
    keys = {actor_key({"account": {"homePage": homepage(), "name": pseudonym(user_id)}})}
    if email:
        keys.add(actor_key({"mbox": f"mailto:{email}"}))
    return keys


@lru_cache(maxsize=4096)
def _agent(*, mbox: str = "", home_page: str = "", name: str = "") -> Agent:
    """Built and validated once per actor: the models are frozen, so events share them."""
    return Agent(mbox=mbox) if mbox else Agent(account=Account(homePage=home_page, name=name))


def actor_key(agent: dict) -> str:
    """One string per inverse functional identifier, to index and filter statements by actor."""
    if agent.get("mbox"):
        return "mbox:" + agent["mbox"].lower()
    if agent.get("mbox_sha1sum"):
        return "sha1:" + agent["mbox_sha1sum"]
    if agent.get("openid"):
        return "openid:" + agent["openid"]
    if agent.get("account"):
        return f"account:{agent['account'].get('homePage')}|{agent['account'].get('name')}"
    return ""


def registration_for(*, user_id: int, course_id: int) -> uuid.UUID:
    """One registration per enrolment, derived rather than stored: every event computes the same one."""
    return uuid.uuid5(NAMESPACE, f"{homepage()}|registration|{user_id}|{course_id}")


def course_activity(course) -> Activity:
    return activity(iri=f"{homepage()}/xapi/activities/course/{course.pk}", kind=v.COURSE, name=course.title,
                    language=language())  # fmt: skip


def lesson_activity(lesson) -> Activity:
    return activity(iri=f"{homepage()}/xapi/activities/lesson/{lesson.pk}", kind=v.LESSON, name=lesson.title,
                    language=language())  # fmt: skip


def exercise_activity(exercise) -> Activity:
    """A quiz is an assessment (its questions are the interactions); code and free responses are
    long-fill-in interactions."""
    iri = f"{homepage()}/xapi/activities/exercise/{exercise.pk}"
    if getattr(exercise, "kind", None) == "quiz":
        return activity(iri=iri, kind=v.ASSESSMENT, name=exercise.title, language=language())
    return activity(iri=iri, kind=v.INTERACTION, name=exercise.title, language=language(),
                    interactionType="long-fill-in")  # fmt: skip


def cell_activity(*, page_id: int, cell_id: str, lesson_title: str) -> Activity:
    iri = f"{homepage()}/xapi/activities/lesson/{page_id}/cell/{quote(cell_id, safe='')}"
    return activity(iri=iri, kind=v.CODE_CELL, name=f"Code cell in {lesson_title}", language=language())
