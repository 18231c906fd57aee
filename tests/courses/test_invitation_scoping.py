"""Course invitations in the admin, seen by two trainers: each sees and makes the invitations of the courses
they edit only (review of 2026-12-04: a plain trainer read every course's invitees through the chooser)."""

import pytest
from django.urls import reverse

from courses.models import CourseInvitation
from tests.factories import CoursePageFactory, UserFactory, trainer_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_trainers(catalogue):
    course_a = CoursePageFactory(parent=catalogue, title="Course A", slug="course-a")
    course_b = CoursePageFactory(parent=catalogue, title="Course B", slug="course-b")
    alice = trainer_of(catalogue, "alice", course_a)
    trainer_of(catalogue, "bob", course_b)  # course B has its own trainer, whose invitation Alice must not see
    mine = CourseInvitation.objects.create(course=course_a, email="invitee-a@example.org")
    theirs = CourseInvitation.objects.create(course=course_b, email="invitee-b@example.org")
    return alice, course_a, course_b, mine, theirs


def test_a_trainer_sees_only_the_invitations_of_their_courses(client, two_trainers):
    alice, _course_a, _course_b, mine, theirs = two_trainers
    viewset = CourseInvitation.snippet_viewset
    client.force_login(alice)
    # Trainers invite from the course's own page; the invitations' admin list is not theirs (no model rights).
    listing = client.get(reverse(viewset.get_url_name("list")))
    assert listing.status_code == 302 and theirs.email not in listing.text
    assert client.get(reverse(viewset.get_url_name("edit"), args=[theirs.pk])).status_code in (302, 404)
    # The chooser, which any admin user can open, shows the invitations of their own courses only.
    chooser = viewset.chooser_viewset
    chosen_list = client.get(reverse(chooser.get_url_name("choose")))
    assert chosen_list.status_code == 200
    assert mine.email in chosen_list.text and theirs.email not in chosen_list.text
    results = client.get(reverse(chooser.get_url_name("choose_results")), {"q": "invitee"}).text
    assert mine.email in results and theirs.email not in results
    assert client.get(reverse(chooser.get_url_name("chosen"), args=[theirs.pk])).status_code == 404


def test_a_superuser_sees_every_invitation(client, two_trainers):
    _alice, _course_a, _course_b, mine, theirs = two_trainers
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    listing = client.get(reverse(CourseInvitation.snippet_viewset.get_url_name("list"))).text
    assert mine.email in listing and theirs.email in listing
