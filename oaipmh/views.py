"""The endpoint: one URL, six verbs, every answer in the OAI-PMH envelope (errors too, with HTTP 200)."""

import re
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from functools import cached_property
from xml.etree.ElementTree import Element

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.request import split_domain_port
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from wagtail.models import Site

from panlearn.public_urls import page_public_url, public_root

from .elements import (
    OAI,
    OAI_IDENTIFIER,
    OAI_IDENTIFIER_SCHEMA,
    OAI_SCHEMA,
    clean,
    root,
    schema_location,
    serialize,
    sub,
)
from .formats import FORMATS, Dissemination, MetadataFormat, formats_for
from .protocol import (
    GRANULARITY,
    BadArgument,
    BadResumptionToken,
    BadVerb,
    CannotDisseminateFormat,
    IdDoesNotExist,
    ListQuery,
    NoRecordsMatch,
    OAIError,
    OAIRequest,
    Resumption,
    datestamp_format,
    identifier_make,
    identifier_parse,
    request_parse,
)
from .selectors import COURSE, KINDS, NEVER_STAMPED, Harvest, PublishedRecords, Record

DOMAIN_NAME = re.compile(r"[a-zA-Z][a-zA-Z0-9\-]*(\.[a-zA-Z][a-zA-Z0-9\-]*)+")


class Repository:
    """This site as an OAI-PMH repository, for one request: its names, its records and their addresses.

    The baseURL is where the harvester reached the endpoint (the request's scheme and host, which a proxy
    passes on). The records' pages are on the public address PANLEARN_BASE_URL, whatever host the harvester
    used; without one, on the Wagtail Site's root URL (the page's site; the default site for a dataset).
    """

    def __init__(self, request: HttpRequest):
        self.request = request
        self.records = PublishedRecords()
        self.base_url = request.build_absolute_uri(request.path)
        self.id = settings.PANLEARN_OAIPMH_REPOSITORY_ID or split_domain_port(request.get_host())[0]

    @property
    def name(self) -> str:
        return settings.PANLEARN_OAIPMH_REPOSITORY_NAME or settings.WAGTAIL_SITE_NAME

    @property
    def admin_emails(self) -> list[str]:
        return settings.PANLEARN_OAIPMH_ADMIN_EMAILS or [parseaddr(settings.DEFAULT_FROM_EMAIL)[1]]

    def identifier(self, record: Record) -> str:
        return identifier_make(self.id, record.kind, record.pk)

    @cached_property
    def _dataset_root(self) -> str:
        """A dataset is no Wagtail page: its page is on the public address, else on the default Site's."""
        if settings.WAGTAILADMIN_BASE_URL:
            return public_root("")
        site = Site.objects.filter(is_default_site=True).first()
        return public_root(site.root_url if site else "")

    def url_of(self, record: Record) -> str:
        """The record's page, on the public address; "" for a course outside every site (it has none)."""
        if record.kind != COURSE:
            return self._dataset_root + reverse("content:dataset_detail", args=[record.item.slug])
        return page_public_url(record.item, self.request) or ""

    @cached_property
    def dissemination(self) -> Dissemination:
        return Dissemination(repository_name=self.name, url_of=self.url_of, facilities=self.records.facilities)

    def record(self, identifier: str) -> Record:
        record = self.records.get(*identifier_parse(identifier, self.id, KINDS))
        if record is None:
            raise IdDoesNotExist(f"{identifier!r} is not a record of this repository: it was never published.")
        return record


def metadata_format(prefix: str) -> MetadataFormat:
    if prefix not in FORMATS:
        raise CannotDisseminateFormat(f"{prefix!r} is not a metadata format of this repository.")
    return FORMATS[prefix]


# The verbs: each answers with its element, or raises the protocol's error.


def identify(repository: Repository, oai_request: OAIRequest) -> Element:
    answer = root(OAI, "Identify")
    sub(answer, OAI, "repositoryName", repository.name)
    sub(answer, OAI, "baseURL", repository.base_url)
    sub(answer, OAI, "protocolVersion", "2.0")
    for address in repository.admin_emails:
        sub(answer, OAI, "adminEmail", address)
    earliest = repository.records.earliest_datestamp() or NEVER_STAMPED
    sub(answer, OAI, "earliestDatestamp", datestamp_format(earliest))
    # Transient, not persistent: a tombstone lasts only while its item stays unpublished, and is written by
    # signals, which bulk updates (QuerySet.update) and raw SQL do not send (see models.RecordChange).
    sub(answer, OAI, "deletedRecord", "transient")
    sub(answer, OAI, "granularity", GRANULARITY)
    if DOMAIN_NAME.fullmatch(repository.id):
        description = sub(answer, OAI, "description")
        location = schema_location(OAI_IDENTIFIER, OAI_IDENTIFIER_SCHEMA)
        scheme = sub(description, OAI_IDENTIFIER, "oai-identifier", attributes=location)
        sub(scheme, OAI_IDENTIFIER, "scheme", "oai")
        sub(scheme, OAI_IDENTIFIER, "repositoryIdentifier", repository.id)
        sub(scheme, OAI_IDENTIFIER, "delimiter", ":")
        sub(scheme, OAI_IDENTIFIER, "sampleIdentifier", identifier_make(repository.id, "course", 1))
    return answer


