"""Small HTTP helpers the apps' JSON views share."""

import json

from django.http import HttpRequest


def json_body(request: HttpRequest) -> dict:
    """The request's JSON object; {} for an empty, malformed or non-object body, which each view then
    answers with its own message."""
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, RecursionError):  # RecursionError: absurdly nested JSON
        return {}
    return body if isinstance(body, dict) else {}
