"""Harvesting /oai/ as a harvester does: sickle, a real OAI-PMH client, against the live server."""

import re
from datetime import timedelta
from xml.etree import ElementTree as ET

import pytest
from sickle import Sickle
from sickle.oaiexceptions import CannotDisseminateFormat, NoRecordsMatch

from content.models import Dataset
from courses.services import course_create
from tests.factories import UserFactory

from .conftest import NASTY_TITLE, OAI, PUBLIC_URL, T0, oai_id

# The live server reads what the test committed. A transactional test flushes the database, Wagtail's root
# page and locale included: serialized_rollback restores them.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
DATACITE = "{http://datacite.org/schema/kernel-4}"


class CountingSickle(Sickle):
    """Sickle, counting the HTTP requests a harvest takes."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.requests = []

    def harvest(self, **kwargs):
        self.requests.append(kwargs)
        return super().harvest(**kwargs)


@pytest.fixture
def sickle(live_server, records, oai_settings):
    oai_settings.PANLEARN_OAIPMH_PAGE_SIZE = 2
    return CountingSickle(live_server.url + "/oai/")


def identifiers(sickle, **arguments) -> set[str]:
    return {header.identifier for header in sickle.ListIdentifiers(metadataPrefix="oai_dc", **arguments)}


def test_a_full_harvest_returns_every_published_course_and_dataset_and_nothing_else(sickle, records):
    harvested = list(sickle.ListRecords(metadataPrefix="oai_dc"))

    ids = [record.header.identifier for record in harvested]
    assert len(ids) == len(set(ids)), "a record came twice"
    assert set(ids) == records.all_ids
    # What was published and no longer is comes as a deleted header; what never was, not at all.
    deleted = [record for record in harvested if record.deleted]
    assert {record.header.identifier for record in deleted} == records.deleted_ids
    assert all(record.xml.find(f".//{OAI}metadata") is None for record in deleted)
    assert not ({oai_id(item) for item in records.hidden} - records.deleted_ids) & set(ids)
    titles = {record.metadata["title"][0] for record in harvested if not record.deleted}
    assert not titles & {"Draft course", "Private course", "Withdrawn course", "Embargoed beamtime"}
    assert b"Private course" not in b"".join(ET.tostring(record.xml) for record in harvested)
    assert "Secret draft title" not in titles and "Powder diffraction" in titles
    # Pages of two, in datestamp order, each record stamped when it was last published or changed.
    total = len(records.all_ids)
    assert len(sickle.requests) == -(-total // 2)
    assert all(set(request) == {"verb", "resumptionToken"} for request in sickle.requests[1:])
    stamps = [record.header.datestamp for record in harvested]
    assert stamps == sorted(stamps)
    assert all(stamp == f"{records.stamps[record.header.identifier]:%Y-%m-%dT%H:%M:%SZ}" for record, stamp in
               zip(harvested, stamps, strict=True))  # fmt: skip


def test_a_harvest_over_post_sees_the_same_records(live_server, records, oai_settings):
    oai_settings.PANLEARN_OAIPMH_PAGE_SIZE = 3
    sickle = Sickle(live_server.url + "/oai/", http_method="POST")
    assert identifiers(sickle) == records.all_ids


def test_records_published_or_changed_during_a_harvest_come_at_its_end_and_none_is_skipped(sickle, records):
    harvest = sickle.ListIdentifiers(metadataPrefix="oai_dc")
    first = [next(harvest).identifier for _ in range(3)]
    # Meanwhile a trainer publishes a course and someone edits a dataset already harvested.
    trainer = UserFactory(username="late-admin", is_superuser=True, is_staff=True)
    late = course_create(catalogue=records.courses[0].get_parent().specific, owner=trainer, title="Late course",
                         slug="late-course", summary="Published mid-harvest.")  # fmt: skip
    changed = next(dataset for dataset in records.datasets if oai_id(dataset) in first)
    Dataset.objects.filter(pk=changed.pk).update(title="Edited meanwhile")
    Dataset.objects.get(pk=changed.pk).save()  # a real save: the datestamp moves to now
    rest = [header.identifier for header in harvest]

    assert set(first) | set(rest) == records.all_ids | {oai_id(late)}
    assert rest[-2:] == [oai_id(late), oai_id(changed)]
    assert len(rest) == len(set(rest)) and set(first) & set(rest) == {oai_id(changed)}


def test_get_record_and_list_identifiers_in_dublin_core(sickle, records, live_server):
    saxs = records.courses[0]
    record = sickle.GetRecord(identifier=oai_id(saxs), metadataPrefix="oai_dc")
    assert record.header.identifier == oai_id(saxs)
    assert sorted(record.header.setSpecs) == ["facility:isis", "technique:small-angle-scattering", "type:course"]
    metadata = record.metadata
    assert metadata["title"] == ["SAXS at ISIS"]
    assert metadata["creator"] == ["Ada Lovelace", "Grace Hopper"]
    assert metadata["subject"] == ["Small-angle scattering"]
    assert metadata["publisher"] == ["ISIS Neutron and Muon Source"]
    # Its page on the public address, not the Wagtail Site's (http://localhost) nor the harvester's host.
    assert metadata["identifier"] == [f"{PUBLIC_URL}/saxs-at-isis/"]
    assert metadata["type"] == ["InteractiveResource"]
    assert metadata["rights"] == ["https://spdx.org/licenses/CC-BY-4.0.html"]

    nasty = sickle.GetRecord(identifier=oai_id(records.courses[4]), metadataPrefix="oai_dc")
    assert nasty.metadata["title"] == [NASTY_TITLE.replace("\x07", "")]

    heart = records.datasets[-1]
    dataset = sickle.GetRecord(identifier=oai_id(heart), metadataPrefix="oai_dc").metadata
    assert dataset["type"] == ["Dataset"]
    assert dataset["identifier"] == ["https://doi.org/10.5281/zenodo.1234567", f"{PUBLIC_URL}/datasets/hoa-heart/"]
    assert dataset["creator"] == ["European Synchrotron Radiation Facility"]
    assert dataset["format"] == ["application/x-hdf5"]
    assert dataset["rights"] == ["https://spdx.org/licenses/CC-BY-4.0.html"]

    headers = list(sickle.ListIdentifiers(metadataPrefix="oai_dc"))
    assert {header.identifier for header in headers} == records.all_ids
    assert {header.identifier for header in headers if header.deleted} == records.deleted_ids
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", header.datestamp) for header in headers)


def test_sets_are_listed_as_they_exist_and_select_records(sickle, records):
    sets = {item.setSpec: item.setName for item in sickle.ListSets()}
    assert sets["type:course"] == "Courses" and sets["type:dataset"] == "Datasets"
    assert sets["facility:esrf"] == "European Synchrotron Radiation Facility"
    assert sets["facility:isis"] == "ISIS Neutron and Muon Source"
    assert sets["facility:ipns"] == "IPNS"  # a dataset's facility that is no Facility of the site
    assert sets["technique:small-angle-scattering"] == "Small-angle scattering"
    assert {"type", "technique", "facility"} <= set(sets)
    # Only the private course is at the ILL, and only hidden records use spectroscopy: sets of published
    # records only are listed.
    assert "facility:ill" not in sets and "technique:spectroscopy" not in sets and "facility:diamond" not in sets

    courses = {oai_id(course) for course in records.courses}
    assert identifiers(sickle, set="type:course") == courses | records.deleted_ids
    assert identifiers(sickle, set="type:dataset") == records.published_ids - courses
    assert identifiers(sickle, set="type") == records.all_ids
    esrf = {oai_id(records.courses[1]), oai_id(records.courses[3]), oai_id(records.datasets[-1])}
    assert identifiers(sickle, set="facility:esrf") == esrf  # a course's Facility, a dataset's "esrf"
    isis = {oai_id(item) for item in records.datasets if item.facility == "ISIS"} | {oai_id(records.courses[0])}
    assert len(isis) == 4 and identifiers(sickle, set="facility:isis") == isis
    imaging = {oai_id(records.courses[4]), oai_id(records.datasets[-1])}
    assert identifiers(sickle, set="technique:imaging") == imaging
    untyped = {oai_id(records.courses[5])}
    assert identifiers(sickle, set="technique") == records.all_ids - untyped
    for header in sickle.ListIdentifiers(metadataPrefix="oai_dc", set="facility:isis"):
        assert "facility:isis" in header.setSpecs
    # A deleted record keeps the sets it had: a harvester of the set learns that it went.
    assert identifiers(sickle, set="technique:spectroscopy") == records.deleted_ids
    private = oai_id(records.hidden[1])
    (header,) = sickle.ListIdentifiers(metadataPrefix="oai_dc", set="facility:ill")
    assert (header.identifier, header.deleted) == (private, True)
    assert sorted(header.setSpecs) == ["facility:ill", "technique:spectroscopy", "type:course"]
    with pytest.raises(NoRecordsMatch):
        identifiers(sickle, set="facility:diamond")  # the embargoed dataset's, never published


def test_from_and_until_select_inclusively_at_either_granularity(sickle, records):
    def stamped(first, last):
        return {identifier for identifier, stamp in records.stamps.items() if first <= stamp <= last} & (
            records.all_ids
        )

    day1, day2 = T0 + timedelta(days=1), T0 + timedelta(days=2)
    by_day = identifiers(sickle, **{"from": f"{day1:%Y-%m-%d}", "until": f"{day2:%Y-%m-%d}"})
    assert by_day == stamped(day1, day2) and len(by_day) >= 4
    # T0 is 09:00:00.4: the second 09:00:00 holds it, at both ends.
    second = f"{day1:%Y-%m-%dT%H:%M:%SZ}"
    assert identifiers(sickle, **{"from": second, "until": second}) == stamped(day1, day1)
    assert identifiers(sickle, **{"from": second}) == stamped(day1, T0 + timedelta(days=365))
    assert identifiers(sickle, until=f"{T0:%Y-%m-%d}") == stamped(T0, T0)
    with pytest.raises(NoRecordsMatch):
        identifiers(sickle, until="2024-02-29")


# DataCite Metadata Schema 4 (kernel-4): the mandatory properties, and what the schema's types ask of them.
DATACITE_REQUIRED = ("identifier", "creators", "titles", "publisher", "publicationYear", "resourceType")


def assert_datacite_kernel_4(resource) -> None:
    assert resource is not None and resource.tag == f"{DATACITE}resource"
    tags = [child.tag.removeprefix(DATACITE) for child in resource]
    assert all(tags.count(name) == 1 for name in DATACITE_REQUIRED), tags  # each once (the schema's xs:all)
    identifier = resource.find(f"{DATACITE}identifier")
    assert identifier.get("identifierType") == "DOI"  # the schema fixes it
    assert re.fullmatch(r"10\.\d{4,9}/\S+", identifier.text)
    creators = resource.findall(f"{DATACITE}creators/{DATACITE}creator/{DATACITE}creatorName")
    assert creators and all(name.text for name in creators)
    assert all(title.text for title in resource.findall(f"{DATACITE}titles/{DATACITE}title"))
    assert resource.find(f"{DATACITE}publisher").text
    assert re.fullmatch(r"\d{4}", resource.find(f"{DATACITE}publicationYear").text)
    resource_type = resource.find(f"{DATACITE}resourceType")
    assert resource_type.get("resourceTypeGeneral") == "Dataset" and resource_type.text


def test_datacite_only_for_datasets_with_a_doi_with_its_required_properties(sickle, records, live_server):
    heart, bundled = records.datasets[-1], records.datasets[0]
    assert not bundled.doi, "the bundled datasets have no DOI"
    harvested = list(sickle.ListRecords(metadataPrefix="oai_datacite"))
    assert [record.header.identifier for record in harvested] == [oai_id(heart)]
    for record in harvested:
        assert_datacite_kernel_4(record.xml.find(f".//{DATACITE}resource"))

    resource = sickle.GetRecord(identifier=oai_id(heart), metadataPrefix="oai_datacite").xml.find(
        f".//{DATACITE}resource"
    )
    assert_datacite_kernel_4(resource)
    identifier = resource.find(f"{DATACITE}identifier")
    assert (identifier.get("identifierType"), identifier.text) == ("DOI", "10.5281/zenodo.1234567")
    creator = resource.find(f"{DATACITE}creators/{DATACITE}creator")
    assert creator.find(f"{DATACITE}creatorName").text == "European Synchrotron Radiation Facility"
    assert creator.find(f"{DATACITE}nameIdentifier").text == "https://ror.org/02550n020"
    assert resource.find(f"{DATACITE}publicationYear").text == "2021"  # the year its citation gives
    assert resource.find(f"{DATACITE}publisher").text == "Zenodo"
    subject = resource.find(f"{DATACITE}subjects/{DATACITE}subject")
    assert (subject.text, subject.get("valueURI")) == ("Imaging", "http://purl.org/pan-science/PaNET/PaNET01106")
    rights = resource.find(f"{DATACITE}rightsList/{DATACITE}rights")
    assert rights.get("rightsIdentifier") == "CC-BY-4.0"
    alternate = resource.find(f"{DATACITE}alternateIdentifiers/{DATACITE}alternateIdentifier")
    assert (alternate.text, alternate.get("alternateIdentifierType")) == (f"{PUBLIC_URL}/datasets/hoa-heart/", "URL")

    # A dataset without a DOI has no DataCite record: not listed, not given, not offered.
    with pytest.raises(CannotDisseminateFormat):
        sickle.GetRecord(identifier=oai_id(bundled), metadataPrefix="oai_datacite")
    assert [item.metadataPrefix for item in sickle.ListMetadataFormats(identifier=oai_id(bundled))] == ["oai_dc"]
    formats = [item.metadataPrefix for item in sickle.ListMetadataFormats(identifier=oai_id(heart))]
    assert formats == ["oai_dc", "oai_datacite"]
    assert sickle.GetRecord(identifier=oai_id(bundled), metadataPrefix="oai_dc").metadata["title"]

    course = oai_id(records.courses[0])
    assert [item.metadataPrefix for item in sickle.ListMetadataFormats(identifier=course)] == ["oai_dc"]
    with pytest.raises(CannotDisseminateFormat):
        sickle.GetRecord(identifier=course, metadataPrefix="oai_datacite")
    with pytest.raises(NoRecordsMatch):
        list(sickle.ListIdentifiers(metadataPrefix="oai_datacite", set="type:course"))
    with pytest.raises(NoRecordsMatch):
        list(sickle.ListIdentifiers(metadataPrefix="oai_datacite", set="facility:isis"))  # datasets without a DOI


def test_identify_describes_the_repository(sickle, records, live_server):
    identify = sickle.Identify()
    assert identify.repositoryName == "PaN training catalogue"
    assert identify.baseURL == f"{live_server.url}/oai/"
    assert identify.protocolVersion == "2.0"
    assert identify.adminEmail == "oai-admin@example.org"
    assert identify.earliestDatestamp == f"{T0:%Y-%m-%dT%H:%M:%SZ}"
    assert identify.deletedRecord == "transient"
    assert identify.granularity == "YYYY-MM-DDThh:mm:ssZ"
    assert identify.repositoryIdentifier == "learn.example.org"  # the oai-identifier description
    formats = {item.metadataPrefix: item.metadataNamespace for item in sickle.ListMetadataFormats()}
    assert formats == {
        "oai_dc": "http://www.openarchives.org/OAI/2.0/oai_dc/",
        "oai_datacite": "http://datacite.org/schema/kernel-4",
    }
