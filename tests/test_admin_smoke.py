"""Every admin screen a trainer or operator opens renders, on the demo content."""

import pytest
from django.core.management import call_command
from django.test import override_settings

from content.bundled import BUNDLED_DATASETS
from content.models import Dataset
from content.services import dataset_sync_bundled
from courses.models import CatalogueIndexPage, CoursePage, LessonPage

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(client):
    call_command("load_demo_content", verbosity=0)
    dataset_sync_bundled(BUNDLED_DATASETS)
    client.login(username="admin", password="panlearn-admin")
    return client


@override_settings(PANLEARN_RUNNER_SOCKET="/nonexistent/runner.sock")
def test_admin_screens_render(demo):
    catalogue = CatalogueIndexPage.objects.get()
    course = CoursePage.objects.get(slug="neutron-reflectometry")
    lesson = LessonPage.objects.child_of(course).first()
    dataset = Dataset.objects.first()
    paths = [
        "/admin/",
        f"/admin/pages/{catalogue.pk}/",
        f"/admin/pages/{course.pk}/",
        f"/admin/pages/{course.pk}/edit/",
        f"/admin/pages/{lesson.pk}/edit/",
        f"/admin/pages/{course.pk}/history/",
        f"/admin/pages/add/panlearn_courses/lessonpage/{course.pk}/",
        "/admin/snippets/panlearn_facilities/facility/",
        "/admin/snippets/panlearn_courses/courseinvitation/",
        "/admin/snippets/panlearn_courses/courseinvitation/add/",
        "/admin/snippets/panlearn_content/dataset/",
        f"/admin/snippets/panlearn_content/dataset/edit/{dataset.pk}/",
        "/admin/runner/",
    ]
    for path in paths:
        assert demo.get(path).status_code == 200, path


def test_trainer_sees_their_course_in_the_admin(client):
    call_command("load_demo_content", verbosity=0)
    client.login(username="trainer", password="panlearn-trainer")
    course = CoursePage.objects.get(slug="neutron-reflectometry")
    assert client.get(f"/admin/pages/{course.pk}/edit/").status_code == 200
    safety = CoursePage.objects.get(slug="facility-safety-induction")
    assert client.get(f"/admin/pages/{safety.pk}/edit/").status_code != 200  # the admin's course


def test_an_invitation_made_in_the_admin_is_emailed(demo, mailoutbox):
    from courses.models import CourseInvitation

    course = CoursePage.objects.get(slug="neutron-reflectometry")
    mailoutbox.clear()  # the demo's own invitations (its masterclass) were emailed while it loaded
    response = demo.post(
        "/admin/snippets/panlearn_courses/courseinvitation/add/", {"course": course.pk, "email": "new@example.org"}
    )
    assert response.status_code == 302
    invitation = CourseInvitation.objects.get(email="new@example.org")
    assert invitation.invited_by.username == "admin"
    assert len(mailoutbox) == 1
    assert f"/learn/invitations/{invitation.token}/" in mailoutbox[0].body
