"""HTTP of the built-in store: the xAPI Statements, About and document resources, behind HTTP basic auth."""

import base64
import binascii
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.http import HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.decorators import method_decorator
from django.utils.http import http_date
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from ..models import StoreClient
from . import alternate, attachments, bodies, clients, definitions, documents, formats, selectors, services, versions

CURSOR_SALT = "panlearn.tracking.store.more"
GET_PARAMS = {*selectors.FILTERS, "limit", "ascending", "format", "attachments", "cursor"}


def _response(data=None, *, status: int = 200, response: HttpResponse | None = None) -> HttpResponse:
    """JSON (or an empty answer, or `response` as built) with the store's consistency header; the version
    header is XapiView.dispatch's."""
    if response is None:
        response = HttpResponse(status=status) if data is None else JsonResponse(data, status=status, safe=False)
    response["X-Experience-API-Consistent-Through"] = timezone.now().isoformat()
    return response


def _error(message: str, status: int = 400) -> HttpResponse:
    return _response({"error": message}, status=status)


def _caller(request) -> services.Caller | None:
    """Who the basic-auth credentials name: a store client (key and secret), or the operator's credential
    from the settings; None when neither matches."""
    kind, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if kind.lower() != "basic":
        return None
    try:
        username, _, given = base64.b64decode(encoded).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    client = clients.authenticate(username, given)
    if client is not None:
        return services.Caller(client=client)
    password = settings.PANLEARN_TRACKING_STORE_PASSWORD
    if (
        password
        and constant_time_compare(username, settings.PANLEARN_TRACKING_STORE_USERNAME)
        and (constant_time_compare(given, password))
    ):
        return services.Caller(client=None)
    return None


class XapiView(View):
    needs_version = True
    needs_auth = True

    @method_decorator(csrf_exempt)
    def dispatch(self, request, *args, **kwargs):
        response = self._dispatch(request, *args, **kwargs)
        # Every answer in the version asked, or in the latest when the request names none the store speaks.
        response["X-Experience-API-Version"] = getattr(request, "xapi_version", None) or versions.LATEST
        return response

    def _dispatch(self, request, *args, **kwargs):
        alternative = alternate.is_alternate(request)
        if alternative:
            try:
                alternate.rewrite(request)
            except alternate.AlternateSyntaxInvalid as error:
                return _error(str(error))
            except bodies.RequestTooLarge as error:
                return _error(str(error), 413)
        request.xapi_version = versions.requested(request.headers.get("X-Experience-API-Version", ""))
        if alternative and request.xapi_version == versions.V2:
            return _error("xAPI 2.0.0 has no alternate request syntax: send the method and headers as they are")
        if request.method.lower() not in self.http_method_names or not hasattr(self, request.method.lower()):
            return self.http_method_not_allowed(request, *args, **kwargs)  # 405 before 401: the method is wrong
        request.xapi_caller = _caller(request) if self.needs_auth else None
        if self.needs_auth and request.xapi_caller is None:
            response = _error("authentication required", 401)
            response["WWW-Authenticate"] = 'Basic realm="xAPI"'
            return response
        if self.needs_version and request.xapi_version is None:
            return _error(f"X-Experience-API-Version is required: one of {', '.join(versions.SPOKEN)}")
        return super().dispatch(request, *args, **kwargs)

    def head(self, request):
        """A GET's status and headers, without the body (Communication 1.1)."""
        response = self.get(request)
        response.content = b""
        return response


class AboutView(XapiView):
    """Public, as the spec has it: a client asks which versions the store speaks before it signs in."""

    needs_version = False
    needs_auth = False

    def get(self, request):
        return _response({"version": versions.SPOKEN})


class NotProvidedView(XapiView):
    """Any path that is no xAPI resource."""

    def _not_provided(self, request, *args, **kwargs):
        return _error("no such xAPI resource", 404)

    get = put = post = delete = _not_provided


def _statements_in(request) -> tuple[object, list]:
    """The statements and the attachments' data of a POST or PUT (attachments.py)."""
    body = bodies.read_body(request)
    try:
        return attachments.read_request(request.META.get("CONTENT_TYPE", ""), body)
    except attachments.AttachmentsInvalid as error:
        raise services.StatementInvalid(str(error)) from error


