"""The metadata formats: Dublin Core (`oai_dc`) for every record, DataCite kernel 4 (`oai_datacite`,
as the OpenAIRE guidelines name it) for datasets that have a DOI.

DataCite's kernel 4 schema requires an `identifier` of type DOI: a dataset without a DOI has no valid
DataCite record, so it is not disseminated in that format at all (GetRecord answers
cannotDisseminateFormat, lists leave it out, ListMetadataFormats names oai_dc only) rather than given a
record that names its page as the identifier and fails the schema its namespace declares. Its page is in
its Dublin Core record, and a DOI'd dataset's page is a DataCite alternateIdentifier.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from xml.etree.ElementTree import Element

from django.db.models import Q

from content.metadata import FORMAT_MIME, SPDX_URL
from content.models import Dataset, SourceKind
from courses.models import CoursePage
from courses.structured_data import split_keywords
from courses.vocabularies import PANET_BASE, TECHNIQUES_BY_KEY

from .elements import (
    DATACITE,
    DATACITE_SCHEMA,
    DC,
    OAI_DC,
    OAI_DC_SCHEMA,
    root,
    schema_location,
    sub,
)
from .selectors import COURSE, DATASET, FacilityIndex, Record

UNAVAILABLE = ":unav"  # DataCite's standard value for a property that has no value to give
# A DOI within what the registry holds ("10.5281/zenodo.1", "https://doi.org/10.5281/zenodo.1", "doi:10..."):
# the same pattern in Python and in the database (SQLite's REGEXP is Python's re; PostgreSQL's ~ knows \S).
DOI_PATTERN = r"10\.[0-9]{4,9}/\S+"
DOI = re.compile(DOI_PATTERN)
HAS_DOI = Q(doi__regex=DOI_PATTERN)
CITED_YEAR = re.compile(r"\(((?:19|20)\d\d)\)")


@dataclass(frozen=True)
class Dissemination:
    """What a format needs from the request: the repository's name, a record's web address, facilities."""

    repository_name: str
    url_of: Callable[[Record], str]
    facilities: FacilityIndex


@dataclass(frozen=True)
class MetadataFormat:
    prefix: str
    schema: str
    namespace: str
    kinds: tuple[str, ...]
    build: Callable[[Record, Dissemination], Element]
    # Which items of a kind the format describes, in the database (`only`) and in Python (`accepts`).
    only: dict[str, Q] = field(default_factory=dict)
    accepts: Callable[[CoursePage | Dataset], bool] = lambda item: True

    def describes(self, record: Record) -> bool:
        """Whether this format has a record's metadata; a deleted record's, whether it had when it went."""
        if record.deleted:
            return self.prefix in record.prefixes
        return record.kind in self.kinds and self.accepts(record.item)


# What both formats say of a dataset


def doi_of(dataset: Dataset) -> str:
    found = DOI.search(dataset.doi)
    return found[0] if found else ""


def has_doi(dataset: Dataset) -> bool:
    return bool(doi_of(dataset))


def technique_label(key: str) -> str:
    technique = TECHNIQUES_BY_KEY.get(key)
    return technique.label if technique else key


def facility_name(dataset: Dataset, facilities: FacilityIndex) -> str:
    facility = facilities.for_text(dataset.facility) if dataset.facility else None
    return facility.name if facility else dataset.facility.strip()


def publisher_of(dataset: Dataset, context: Dissemination) -> str:
    """Who makes the data available: the package that ships it, Zenodo, else the facility, else this site."""
    if dataset.source_kind == SourceKind.PACKAGE and dataset.source_package:
        return f"{dataset.source_package} {dataset.source_version}".strip()
    if dataset.source_kind == SourceKind.ZENODO:
        return "Zenodo"
    return facility_name(dataset, context.facilities) or context.repository_name


def publication_year(dataset: Dataset, datestamp: datetime) -> int:
    """The registry keeps no publication date: the year a citation gives in brackets ("(2019)"), else the
    year the registry entry last changed."""
    cited = CITED_YEAR.search(dataset.citation)
    return int(cited[1]) if cited else datestamp.year


def licence_url(licence: str) -> str:
    """The SPDX page of a licence; "" for none, or for "proprietary" (all rights reserved), which SPDX has not."""
    return SPDX_URL.format(licence) if licence and licence != "proprietary" else ""


def media_types(dataset: Dataset) -> list[str]:
    return sorted({FORMAT_MIME.get(item.format, "application/octet-stream") for item in dataset.files.all()})


# oai_dc


def _course_dc(course: CoursePage, record: Record, context: Dissemination) -> list[tuple[str, str]]:
    published = course.first_published_at or record.datestamp
    return [
        ("title", course.title),
        *(("creator", instructor.name) for instructor in course.instructors.all()),
        ("subject", technique_label(course.technique) if course.technique else ""),
        *(("subject", keyword) for keyword in split_keywords(course.keywords)),
        ("description", course.summary),
        ("publisher", course.facility.name if course.facility else context.repository_name),
        ("date", published.date().isoformat()),
        ("type", "InteractiveResource"),
        ("format", "text/html"),
        ("identifier", context.url_of(record)),
        ("language", course.locale.language_code),
        ("rights", licence_url(course.licence) or course.get_licence_display()),
    ]


def _dataset_dc(dataset: Dataset, record: Record, context: Dissemination) -> list[tuple[str, str]]:
    doi = doi_of(dataset)
    return [
        ("title", dataset.title),
        ("creator", facility_name(dataset, context.facilities)),
        ("subject", technique_label(dataset.technique) if dataset.technique else ""),
        ("description", dataset.description),
        ("publisher", publisher_of(dataset, context)),
        ("date", str(publication_year(dataset, record.datestamp))),
        ("type", "Dataset"),
        *(("format", media_type) for media_type in media_types(dataset)),
        ("identifier", f"https://doi.org/{doi}" if doi else ""),
        ("identifier", context.url_of(record)),
        ("rights", licence_url(dataset.licence) or dataset.licence),
    ]


def oai_dc(record: Record, context: Dissemination) -> Element:
    dc = root(OAI_DC, "dc", schema_location(OAI_DC, OAI_DC_SCHEMA))
    describe = _course_dc if record.kind == COURSE else _dataset_dc
    for name, value in describe(record.item, record, context):
        if value:
            sub(dc, DC, name, value)
    return dc


# oai_datacite


def oai_datacite(record: Record, context: Dissemination) -> Element:
    """A DataCite kernel 4 `resource`, of a dataset with a DOI (the format's `accepts`)."""
    dataset: Dataset = record.item
    resource = root(DATACITE, "resource", schema_location(DATACITE, DATACITE_SCHEMA))
    page_url = context.url_of(record)
    doi = doi_of(dataset)
    sub(resource, DATACITE, "identifier", doi, {"identifierType": "DOI"})

    creator = sub(sub(resource, DATACITE, "creators"), DATACITE, "creator")
    facility = context.facilities.for_text(dataset.facility) if dataset.facility else None
    name = facility_name(dataset, context.facilities) or UNAVAILABLE
    sub(creator, DATACITE, "creatorName", name, {"nameType": "Organizational" if name != UNAVAILABLE else None})
    if facility is not None and facility.ror_id:
        attributes = {"nameIdentifierScheme": "ROR", "schemeURI": "https://ror.org"}
        sub(creator, DATACITE, "nameIdentifier", facility.ror_id, attributes)

    sub(sub(resource, DATACITE, "titles"), DATACITE, "title", dataset.title)
    sub(resource, DATACITE, "publisher", publisher_of(dataset, context))
    sub(resource, DATACITE, "publicationYear", publication_year(dataset, record.datestamp))
    sub(resource, DATACITE, "resourceType", "Experimental data", {"resourceTypeGeneral": "Dataset"})

    technique = TECHNIQUES_BY_KEY.get(dataset.technique)
    if technique is not None:
        attributes = {"subjectScheme": "PaNET", "schemeURI": PANET_BASE, "valueURI": technique.iri or None}
        sub(sub(resource, DATACITE, "subjects"), DATACITE, "subject", technique.label, attributes)
    dates = sub(resource, DATACITE, "dates")
    sub(dates, DATACITE, "date", record.datestamp.date().isoformat(), {"dateType": "Updated"})
    alternate = sub(resource, DATACITE, "alternateIdentifiers")
    sub(alternate, DATACITE, "alternateIdentifier", page_url, {"alternateIdentifierType": "URL"})

    files = list(dataset.files.all())
    if files:
        sub(sub(resource, DATACITE, "sizes"), DATACITE, "size", f"{sum(item.size for item in files)} bytes")
        formats = sub(resource, DATACITE, "formats")
        for media_type in media_types(dataset):
            sub(formats, DATACITE, "format", media_type)
    if dataset.source_kind == SourceKind.PACKAGE and dataset.source_version:
        sub(resource, DATACITE, "version", dataset.source_version)
    if url := licence_url(dataset.licence):
        attributes = {
            "rightsURI": url,
            "rightsIdentifier": dataset.licence,
            "rightsIdentifierScheme": "SPDX",
            "schemeURI": "https://spdx.org/licenses/",
        }
        sub(sub(resource, DATACITE, "rightsList"), DATACITE, "rights", dataset.licence, attributes)
    elif dataset.licence:
        sub(sub(resource, DATACITE, "rightsList"), DATACITE, "rights", dataset.licence)

    descriptions = sub(resource, DATACITE, "descriptions")
    sub(descriptions, DATACITE, "description", dataset.description or dataset.title, {"descriptionType": "Abstract"})
    facts = (("Instrument", dataset.instrument), ("Sample", dataset.sample))
    technical = "; ".join(f"{label}: {value}" for label, value in facts if value)
    if technical:
        sub(descriptions, DATACITE, "description", technical, {"descriptionType": "TechnicalInfo"})
    return resource


FORMATS: dict[str, MetadataFormat] = {
    metadata_format.prefix: metadata_format
    for metadata_format in (
        MetadataFormat("oai_dc", OAI_DC_SCHEMA, OAI_DC, (COURSE, DATASET), oai_dc),
        MetadataFormat(
            "oai_datacite", DATACITE_SCHEMA, DATACITE, (DATASET,), oai_datacite, {DATASET: HAS_DOI}, has_doi
        ),
    )
}


def formats_for(record: Record) -> list[MetadataFormat]:
    return [metadata_format for metadata_format in FORMATS.values() if metadata_format.describes(record)]


def prefixes_of(kind: str, item: CoursePage | Dataset) -> list[str]:
    """The formats a published item is disseminated in, which its tombstone keeps."""
    return [each.prefix for each in FORMATS.values() if kind in each.kinds and each.accepts(item)]
