import os
from pathlib import Path

import pytest
from django.conf import settings
from wagtail.models import Page, Site

from tests.factories import CatalogueIndexPageFactory, CoursePageFactory, LessonPageFactory, UserFactory

# tests/smoke/ speaks to a running demo; scripts/test.sh's fresh-install stage starts one and names it.
collect_ignore = [] if os.environ.get("PANLEARN_DEMO_URL") else ["smoke"]


def _remove_sqlite_test_files(*, also_dead: bool = False):
    """This process's SQLite test database and the WAL files a connection left open would leave (an earlier
    process with this pid must not have its WAL replayed into a new database); with `also_dead`, those of
    test processes that are no longer running (killed, or crashed)."""
    directory = getattr(settings, "TEST_DATABASE_DIR", None)
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3" or directory is None:
        return
    for path in directory.glob("*.sqlite3*"):
        pid = path.name.split(".", 1)[0]
        if pid == str(os.getpid()) or (also_dead and pid.isdigit() and not Path(f"/proc/{pid}").exists()):
            path.unlink(missing_ok=True)


def pytest_configure(config):
    if directory := getattr(settings, "TEST_DATABASE_DIR", None):
        directory.mkdir(parents=True, exist_ok=True)  # Django creates the file, not its directory
    _remove_sqlite_test_files(also_dead=True)


def pytest_unconfigure(config):
    _remove_sqlite_test_files()


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
