"""What catalogues harvest from the site: Bioschemas JSON-LD on every page type and dataset page, the
sitemap, and the materials feed (issue 20). Published and public things only."""

import json
import re
import xml.etree.ElementTree as ET

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import Page, PageViewRestriction

from content.bundled import BUNDLED_DATASETS
from content.models import Dataset
from content.services import dataset_sync_bundled
from courses.models import CourseInstructor
from tests.factories import CoursePageFactory, FacilityFactory, LessonPageFactory

pytestmark = pytest.mark.django_db

PROFILE = "https://bioschemas.org/profiles/{}/1.0-RELEASE"
# Each Bioschemas 1.0-RELEASE profile's minimum properties (the "required" of its JSON schema).
MINIMUM = {
    "Course": ("name", "description", "keywords"),
    "CourseInstance": ("courseMode", "location"),
    "TrainingMaterial": ("name", "description", "keywords"),
    "Dataset": ("name", "description", "identifier", "keywords", "license", "url"),
}
# The profile each page type's JSON-LD follows; a page type that is no catalogue entry is named as such, so
# that a new page type fails here until someone decides.
PAGE_PROFILES = {"CoursePage": "Course", "LessonPage": "TrainingMaterial"}
NOT_CATALOGUE_ENTRIES = {"CatalogueIndexPage"}  # the list of courses itself: its entries carry the metadata
SCRIPT = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)


def json_ld(html: str) -> dict:
    found = SCRIPT.findall(html)
    assert len(found) == 1, found
    return json.loads(found[0])


def assert_minimum(data: dict, profile: str) -> None:
    assert data["dct:conformsTo"]["@id"] == PROFILE.format(profile)
    assert data["@context"]["dct"] == "http://purl.org/dc/terms/"
    for name in MINIMUM[profile]:
        assert data.get(name), f"{profile} lacks {name}: {data}"


@pytest.fixture
def course(catalogue):
    facility = FacilityFactory(short_name="PDS", name="Photon and Data Source")
    course = CoursePageFactory(parent=catalogue, title="Powder diffraction", facility=facility, keywords="Rietveld")
    CourseInstructor.objects.create(page=course, name="Ada Lovelace", orcid="0000-0002-1825-0097")
    return course


def test_every_page_type_has_a_profile_or_is_named_as_no_entry():
    page_types = {model.__name__ for model in apps.get_models() if issubclass(model, Page) and model is not Page}
    assert page_types == set(PAGE_PROFILES) | NOT_CATALOGUE_ENTRIES


def test_a_course_page_is_a_bioschemas_course_with_its_online_instance(client, course):
    lesson = LessonPageFactory(parent=course, title="Peaks")
    data = json_ld(client.get(course.url).text)
    assert data["@type"] == "Course"
    assert_minimum(data, PAGE_PROFILES["CoursePage"])
    assert data["keywords"] == "Rietveld, Diffraction, Photon and Data Source, photon and neutron science"
    assert data["url"].endswith(course.url) and data["url"].startswith("http")
    assert data["about"]["@id"] == "http://purl.org/pan-science/PaNET/PaNET01022"
    assert data["provider"]["name"] == "Photon and Data Source"
    assert data["timeRequired"] == "PT90M"
    assert [part["name"] for part in data["hasPart"]] == ["Peaks"]
    assert data["hasPart"][0]["url"].endswith(lesson.url)
    lesson_data = json_ld(client.get(lesson.url).text)  # the same node, named alike on both pages
    assert data["hasPart"][0]["@id"] == lesson_data["@id"] and lesson_data["isPartOf"]["@id"] == data["@id"]
    (instance,) = data["hasCourseInstance"]
    assert_minimum({**instance, "@context": data["@context"]}, "CourseInstance")
    assert instance["location"] == {"@type": "VirtualLocation", "url": data["url"]}
    assert instance["instructor"][0]["@id"] == "https://orcid.org/0000-0002-1825-0097"


def test_a_lesson_page_is_bioschemas_training_material(client, course):
    lesson = LessonPageFactory(parent=course, title="Peaks", summary="Finding peaks in a pattern.")
    data = json_ld(client.get(lesson.url).text)
    assert data["@type"] == "LearningResource"
    assert_minimum(data, PAGE_PROFILES["LessonPage"])
    assert data["description"] == "Finding peaks in a pattern."
    assert data["isPartOf"]["name"] == "Powder diffraction"
    assert data["license"] == "https://spdx.org/licenses/CC-BY-4.0.html"


def test_a_dataset_page_follows_the_bioschemas_dataset_profile(client):
    dataset_sync_bundled(BUNDLED_DATASETS)
    for dataset in Dataset.objects.filter(is_public=True):
        data = json_ld(client.get(f"/datasets/{dataset.slug}/?tab=files").text)
        assert_minimum(data, "Dataset")
        assert data["url"] == data["@id"] and not data["url"].endswith("?tab=files")


def test_a_dataset_page_names_itself_on_the_public_address(client, settings):
    settings.WAGTAILADMIN_BASE_URL = "https://learn.example.org/"
    dataset_sync_bundled(BUNDLED_DATASETS)
    dataset = Dataset.objects.filter(is_public=True).first()
    data = json_ld(client.get(f"/datasets/{dataset.slug}/", HTTP_HOST="internal:8000").text)
    assert data["@id"] == f"https://learn.example.org/datasets/{dataset.slug}/"


