"""The token-authenticated API: `GET /api/useroffice/v1/validity/` (JSON, or `?format=csv`)."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .csv_export import csv_response
from .selectors import ExportFilters, FilterError, export_all, export_page, format_cursor, parse_cursor
from .tokens import token_authenticate


def filters_from(params: QueryDict, *, facility_ids: frozenset[int] | None) -> ExportFilters:
    programme = params.get("programme", "").strip()
    if programme and not programme.isdigit():
        raise FilterError("programme must be a programme id")
    return ExportFilters(
        facility_ids=facility_ids, proposal=params.get("proposal", "").strip()[:64],
        programme_id=int(programme) if programme else None, facility=params.get("facility", "").strip()[:40],
        state=params.get("status", "").strip(),
    )  # fmt: skip


def _limit(params: QueryDict) -> int:
    given = params.get("limit", "")
    if not given:
        return settings.PANLEARN_USEROFFICE_PAGE_SIZE
    if not given.isdigit() or not 1 <= int(given) <= settings.PANLEARN_USEROFFICE_MAX_PAGE_SIZE:
        raise FilterError(f"limit must be 1 to {settings.PANLEARN_USEROFFICE_MAX_PAGE_SIZE}")
    return int(given)


def _unauthorised() -> JsonResponse:
    response = JsonResponse({"error": "A valid API token is required: Authorization: Bearer <token>."}, status=401)
    response["WWW-Authenticate"] = 'Bearer realm="panlearn user office"'
    return response


@require_GET
@never_cache
def validity(request: HttpRequest) -> HttpResponse:
    token = token_authenticate(request.headers.get("Authorization", ""))
    if token is None:
        return _unauthorised()
    now = timezone.now()
    try:
        filters = filters_from(request.GET, facility_ids=frozenset({token.facility_id}))
        if request.GET.get("format") == "csv":
            return csv_response(export_all(filters, now=now), filename=f"{token.facility.short_name}-validity.csv")
        limit, after = _limit(request.GET), parse_cursor(request.GET.get("after", ""))
    except FilterError as error:
        return JsonResponse({"error": str(error)}, status=400)
    rows, cursor = export_page(filters, now=now, after=after, limit=limit)
    next_url = None
    if cursor is not None:
        params = request.GET.copy()
        params["after"] = format_cursor(rows[-1])
        next_url = request.build_absolute_uri(f"{request.path}?{params.urlencode()}")
    body = {"facility": token.facility.short_name, "generated_at": now, "results": [row.as_dict() for row in rows],
            "next": next_url}  # fmt: skip
    return JsonResponse(body, encoder=DjangoJSONEncoder)
