import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from wagtail.images import get_image_model
from wagtail.models import Page, Revision, Site

from courses.models import CatalogueIndexPage, CoursePage, Enrolment, LessonPage
from demo.material.courses import REFLECTOMETRY_COURSE

pytestmark = pytest.mark.django_db


def test_demo_content_builds_the_site_and_is_idempotent(client):
    call_command("load_demo_content", verbosity=0)
    counts = (Page.objects.count(), Revision.objects.count(), get_image_model().objects.count())
    call_command("load_demo_content", verbosity=0)
    assert (Page.objects.count(), Revision.objects.count(), get_image_model().objects.count()) == counts

    catalogue = CatalogueIndexPage.objects.get()
    assert Site.objects.get(is_default_site=True).root_page_id == catalogue.pk
    course = CoursePage.objects.get(slug="neutron-reflectometry")
    assert course.title == "Neutron reflectometry: from reflectivity curve to layer model"
    assert course.live and course.technique == "reflectometry"
    assert LessonPage.objects.child_of(course).live().count() == 4  # three lessons and the nbgrader assignment
    assert CoursePage.objects.filter(title="Facility safety induction", live=True).exists()

    for username, password in (("student", "panlearn-student"), ("trainer", "panlearn-trainer")):
        assert authenticate(username=username, password=password) is not None
    assert course.permissions_for_user(course.owner).can_publish()
    assert course.owner.username == "trainer"
    assert Enrolment.objects.filter(user__username="student", course=course, is_active=True).exists()


def test_demo_lessons_render_every_block(client):
    call_command("load_demo_content", verbosity=0)
    client.login(username="student", password="panlearn-student")
    course = CoursePage.objects.get(slug="neutron-reflectometry")
    figured = {lesson["slug"] for lesson in REFLECTOMETRY_COURSE["lessons"]}
    assert len(figured) == 3
    for lesson in LessonPage.objects.child_of(course).live():
        response = client.get(lesson.url)
        assert response.status_code == 200
        if lesson.slug in figured:  # the nbgrader assignment has exercises, not figures
            assert response.text.count("<img") >= 1, lesson.title
        assert "data-latex" in response.text


def test_trainer_edits_survive_a_reload():
    call_command("load_demo_content", verbosity=0)
    course = CoursePage.objects.get(slug="neutron-reflectometry")
    course.summary = "Edited by the trainer"
    course.save_revision().publish()
    call_command("load_demo_content", verbosity=0)
    assert CoursePage.objects.get(pk=course.pk).summary == "Edited by the trainer"
