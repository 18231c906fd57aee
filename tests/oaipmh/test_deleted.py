"""Deleted records, as an incremental harvester meets them: what was published and went (unpublished,
deleted, made private, moved somewhere private) comes as a deleted header from the time it went; what comes
back comes as a record again."""

from datetime import UTC, datetime, timedelta

import pytest
from sickle import Sickle
from sickle.oaiexceptions import CannotDisseminateFormat, IdDoesNotExist, NoRecordsMatch
from wagtail.models import Page, PageViewRestriction

from content.models import Dataset
from courses.models import CoursePage
from tests.factories import CatalogueIndexPageFactory

from .conftest import OAI, oai_id

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def sickle(live_server, records, oai_settings):
    oai_settings.PANLEARN_OAIPMH_PAGE_SIZE = 3
    return Sickle(live_server.url + "/oai/")


def now() -> datetime:
    """A `from` just before what the test does next (datestamps are to the second)."""
    return datetime.now(UTC).replace(microsecond=0)


def since(moment: datetime) -> dict:
    return {"from": f"{moment:%Y-%m-%dT%H:%M:%SZ}"}


def headers(sickle, prefix="oai_dc", **arguments) -> dict[str, bool]:
    """identifier -> deleted, of an incremental harvest; {} when nothing changed."""
    try:
        return {
            header.identifier: header.deleted for header in sickle.ListIdentifiers(metadataPrefix=prefix, **arguments)
        }
    except NoRecordsMatch:
        return {}


def test_an_unpublished_course_is_deleted_from_then_and_comes_back_when_republished(sickle, records):
    course = CoursePage.objects.get(pk=records.courses[2].pk)  # Reflectometry primer, no facility
    identifier = oai_id(course)
    before = now()
    assert headers(sickle, **since(before)) == {}

    course.unpublish()

    assert headers(sickle, **since(before)) == {identifier: True}
    (record,) = sickle.ListRecords(metadataPrefix="oai_dc", **since(before))
    assert record.deleted and record.xml.find(f"{OAI}metadata") is None
    assert sorted(record.header.setSpecs) == ["technique:reflectometry", "type:course"]
    assert record.header.datestamp >= f"{before:%Y-%m-%dT%H:%M:%SZ}"
    got = sickle.GetRecord(identifier=identifier, metadataPrefix="oai_dc")
    assert got.deleted and got.xml.find(f".//{OAI}metadata") is None
    # Selective harvests: its sets, not others; not before it went.
    assert headers(sickle, set="technique:reflectometry", **since(before)) == {identifier: True}
    assert headers(sickle, set="technique:imaging", **since(before)) == {}
    assert identifier not in headers(sickle, until=f"{before - timedelta(seconds=1):%Y-%m-%dT%H:%M:%SZ}")
    # A full harvest has its header, never its metadata.
    full = list(sickle.ListRecords(metadataPrefix="oai_dc"))
    assert [record.deleted for record in full if record.header.identifier == identifier] == [True]
    assert "Reflectometry primer" not in {record.metadata["title"][0] for record in full if not record.deleted}

    again = now()
    course.save_revision().publish()

    assert headers(sickle, **since(again)) == {identifier: False}
    record = sickle.GetRecord(identifier=identifier, metadataPrefix="oai_dc")
    assert not record.deleted and record.metadata["title"] == ["Reflectometry primer"]
    assert headers(sickle, set="type:course")[identifier] is False


def test_restricting_the_catalogue_deletes_its_courses_and_lifting_it_brings_them_back(sickle, records):
    catalogue = Page.objects.get(pk=records.courses[0].get_parent().pk)
    published = {oai_id(course) for course in records.courses}
    before = now()

    restriction = PageViewRestriction.objects.create(page=catalogue, restriction_type=PageViewRestriction.LOGIN)

    # Every published course is deleted now; the private course, already deleted, keeps its older stamp.
    assert headers(sickle, **since(before)) == dict.fromkeys(published, True)
    assert headers(sickle, set="type:course")[oai_id(records.hidden[1])] is True

    lifted = now()
    restriction.delete()

    # They come back, stamped when they did, though no publication moved their own datestamps.
    back = list(sickle.ListRecords(metadataPrefix="oai_dc", **since(lifted)))
    assert {record.header.identifier: record.deleted for record in back} == dict.fromkeys(published, False)
    assert all(record.header.datestamp >= f"{lifted:%Y-%m-%dT%H:%M:%SZ}" for record in back)
    assert oai_id(records.hidden[1]) not in {record.header.identifier for record in back}  # still private


def test_a_course_moved_into_a_private_catalogue_is_deleted_until_it_moves_back(sickle, records):
    course = CoursePage.objects.get(pk=records.courses[3].pk)
    home = course.get_parent()
    staff = CatalogueIndexPageFactory(parent=Page.get_first_root_node(), title="Staff courses", slug="staff")
    PageViewRestriction.objects.create(page=staff, restriction_type=PageViewRestriction.LOGIN)
    before = now()

    course.move(staff, pos="last-child")
    assert headers(sickle, **since(before)) == {oai_id(course): True}

    again = now()
    CoursePage.objects.get(pk=course.pk).move(home, pos="last-child")
    assert headers(sickle, **since(again)) == {oai_id(course): False}


def test_deleted_courses_are_deleted_records_and_never_published_ones_do_not_exist(sickle, records):
    saxs, draft = records.courses[0], records.hidden[0]
    before = now()

    CoursePage.objects.get(pk=saxs.pk).delete()
    CoursePage.objects.get(pk=draft.pk).delete()

    assert headers(sickle, **since(before)) == {oai_id(saxs): True}
    header = sickle.GetRecord(identifier=oai_id(saxs), metadataPrefix="oai_dc").header
    assert header.deleted and sorted(header.setSpecs) == [
        "facility:isis",
        "technique:small-angle-scattering",
        "type:course",
    ]
    with pytest.raises(IdDoesNotExist):
        sickle.GetRecord(identifier=oai_id(draft), metadataPrefix="oai_dc")


def test_unpublished_and_deleted_datasets_are_deleted_in_the_formats_they_had(sickle, records):
    heart, bundled = records.datasets[-1], records.datasets[0]  # with a DOI; without one
    before = now()

    dataset = Dataset.objects.get(pk=heart.pk)
    dataset.is_public = False
    dataset.save()
    Dataset.objects.get(pk=bundled.pk).delete()

    assert headers(sickle, **since(before)) == {oai_id(heart): True, oai_id(bundled): True}
    # DataCite harvesters saw only the dataset with a DOI: only its deletion is theirs.
    assert headers(sickle, "oai_datacite", **since(before)) == {oai_id(heart): True}
    assert sickle.GetRecord(identifier=oai_id(heart), metadataPrefix="oai_datacite").deleted
    with pytest.raises(CannotDisseminateFormat):
        sickle.GetRecord(identifier=oai_id(bundled), metadataPrefix="oai_datacite")
    assert headers(sickle, set="facility:esrf", **since(before)) == {oai_id(heart): True}

    again = now()
    dataset.is_public = True
    dataset.save()
    assert headers(sickle, "oai_datacite", **since(again)) == {oai_id(heart): False}
    assert headers(sickle, **since(again))[oai_id(heart)] is False
