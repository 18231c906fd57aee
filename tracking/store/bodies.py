"""A request's body, read from the stream up to the store's own limit: Django's DATA_UPLOAD_MAX_MEMORY_SIZE
(2.5 MB) is meant for forms, and would answer a larger statement batch or document with its own 400."""

from django.conf import settings
from django.http import HttpRequest


class RequestTooLarge(Exception):
    """Answered 413."""


def read_body(request: HttpRequest, limit: int | None = None) -> bytes:
    """The body, up to `limit` bytes (the store's request limit by default), or RequestTooLarge."""
    if limit is None:
        limit = settings.PANLEARN_TRACKING_STORE_MAX_REQUEST_BYTES
    if request.__dict__.get("_body") is not None:  # already read (the alternate syntax's content)
        body = request._body
    else:
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > limit:
            raise RequestTooLarge(f"a request holds at most {limit} bytes")
        body = request.read(limit + 1)
        request._body = body
    if len(body) > limit:
        raise RequestTooLarge(f"a request holds at most {limit} bytes")
    return body
