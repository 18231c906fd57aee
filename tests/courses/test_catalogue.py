import pytest
from django.test import override_settings
from wagtail.models import PageViewRestriction

from tests.factories import CoursePageFactory, FacilityFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def courses(catalogue):
    ansto = FacilityFactory(short_name="ANSTO")
    isis = FacilityFactory(short_name="ISIS")
    return {
        "reflectometry": CoursePageFactory(
            parent=catalogue,
            title="Neutron reflectometry from curve to model",
            summary="Fit layer models to specular reflectivity.",
            technique="reflectometry",
            level="beginner",
            facility=ansto,
        ),
        "sans": CoursePageFactory(
            parent=catalogue,
            title="Small-angle neutron scattering",
            summary="Form factors, structure factors and contrast.",
            technique="small-angle-scattering",
            level="intermediate",
            facility=isis,
        ),
        "xrf": CoursePageFactory(
            parent=catalogue,
            title="X-ray fluorescence mapping",
            summary="Elemental maps from fluorescence spectra.",
            technique="x-ray-fluorescence",
            level="advanced",
            facility=ansto,
        ),
    }


def titles(response) -> list[str]:
    return [course.title for course in response.context["courses_page"].object_list]


def test_catalogue_lists_published_public_courses_without_login(client, catalogue, courses):
    courses["xrf"].unpublish()
    PageViewRestriction.objects.create(page=courses["sans"], restriction_type="password", password="x")
    response = client.get(catalogue.url)
    assert response.status_code == 200
    assert titles(response) == ["Neutron reflectometry from curve to model"]


def test_search_finds_by_word_in_title_and_summary(client, catalogue, courses):
    assert titles(client.get(catalogue.url, {"q": "reflectometry"})) == ["Neutron reflectometry from curve to model"]
    assert titles(client.get(catalogue.url, {"q": "contrast"})) == ["Small-angle neutron scattering"]


def test_search_does_not_reveal_unpublished_courses(client, catalogue, courses):
    courses["xrf"].unpublish()
    assert titles(client.get(catalogue.url, {"q": "fluorescence"})) == []


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"technique": "small-angle-scattering"}, ["Small-angle neutron scattering"]),
        ({"level": "advanced"}, ["X-ray fluorescence mapping"]),
        ({"facility": "ANSTO"}, ["Neutron reflectometry from curve to model", "X-ray fluorescence mapping"]),
        ({"facility": "ANSTO", "level": "beginner"}, ["Neutron reflectometry from curve to model"]),
        ({"facility": "ANSTO", "q": "fluorescence"}, ["X-ray fluorescence mapping"]),
        ({"technique": "reflectometry", "q": "fluorescence"}, []),
    ],
)
def test_filters_combine(client, catalogue, courses, params, expected):
    assert sorted(titles(client.get(catalogue.url, params))) == expected


def test_unknown_filter_values_are_ignored_not_errors(client, catalogue, courses):
    response = client.get(catalogue.url, {"technique": "alchemy", "level": "wizard", "facility": "nowhere"})
    assert response.status_code == 200
    assert len(titles(response)) == 3


def test_empty_search_shows_an_empty_state(client, catalogue, courses):
    response = client.get(catalogue.url, {"q": "zzzzunknownword"})
    assert response.status_code == 200
    assert "No course matches" in response.text


def test_empty_catalogue_says_so(client, catalogue):
    assert "No courses yet" in client.get(catalogue.url).text


@override_settings(PANLEARN_COURSES_PAGE_SIZE=2)
def test_pagination_keeps_filters(client, catalogue, courses):
    first = client.get(catalogue.url)
    assert len(titles(first)) == 2
    assert "page=2" in first.text
    second = client.get(catalogue.url, {"page": 2})
    assert len(titles(second)) == 1
    assert client.get(catalogue.url, {"page": "999"}).status_code == 200  # clamps to the last page
    filtered = client.get(catalogue.url, {"facility": "ANSTO"})
    assert len(titles(filtered)) == 2


def test_very_long_query_is_trimmed(client, catalogue, courses):
    response = client.get(catalogue.url, {"q": "reflectometry " * 200})
    assert response.status_code == 200
    assert len(response.context["query"].text) <= 200