def test_json_ld_cannot_close_its_script_element_nor_open_a_comment(client, course):
    course.title = "Evil </script><script>alert(1)</script> <!-- & more"
    course.save_revision().publish()
    html = client.get(course.url).text
    assert "</script><script>alert(1)" not in html
    assert json_ld(html)["name"] == course.title


def private_course(catalogue, title):
    course = CoursePageFactory(parent=catalogue, title=title)
    restriction = PageViewRestriction.objects.create(page=course, restriction_type=PageViewRestriction.GROUPS)
    restriction.groups.add(Group.objects.create(name=f"{title} group"))
    return course


@pytest.fixture
def published_and_not(catalogue, course):
    """A public course with a live lesson; a draft lesson; a draft course; a course behind a view restriction
    with a lesson; a public and an unpublished dataset."""
    lesson = LessonPageFactory(parent=course, title="Live lesson")
    draft_lesson = LessonPageFactory(parent=course, title="Draft lesson", live=False)
    draft_course = CoursePageFactory(parent=catalogue, title="Draft course", live=False)
    lesson_of_draft = LessonPageFactory(parent=draft_course, title="Live lesson of a draft course")
    hidden = private_course(catalogue, "Private course")
    hidden_lesson = LessonPageFactory(parent=hidden, title="Private lesson")
    dataset_sync_bundled(BUNDLED_DATASETS)
    public = Dataset.objects.filter(is_public=True).first()
    unpublished = Dataset.objects.create(slug="embargoed", title="Embargoed", licence="CC-BY-4.0", is_public=False)
    return {
        "listed": [course, lesson],
        "unlisted": [draft_lesson, draft_course, lesson_of_draft, hidden, hidden_lesson],
        "dataset": public,
        "unpublished_dataset": unpublished,
    }


def test_the_sitemap_lists_public_pages_and_datasets_only(client, published_and_not):
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    namespace = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locations = [node.text for node in ET.fromstring(response.content).findall("sm:url/sm:loc", namespace)]
    paths = {re.sub(r"^https?://[^/]+", "", location) for location in locations}
    for page in published_and_not["listed"]:
        assert page.url in paths
    for page in published_and_not["unlisted"]:
        assert page.url not in paths
    for path in paths:  # what a crawler is sent to, it finds
        assert client.get(path).status_code == 200, path
    assert f"/datasets/{published_and_not['dataset'].slug}/" in paths
    assert "/datasets/embargoed/" not in paths


def test_the_materials_feed_is_every_public_course_and_lesson(client, catalogue, published_and_not):
    response = client.get("/learn/catalogue/materials.jsonld")
    assert response.status_code == 200 and response["Content-Type"] == "application/ld+json"
    body = response.json()
    names = [(item["@type"], item["name"]) for item in body["@graph"]]
    assert names == [("Course", "Powder diffraction"), ("LearningResource", "Live lesson")]
    course, lesson = body["@graph"]
    assert_minimum({**course, "@context": body["@context"]}, "Course")
    assert_minimum({**lesson, "@context": body["@context"]}, "TrainingMaterial")
    assert lesson["isPartOf"]["url"] == course["url"]


def test_an_undated_course_run_is_an_instance_with_the_profiles_minimum_and_no_dates(
    client, catalogue, course, settings
):
    """Bioschemas CourseInstance 1.0-RELEASE requires courseMode and location only; startDate and endDate
    are recommended. A self-paced course has no dates: its instance says how (online, at its own pace) and
    where (its page), and gives no date rather than an empty or invented one."""
    settings.WAGTAILADMIN_BASE_URL = "https://learn.example.org"  # the public address, not the Site's localhost
    outside = CoursePageFactory(parent=Page.get_first_root_node(), title="In no site")  # no address at all
    body = client.get("/learn/catalogue/materials.jsonld", HTTP_HOST="internal:8000").json()
    courses = [item for item in body["@graph"] if item["@type"] == "Course"]
    assert [item["name"] for item in courses] == ["Powder diffraction"] and outside.live
    (data,) = courses
    assert data["url"] == f"https://learn.example.org{course.url}"
    (instance,) = data["hasCourseInstance"]
    assert_minimum({**instance, "@context": body["@context"]}, "CourseInstance")
    assert instance["courseMode"] == ["online", "asynchronous"]
    assert instance["location"] == {"@type": "VirtualLocation", "url": data["url"]}
    assert not {"startDate", "endDate", "eventStatus"} & set(instance)
    assert all(value not in (None, "", []) for value in instance.values())
    page = json_ld(client.get(course.url).text)  # the page says the same
    assert page["hasCourseInstance"] == data["hasCourseInstance"]


def test_the_materials_feed_costs_the_same_queries_for_more_courses(client, catalogue, course):
    LessonPageFactory(parent=course)
    client.get("/learn/catalogue/materials.jsonld")  # the site's root paths, cached after the first request
    with CaptureQueriesContext(connection) as few:
        client.get("/learn/catalogue/materials.jsonld")
    for number in range(5):
        more = CoursePageFactory(parent=catalogue, facility=FacilityFactory())
        CourseInstructor.objects.create(page=more, name=f"Trainer {number}")
        LessonPageFactory(parent=more)
        LessonPageFactory(parent=more)
    with CaptureQueriesContext(connection) as many:
        body = client.get("/learn/catalogue/materials.jsonld").json()
    assert len(body["@graph"]) == 2 + 5 * 3
    assert len(many.captured_queries) == len(few.captured_queries), [q["sql"] for q in many.captured_queries]
