import os

import pytest
from wagtail.models import Page, Site

from tests.factories import CatalogueIndexPageFactory, CoursePageFactory, LessonPageFactory, UserFactory

# tests/smoke/ speaks to a running demo; scripts/test.sh's fresh-install stage starts one and names it.
collect_ignore = [] if os.environ.get("PANLEARN_DEMO_URL") else ["smoke"]


@pytest.fixture
def catalogue(db):
    """The site's root is the catalogue, as in the demo."""
    catalogue = CatalogueIndexPageFactory(parent=Page.get_first_root_node())
    site = Site.objects.get(is_default_site=True)
    site.root_page = catalogue
    site.save()
    return catalogue


@pytest.fixture
def course(catalogue):
    """A published open course with three published lessons."""
    course = CoursePageFactory(parent=catalogue, title="Neutron diffraction basics", slug="diffraction")
    for number in (1, 2, 3):
        LessonPageFactory(parent=course, title=f"Lesson {number}", slug=f"lesson-{number}")
    return course


@pytest.fixture
def lessons(course):
    return list(course.get_children().specific().order_by("path"))


@pytest.fixture
def student(db):
    return UserFactory(username="stu")


@pytest.fixture
def student_client(client, student):
    client.force_login(student)
    return client


@pytest.fixture(autouse=True)
def _clear_cache():
    """Wagtail caches site roots; a rolled-back test must not leave its cache to the next."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
