"""Site-wide views that belong to no app."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.views.decorators.http import require_safe

FAVICON = "panlearn/favicon.svg"


@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page links: send them to the static icon. Not a
    permanent redirect: the static URL carries a content hash that changes with the file."""
    response = redirect(static(FAVICON))
    response["Cache-Control"] = "public, max-age=86400"
    return response
