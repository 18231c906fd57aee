"""HTTP to an LMS: its key set, token endpoint, line items and rosters. Some of these URLs come from launch
messages and platform answers (a line item, a roster, a `Link: rel=next`), so every call is https to public
addresses only (panlearn.outbound, checked at connect time), without redirects, with a timeout and a size
limit, and a URL carrying the platform's token must be on the platform's own host. What a platform answers
is logged, never shown to users."""

import json
import logging
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from pylti1p3.exception import LtiException

from panlearn.outbound import PublicOnlyTransport

logger = logging.getLogger(__name__)
TIMEOUT_SECONDS = 10
MAX_BYTES = 2 * 1024 * 1024


class PlatformCallRefused(LtiException):
    """A platform URL that may not be called, or an answer that is not usable; the message is safe to store."""


def _allow_private() -> bool:
    return settings.PANLEARN_LTI_ALLOW_PRIVATE_PLATFORMS


def http_client() -> httpx.Client:
    if _allow_private():
        return httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False)
    return httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False,
                        transport=PublicOnlyTransport(schemes=("https",)))  # fmt: skip


def url_checked(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme != "https" and not (_allow_private() and parts.scheme == "http"):
        raise PlatformCallRefused(f"Refusing a non-https platform URL ({parts.scheme or 'no'} scheme).")
    if not parts.hostname:
        raise PlatformCallRefused("Refusing a platform URL without a host.")
    return url


def origin(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or (443 if scheme == "https" else 80)


def service_url_checked(platform, url: str) -> str:
    """A URL that will receive the platform's bearer token: at the origin of its issuer or token endpoint."""
    url_checked(url)
    if origin(url) not in {origin(platform.issuer), origin(platform.auth_token_url)}:
        raise PlatformCallRefused(f"Refusing {urlsplit(url).netloc}: not the platform's own address.")
    return url


def call_json(method: str, url: str, *, headers: dict | None = None, data=None, content: str | None = None):
    """(response headers, parsed JSON body or None); PlatformCallRefused on any failure."""
    url_checked(url)
    chunks, size = [], 0
    try:
        with http_client() as http, http.stream(method, url, headers=headers, data=data, content=content) as response:
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > MAX_BYTES:
                    raise PlatformCallRefused(f"{urlsplit(url).hostname} answered more than {MAX_BYTES} bytes.")
                chunks.append(chunk)
    except httpx.HTTPError as error:
        logger.warning("LTI platform call %s %s failed: %s", method, url, error)
        raise PlatformCallRefused(f"{urlsplit(url).hostname} could not be reached ({type(error).__name__}).") from None
    raw = b"".join(chunks)
    if not 200 <= response.status_code < 300:
        logger.warning("LTI platform call %s %s answered %s: %r", method, url, response.status_code, raw[:1000])
        raise PlatformCallRefused(f"{urlsplit(url).hostname} answered HTTP {response.status_code}.")
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        logger.warning("LTI platform call %s %s answered non-JSON: %r", method, url, raw[:1000])
        raise PlatformCallRefused(f"{urlsplit(url).hostname} did not answer JSON.") from None
    return response.headers, body
