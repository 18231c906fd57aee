import os
import warnings
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


def _transactional(item) -> tuple[bool, bool]:
    """(transactional, serialized_rollback) of a test, from its django_db mark."""
    marker = item.get_closest_marker("django_db")
    if marker is None:
        return False, False
    return bool(marker.kwargs.get("transaction")), bool(marker.kwargs.get("serialized_rollback"))


_flushed_by: list[str] = []  # the last transactional test on this pytest worker, whose flush emptied the database


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    yield
    if _transactional(item)[0]:
        _flushed_by[:] = [item.nodeid]


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """A serialized_rollback test loads the migrations' rows (content types among them) into the database
    the last transactional test flushed. If anything wrote there since (a thread or a process that test
    started and did not stop), the load would fail here and in every later such test on this worker, none
    of them at fault. Flush again, and warn naming the test that leaked: the warning shows in the summary."""
    if not (_flushed_by and _transactional(item)[1]):
        return
    from django.core.management import call_command
    from django.db import connection
    from pytest_django.plugin import blocking_manager_key

    leaker = _flushed_by.pop()
    with item.config.stash[blocking_manager_key].unblock():
        with connection.cursor() as cursor:
            cursor.execute("SELECT app_label, model FROM django_content_type ORDER BY id LIMIT 5")
            stray = cursor.fetchall()
        if stray:
            call_command("flush", interactive=False, inhibit_post_migrate=True, verbosity=0)
    if stray:
        warnings.warn(
            f"The database flushed after {leaker} held rows again (content types {stray}) before {item.nodeid}: "
            "that test left a thread or process writing after its end, or is transactional without "
            "serialized_rollback. Flushed again.",
            stacklevel=1,
        )


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