def list_metadata_formats(repository: Repository, oai_request: OAIRequest) -> Element:
    identifier = oai_request.get("identifier")
    formats = formats_for(repository.record(identifier)) if identifier else list(FORMATS.values())
    answer = root(OAI, "ListMetadataFormats")
    for item in formats:
        entry = sub(answer, OAI, "metadataFormat")
        sub(entry, OAI, "metadataPrefix", item.prefix)
        sub(entry, OAI, "schema", item.schema)
        sub(entry, OAI, "metadataNamespace", item.namespace)
    return answer


def list_sets(repository: Repository, oai_request: OAIRequest) -> Element:
    if oai_request.get("resumptionToken"):
        raise BadResumptionToken("The list of sets comes whole: this repository issues no token for it.")
    answer = root(OAI, "ListSets")
    for spec, name in repository.records.sets():
        entry = sub(answer, OAI, "set")
        sub(entry, OAI, "setSpec", spec)
        sub(entry, OAI, "setName", name)
    return answer


def _header(parent: Element, repository: Repository, record: Record) -> None:
    header = sub(parent, OAI, "header", attributes={"status": "deleted" if record.deleted else None})
    sub(header, OAI, "identifier", repository.identifier(record))
    sub(header, OAI, "datestamp", datestamp_format(record.datestamp))
    for spec in record.set_specs:
        sub(header, OAI, "setSpec", spec)


def _record(parent: Element, repository: Repository, record: Record, item: MetadataFormat) -> None:
    entry = sub(parent, OAI, "record")
    _header(entry, repository, record)
    if not record.deleted:  # a deleted record is its header alone
        sub(entry, OAI, "metadata").append(item.build(record, repository.dissemination))


def _list(repository: Repository, oai_request: OAIRequest, *, with_metadata: bool) -> Element:
    """ListRecords and ListIdentifiers: one page in (datestamp, kind, id) order, then a resumption token."""
    token = oai_request.get("resumptionToken")
    if token:
        resumption = Resumption.loads(token, verb=oai_request.verb, max_age=settings.PANLEARN_OAIPMH_TOKEN_MAX_AGE)
        query, after, cursor = resumption.query, resumption.after, resumption.cursor
    else:
        query, after, cursor = ListQuery.from_arguments(oai_request.arguments), None, 0
    item = metadata_format(query.metadata_prefix)
    harvest = Harvest(
        kinds=item.kinds,
        prefix=item.prefix,
        only=item.only,
        set_spec=query.set_spec,
        since=query.since.moment if query.since else None,
        before=query.until.end if query.until else None,
    )
    size = settings.PANLEARN_OAIPMH_PAGE_SIZE
    records, more = repository.records.page(harvest, after=after, size=size)
    if not records:
        raise NoRecordsMatch("No record matches these arguments.")
    answer = root(OAI, oai_request.verb)
    for record in records:
        if with_metadata:
            _record(answer, repository, record, item)
        else:
            _header(answer, repository, record)
    if more or token:  # a list in parts ends with an empty token
        attributes = {"completeListSize": repository.records.count(harvest), "cursor": cursor}
        text = None
        if more:
            max_age = settings.PANLEARN_OAIPMH_TOKEN_MAX_AGE
            attributes["expirationDate"] = datestamp_format(datetime.now(UTC) + timedelta(seconds=max_age))
            text = Resumption(oai_request.verb, query, records[-1].key, cursor + len(records)).dumps()
        sub(answer, OAI, "resumptionToken", text, attributes)
    return answer


def list_records(repository: Repository, oai_request: OAIRequest) -> Element:
    return _list(repository, oai_request, with_metadata=True)


def list_identifiers(repository: Repository, oai_request: OAIRequest) -> Element:
    return _list(repository, oai_request, with_metadata=False)


def get_record(repository: Repository, oai_request: OAIRequest) -> Element:
    record = repository.record(oai_request.arguments["identifier"])
    item = metadata_format(oai_request.arguments["metadataPrefix"])
    if not item.describes(record):
        raise CannotDisseminateFormat(f"This {record.kind} has no {item.prefix} metadata.")
    answer = root(OAI, "GetRecord")
    _record(answer, repository, record, item)
    return answer


VERBS = {
    "Identify": identify,
    "ListMetadataFormats": list_metadata_formats,
    "ListSets": list_sets,
    "ListIdentifiers": list_identifiers,
    "ListRecords": list_records,
    "GetRecord": get_record,
}


@csrf_exempt  # harvesters POST forms without a session; nothing here changes state
@require_http_methods(["GET", "POST"])
def endpoint(request: HttpRequest) -> HttpResponse:
    repository = Repository(request)
    oai_request = None
    try:
        oai_request = request_parse(request.POST if request.method == "POST" else request.GET)
        answer = VERBS[oai_request.verb](repository, oai_request)
    except OAIError as error:
        answer = root(OAI, "error", {"code": error.code})
        answer.text = clean(error.message)
        if isinstance(error, BadVerb | BadArgument):
            oai_request = None  # the request element repeats only a request that was legal
    document = root(OAI, "OAI-PMH", schema_location(OAI, OAI_SCHEMA))
    sub(document, OAI, "responseDate", datestamp_format(datetime.now(UTC)))
    attributes = {"verb": oai_request.verb, **oai_request.arguments} if oai_request else {}
    sub(document, OAI, "request", repository.base_url, attributes)
    document.append(answer)
    return HttpResponse(serialize(document), content_type="text/xml; charset=utf-8")