def _stored(work) -> HttpResponse:
    try:
        return work()
    except services.StatementForbidden as error:
        return _error(str(error), 403)
    except services.StatementInvalid as error:
        return _error(str(error))
    except services.StatementConflict as error:
        return _error(str(error), 409)
    except (bodies.RequestTooLarge, attachments.AttachmentTooLarge) as error:
        return _error(str(error), 413)


class StatementsView(XapiView):
    def post(self, request):
        def work():
            body, parts = _statements_in(request)
            batch = body if isinstance(body, list) else [body]
            caller, version = request.xapi_caller, request.xapi_version
            return _response(services.statements_store(batch, caller=caller, parts=parts, version=version))

        return _stored(work)

    def put(self, request):
        statement_id = request.GET.get("statementId")
        if not statement_id or set(request.GET) - {"statementId"}:
            return _error("PUT needs statementId, and nothing else")

        def work():
            body, parts = _statements_in(request)
            if not isinstance(body, dict):
                raise services.StatementInvalid("PUT takes one statement")
            if str(body.setdefault("id", statement_id)).lower() != statement_id.lower():
                raise services.StatementInvalid("the statement's id differs from statementId")
            services.statements_store([body], caller=request.xapi_caller, parts=parts, version=request.xapi_version)
            return _response(status=204)

        return _stored(work)

    def get(self, request):
        client = request.xapi_caller.client
        if client is not None and not {client.READ, client.READ_MINE, client.ALL_READ} & set(client.scopes):
            return _error("this client may not read statements (scope statements/read or statements/read/mine)", 403)
        params = request.GET.dict()
        if unknown := set(params) - GET_PARAMS - {"statementId", "voidedStatementId"}:
            return _error(f"unknown parameters: {', '.join(sorted(unknown))}")
        after = None
        if "cursor" in params:  # a `more` link: the first page's parameters, format included
            try:
                params, after = signing.loads(params["cursor"], salt=CURSOR_SALT)
            except signing.BadSignature:
                return _error("the more link is not valid")
        if params.get("format", "exact") not in formats.FORMATS:
            return _error(f"format is one of {', '.join(formats.FORMATS)}")
        shape = formats.shaper(params.get("format"), request.headers.get("Accept-Language", ""))
        try:
            if "statementId" in params or "voidedStatementId" in params:
                return self._single(params, shape, client)
            return self._page(params, shape, after, client)
        except selectors.QueryInvalid as error:
            return _error(str(error))

    def _single(self, params: dict, shape, client) -> HttpResponse:
        if ("statementId" in params) == ("voidedStatementId" in params) or set(params) - {
            "statementId", "voidedStatementId", "format", "attachments"
        }:  # fmt: skip
            return _error("statementId or voidedStatementId, with format and attachments only")
        voided = "voidedStatementId" in params
        wanted = params["voidedStatementId" if voided else "statementId"]
        row = selectors.statement_by_id(wanted, voided=voided, client=client)
        if row is None:
            return _error("no such statement", 404)
        document = shape(row.payload)
        response = self._answer(document, [row.payload], params)
        response["Last-Modified"] = row.stored.strftime("%a, %d %b %Y %H:%M:%S GMT")
        return response

    def _answer(self, document, payloads: list[dict], params: dict) -> HttpResponse:
        """JSON, or with attachments=true the multipart answer: the JSON, then the data of the statements'
        attachments the store keeps (those that came with their statements)."""
        if not selectors.boolean_param(params.get("attachments")):
            return _response(document)
        body, content_type = attachments.multipart_body(document, selectors.attachment_data(payloads))
        return _response(response=HttpResponse(body, content_type=content_type))

    def _page(self, params: dict, shape, after: int | None, client) -> HttpResponse:
        try:
            limit = int(params.get("limit") or 0)
        except ValueError:
            return _error("limit must be a number")
        page_size = settings.PANLEARN_TRACKING_STORE_PAGE_SIZE
        limit = page_size if limit <= 0 else min(limit, page_size)
        ascending = selectors.boolean_param(params.get("ascending"))
        page = selectors.statements_page(params, limit=limit, ascending=ascending, after=after, client=client)
        if selectors.boolean_param(params.get("attachments")):
            page = selectors.within_attachment_budget(page, settings.PANLEARN_TRACKING_STORE_MAX_REQUEST_BYTES)
        more = ""
        if page.after is not None:
            cursor = signing.dumps([params, page.after], salt=CURSOR_SALT)
            more = reverse("tracking:statements") + "?" + urlencode({"cursor": cursor})
        document = {"statements": [shape(payload) for payload in page.statements], "more": more}
        return self._answer(document, page.statements, params)


