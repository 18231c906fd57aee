"""Wagtail's reports name only the people and pages a user may know of (issue 16): the site history's
and the locked pages' user filters, and the page types usage report (superusers only)."""

from datetime import date

import pytest
from django.contrib.auth.models import Group, Permission
from wagtail.log_actions import log
from wagtail.models import GroupPagePermission

from onboarding import services as onboarding
from tests.factories import CoursePageFactory, FacilityFactory, LessonPageFactory, UserFactory, trainer_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(catalogue):
    course_a = CoursePageFactory(parent=catalogue, title="Course A", slug="course-a")
    course_b = CoursePageFactory(parent=catalogue, title="Course B", slug="course-b")
    lesson_a = LessonPageFactory(parent=course_a, title="Lesson of A", slug="lesson-a")
    lesson_b = LessonPageFactory(parent=course_b, title="Secret lesson of B", slug="lesson-b")
    alice = trainer_of(catalogue, "alice-trainer", course_a)
    bob = trainer_of(catalogue, "bob-secret-trainer", course_b)
    return {"alice": alice, "bob": bob, "lesson_a": lesson_a, "lesson_b": lesson_b}


def test_the_site_history_lists_only_the_people_of_entries_the_user_sees(client, world):
    """Wagtail's user filter listed whoever made any page's entry: facility staff, who see no page, were
    shown every trainer's name."""
    facility = FacilityFactory(short_name="PDS")
    staff = UserFactory(username="pds-staff")
    onboarding.facility_staff_add(facility=facility, user=staff)
    experiment = onboarding.experiment_create(facility=facility, proposal="PDS-1", title="Ours",
                                              start_date=date(2030, 1, 1))  # fmt: skip
    log(experiment, "wagtail.create", user=staff)
    log(world["lesson_b"], "wagtail.edit", user=world["bob"])
    client.force_login(staff)
    html = client.get("/admin/reports/site-history/").text
    assert 'name="user"' in html and "PDS-1" in html, "the filter lists the people of her own entries"
    assert "bob-secret-trainer" not in html and "Secret lesson of B" not in html
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    assert "bob-secret-trainer" in client.get("/admin/reports/site-history/").text


def test_the_locked_pages_report_names_only_who_locked_pages_the_trainer_may_change(client, world):
    """Wagtail opens the report to those who may unlock some page, and its filter listed whoever locked
    any page. Alice may unlock the pages of her course only."""
    unlockers = Group.objects.create(name="Unlock course A")
    GroupPagePermission.objects.create(group=unlockers, page=world["lesson_a"].get_parent(),
                                       permission=Permission.objects.get(codename="unlock_page"))  # fmt: skip
    world["alice"].groups.add(unlockers)
    for user, lesson in ((world["alice"], world["lesson_a"]), (world["bob"], world["lesson_b"])):
        lesson.locked, lesson.locked_by = True, user
        lesson.save(update_fields=["locked", "locked_by"])
    client.force_login(world["alice"])
    html = client.get("/admin/reports/locked/").text
    assert 'name="locked_by"' in html and "Lesson of A" in html
    assert "bob-secret-trainer" not in html and "Secret lesson of B" not in html
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    assert "bob-secret-trainer" in client.get("/admin/reports/locked/").text


def test_page_types_usage_is_for_superusers(client, world):
    log(world["lesson_b"], "wagtail.edit", user=world["bob"])
    client.force_login(world["alice"])
    for url in ("/admin/reports/page-types-usage/", "/admin/reports/page-types-usage/results/"):
        response = client.get(url)
        assert response.status_code in (302, 403) and "Secret lesson of B" not in response.text
    assert "page-types-usage" not in client.get("/admin/").text  # not in her reports menu either
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    assert client.get("/admin/reports/page-types-usage/").status_code == 200
