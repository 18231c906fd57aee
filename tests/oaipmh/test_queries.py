"""A page of records costs the same few queries whether it holds two records or twenty, deleted ones too."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from content.models import Dataset, DatasetFile
from courses.models import CoursePage
from courses.services import course_create
from tests.factories import FacilityFactory, UserFactory

from .conftest import OAI, REPOSITORY_ID, parse

pytestmark = pytest.mark.django_db
MOST_QUERIES = 13  # 11 for the published records, 2 for the deleted ones (their page, their count)


@pytest.fixture
def many(catalogue, oai_settings):
    trainer = UserFactory(username="many-admin", is_superuser=True, is_staff=True)
    facilities = [FacilityFactory(short_name=name) for name in ("ESRF", "ISIS", "ILL")]
    for number in range(24):
        course = course_create(
            catalogue=catalogue, owner=trainer, title=f"Course {number}", slug=f"course-{number}", summary="s",
            technique="diffraction", facility=facilities[number % 3],
            instructors=[{"name": f"Trainer {number}"}, {"name": "Co-trainer"}],
        )  # fmt: skip
        dataset = Dataset.objects.create(slug=f"data-{number}", title=f"Data {number}", licence="CC-BY-4.0",
                                         technique="imaging", facility=("ESRF", "APS")[number % 2],
                                         doi=f"10.5281/zenodo.{number + 1000}")  # fmt: skip
        for name in ("a.h5", "b.dat"):
            DatasetFile.objects.create(dataset=dataset, name=name, path=name, format="hdf5", size=10)
        if number % 4 == 3:  # some of each are withdrawn: deleted records, in the same pages
            course.unpublish()
            dataset.is_public = False
            dataset.save()


def queries(client, **params) -> tuple[int, str | None]:
    """The number of queries a request made, and the resumption token it returned."""
    with CaptureQueriesContext(connection) as captured:
        document = parse(client.get("/oai/", params))
    assert document.find(f"{OAI}error") is None
    return len(captured), document.findtext(f".//{OAI}resumptionToken")


@pytest.mark.parametrize("prefix", ["oai_dc", "oai_datacite"])
@pytest.mark.parametrize("verb", ["ListRecords", "ListIdentifiers"])
def test_a_page_costs_a_constant_number_of_queries(client, many, oai_settings, verb, prefix):
    client.get("/oai/", {"verb": "ListRecords", "metadataPrefix": "oai_dc"})  # Wagtail caches the site's root
    counts = {}
    for size in (2, 5):
        oai_settings.PANLEARN_OAIPMH_PAGE_SIZE = size
        first, token = queries(client, verb=verb, metadataPrefix=prefix, set="facility:esrf")
        following, _ = queries(client, verb=verb, resumptionToken=token)
        counts[size] = (first, following)
    assert counts[2] == counts[5], counts
    assert max(counts[5]) <= MOST_QUERIES, counts


def test_the_other_verbs_cost_a_constant_number_of_queries(client, many, django_assert_max_num_queries):
    client.get("/oai/", {"verb": "ListRecords", "metadataPrefix": "oai_dc"})
    course = f"oai:{REPOSITORY_ID}:course/{CoursePage.objects.values_list('pk', flat=True).first()}"
    for params in (
        {"verb": "Identify"},
        {"verb": "ListSets"},
        {"verb": "ListMetadataFormats", "identifier": course},
        {"verb": "GetRecord", "identifier": course, "metadataPrefix": "oai_dc"},
    ):
        with django_assert_max_num_queries(8):
            document = parse(client.get("/oai/", params))
        assert document.find(f"{OAI}error") is None