class DocumentView(XapiView):
    """State, Activity Profile or Agent Profile (documents.py): `resource` says which."""

    resource: documents.Resource | None = None
    http_method_names = ["get", "head", "put", "post", "delete"]

    def _scope(self) -> str:
        return StoreClient.STATE if self.resource.kind == documents.STATE else StoreClient.PROFILE

    def _parsed(self, request):
        if not request.xapi_caller.may(self._scope()):
            raise PermissionError(f"this client may not use this resource (scope {self._scope()})")
        return documents.parse(self.resource, request.GET.dict(), method=request.method)

    def _answer(self, request, work) -> HttpResponse:
        try:
            return work()
        except PermissionError as error:
            return _error(str(error), 403)
        except documents.DocumentRequestInvalid as error:
            return _error(str(error))
        except documents.DocumentConflict as error:
            return _error(str(error), 409)
        except documents.PreconditionFailed as error:
            return _error(str(error), 412)
        except (documents.DocumentTooLarge, bodies.RequestTooLarge) as error:
            return _error(str(error), 413)

    def get(self, request):
        def work():
            owner, document_id, since = self._parsed(request)
            if not document_id:
                return _response(documents.document_ids(owner, since=since))
            found = documents.document_read(owner, document_id)
            if found is None:
                return _error("no such document", 404)
            document, content = found
            response = HttpResponse(content, content_type=document.content_type)
            response["ETag"] = document.etag
            response["Last-Modified"] = http_date(document.updated.timestamp())
            # A client's bytes, served from panlearn's origin: never rendered nor run here, whatever their type.
            response["Content-Security-Policy"] = "sandbox; default-src 'none'"
            response["X-Content-Type-Options"] = "nosniff"
            response["Content-Disposition"] = "attachment"
            return response

        return self._answer(request, work)

    def _store(self, request, *, merge: bool) -> HttpResponse:
        def work():
            owner, document_id, _since = self._parsed(request)
            content = bodies.read_body(request, settings.PANLEARN_TRACKING_STORE_MAX_DOCUMENT_BYTES)
            documents.document_store(
                self.resource, owner, document_id, content=content,
                content_type=request.META.get("CONTENT_TYPE", ""),
                merge=merge, if_match=request.headers.get("If-Match", ""),
                if_none_match=request.headers.get("If-None-Match", ""), xapi_version=request.xapi_version,
            )  # fmt: skip
            return _response(status=204)

        return self._answer(request, work)

    def put(self, request):
        return self._store(request, merge=False)

    def post(self, request):
        return self._store(request, merge=True)

    def delete(self, request):
        def work():
            owner, document_id, _since = self._parsed(request)
            documents.documents_delete(owner, document_id, if_match=request.headers.get("If-Match", ""),
                                       if_none_match=request.headers.get("If-None-Match", ""))  # fmt: skip
            return _response(status=204)

        return self._answer(request, work)


class DefinitionView(XapiView):
    """Agents or Activities: one GET (and HEAD) that answers a JSON object."""

    http_method_names = ["get", "head"]

    def answer(self, request) -> dict:
        raise NotImplementedError

    def get(self, request):
        try:
            return _response(self.answer(request))
        except definitions.DefinitionRequestInvalid as error:
            return _error(str(error))


class AgentsView(DefinitionView):
    def answer(self, request) -> dict:
        return definitions.person_of(request.GET.dict())


class ActivitiesView(DefinitionView):
    def answer(self, request) -> dict:
        return definitions.activity_of(request.GET.dict(), client=request.xapi_caller.client)
