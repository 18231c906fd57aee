"""Cookies and frame headers for pages shown inside an LMS.

A launch arrives as a cross-site POST in the LMS's iframe, and every later request from that frame is
cross-site too: the session and CSRF cookies must be SameSite=None (and so Secure), and the page must be
frameable by the LMS. Both are relaxed only for a session that an LTI launch signed in (the launch keeps
the platform's origins in that session, so they go with it at logout), and framing only for learner-facing
pages (site pages, the exercise endpoints, the deep linking picker): never the admin, the account pages or
the account-link choice. Every other response keeps Lax cookies and X-Frame-Options.
"""

import time

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings

SESSION_KEY = "lti_frame"
MARKER_COOKIE = "panlearn_lti"
# Learner-facing endpoints besides the site's pages (Wagtail's serve view), which may be framed.
FRAMEABLE_PREFIXES = ("/learn/exercises/", "/learn/cells/", "/lti/deep-link/")


def frame_origins_remember(request, origins: list[str]) -> None:
    """Called by a launch after signing in (the session key has just been cycled)."""
    request.session[SESSION_KEY] = {"origins": origins, "until": time.time() + settings.PANLEARN_LTI_FRAME_MAX_AGE}


def frame_origins(request) -> list[str]:
    session = getattr(request, "session", None)
    value = session.get(SESSION_KEY) if session is not None else None
    if not isinstance(value, dict) or value.get("until", 0) < time.time():
        return []
    return [origin for origin in value.get("origins", []) if isinstance(origin, str)]


def frameable(request) -> bool:
    match = getattr(request, "resolver_match", None)
    if match is not None and match.url_name == "wagtail_serve":
        return True
    return request.path.startswith(FRAMEABLE_PREFIXES)


def _cross_site(response, name: str) -> None:
    if name in response.cookies and response.cookies[name].value:
        response.cookies[name]["samesite"] = "None"
        response.cookies[name]["secure"] = True


def adjust(request, response):
    origins = frame_origins(request)
    if not origins:
        if MARKER_COOKIE in request.COOKIES:  # signed out, or the launch expired: no more session reads
            response.delete_cookie(MARKER_COOKIE, samesite="None")
        return response
    if MARKER_COOKIE not in request.COOKIES:
        response.set_cookie(MARKER_COOKIE, "1", max_age=settings.PANLEARN_LTI_FRAME_MAX_AGE, secure=True,
                            httponly=True, samesite="None")  # fmt: skip
    for name in (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME):
        _cross_site(response, name)
    if frameable(request) and not getattr(response, "lti_top_level", False):
        # Sent only to the session of an LTI launch: its LMS may frame the page, nobody else.
        response.headers.pop("X-Frame-Options", None)
        response.headers["Content-Security-Policy"] = "frame-ancestors 'self' " + " ".join(origins)
    return response


def _session_loaded(request) -> bool:
    """The view has read the session already (request.user does): reading it again costs no query."""
    return hasattr(getattr(request, "session", None), "_session_cache")


def _may_have_origins(request) -> bool:
    """Origins are in a session a launch signed in, and that browser carries the marker cookie (it says only
    "read the session": the origins themselves are never taken from a cookie). The launch's own request
    has loaded and written its session."""
    return getattr(request, "session", None) is not None and (
        MARKER_COOKIE in request.COOKIES or _session_loaded(request)
    )


class LtiFrameMiddleware:
    """Above SessionMiddleware and CsrfViewMiddleware, so it sees the cookies they set. It reads the session
    only where it may hold a launch's origins; under ASGI in a thread only if the view has not loaded it
    (the common request, with no launch behind it, costs no thread and no query)."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        if iscoroutinefunction(self.get_response):
            markcoroutinefunction(self)

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self.__acall__(request)
        response = self.get_response(request)
        return adjust(request, response) if _may_have_origins(request) else response

    async def __acall__(self, request):
        response = await self.get_response(request)
        if not _may_have_origins(request):
            return response
        if _session_loaded(request):
            return adjust(request, response)
        return await sync_to_async(adjust)(request, response)
