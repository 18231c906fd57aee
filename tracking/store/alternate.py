"""xAPI's Alternate Request Syntax (1.0.3, Communication 1.3), for clients that can only POST
(cross-origin requests from old browsers): `POST ...?method=PUT` with a form body that carries the
headers, the resource's parameters and the request's `content`. The request is rewritten in place
into the one it stands for, so the views see a plain request."""

from django.conf import settings
from django.core.exceptions import TooManyFieldsSent
from django.http import HttpRequest, QueryDict

from . import bodies

METHODS = ("GET", "PUT", "POST", "DELETE", "HEAD")
# Form fields that are headers of the request it stands for, with their WSGI names.
HEADERS = {
    "Authorization": "HTTP_AUTHORIZATION",
    "X-Experience-API-Version": "HTTP_X_EXPERIENCE_API_VERSION",
    "Content-Type": "CONTENT_TYPE",
    "Content-Length": "CONTENT_LENGTH",
    "If-Match": "HTTP_IF_MATCH",
    "If-None-Match": "HTTP_IF_NONE_MATCH",
}


class AlternateSyntaxInvalid(Exception):
    """Answered 400."""


def is_alternate(request: HttpRequest) -> bool:
    return request.method == "POST" and "method" in request.GET


def rewrite(request: HttpRequest) -> None:
    """Turn the POST into the request it stands for, or raise AlternateSyntaxInvalid (or RequestTooLarge:
    the form is read under the store's own limit for it, not Django's form limit)."""
    method = request.GET["method"].upper()
    if set(request.GET) != {"method"}:
        raise AlternateSyntaxInvalid("with ?method=, every other parameter goes in the form body")
    if method not in METHODS:
        raise AlternateSyntaxInvalid(f"unknown method {method!r}")
    if request.content_type != "application/x-www-form-urlencoded":
        raise AlternateSyntaxInvalid("the alternate request syntax needs application/x-www-form-urlencoded")
    try:
        sent = bodies.read_body(request, settings.PANLEARN_TRACKING_STORE_MAX_ALTERNATE_BYTES)
        form = QueryDict(sent, encoding=request.encoding or "utf-8")
    except TooManyFieldsSent as error:
        raise AlternateSyntaxInvalid("the form has too many fields") from error
    body = form.get("content", "").encode()
    params = QueryDict(mutable=True)
    for name, values in form.lists():
        header = next((meta for field, meta in HEADERS.items() if field.lower() == name.lower()), None)
        if header is not None:
            request.META[header] = values[-1]
        elif name != "content":
            params.setlist(name, values)
    if "content" in form and not any(name.lower() == "content-type" for name in form):
        request.META["CONTENT_TYPE"] = "application/json"  # what xAPI content is, unless the form says otherwise
    request.META["CONTENT_LENGTH"] = str(len(body))
    request.method = method
    request._body = body
    # Before GET is set: a charset in the content type (old clients send "...; charset=utf-8") sets
    # request.encoding, and Django's encoding setter drops GET, which then reads the query string again.
    request._set_content_type_params(request.META)
    request.GET = params
    request.__dict__.pop("headers", None)  # a cached_property: read the new headers
