"""Cookies and frame headers for pages shown inside an LMS.

A launch arrives as a cross-site POST in the LMS's iframe, and every later request from that frame is
cross-site too: the session and CSRF cookies must be SameSite=None (and so Secure), and the page must be
frameable by the LMS. Both are relaxed only for a browser that an LTI launch signed in (a signed cookie
names the platform's origins), and frame-ancestors names those origins alone; every other response keeps
Lax cookies and X-Frame-Options.
"""

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.core import signing

FRAME_COOKIE = "panlearn_lti_frame"
_SALT = "lti.frame"


def frame_cookie_value(origins: list[str]) -> str:
    return signing.dumps(origins, salt=_SALT)


def frame_origins(request) -> list[str]:
    value = request.COOKIES.get(FRAME_COOKIE)
    if not value:
        return []
    try:
        origins = signing.loads(value, salt=_SALT, max_age=settings.PANLEARN_LTI_FRAME_MAX_AGE)
    except signing.BadSignature:
        return []
    return [origin for origin in origins if isinstance(origin, str)]


def _cross_site(response, name: str) -> None:
    if name in response.cookies and response.cookies[name].value:
        response.cookies[name]["samesite"] = "None"
        response.cookies[name]["secure"] = True


def adjust(request, response):
    origins = getattr(response, "lti_frame_origins", None) or frame_origins(request)
    if origins or getattr(response, "lti_cross_site", False):
        for name in (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME, FRAME_COOKIE):
            _cross_site(response, name)
    if origins:
        # Sent only to the browser of an LTI launch: its LMS may frame the page, nobody else.
        response.headers.pop("X-Frame-Options", None)
        response.headers["Content-Security-Policy"] = "frame-ancestors 'self' " + " ".join(origins)
    return response


class LtiFrameMiddleware:
    """Above SessionMiddleware and CsrfViewMiddleware, so it sees the cookies they set; it reads only a
    cookie, so it runs in the event loop under ASGI with no thread of its own."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        if iscoroutinefunction(self.get_response):
            markcoroutinefunction(self)

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self.__acall__(request)
        return adjust(request, self.get_response(request))

    async def __acall__(self, request):
        return adjust(request, await self.get_response(request))
