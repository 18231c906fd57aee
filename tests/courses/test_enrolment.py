import pytest
from django.urls import reverse
from wagtail.models import PageViewRestriction

from courses import services
from courses.exceptions import AlreadyEnrolled, CourseNotAvailable, NotEnrolled
from courses.models import CoursePage, Enrolment, LessonCompletion
from courses.selectors import course_progress_for
from tests.factories import CoursePageFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_enrol_creates_one_active_enrolment(student, course):
    enrolment = services.enrolment_create(user=student, course=course)
    assert enrolment.is_active
    assert Enrolment.objects.filter(user=student, course=course).count() == 1


def test_enrolling_twice_is_refused_and_writes_nothing(student, course):
    services.enrolment_create(user=student, course=course)
    with pytest.raises(AlreadyEnrolled):
        services.enrolment_create(user=student, course=course)
    assert Enrolment.objects.filter(user=student).count() == 1


def test_enrolling_twice_through_the_page_shows_a_message(student_client, course):
    url = reverse("courses:enrol", args=[course.pk])
    student_client.post(url)
    response = student_client.post(url, follow=True)
    assert response.status_code == 200
    assert "already enrolled" in response.text
    assert Enrolment.objects.count() == 1


def test_unenrol_keeps_progress_and_re_enrol_resumes(student, course, lessons):
    services.enrolment_create(user=student, course=course)
    services.lesson_complete(user=student, lesson=lessons[0])
    services.enrolment_deactivate(user=student, course=course)
    assert not Enrolment.objects.get(user=student, course=course).is_active
    services.enrolment_create(user=student, course=course)
    assert course_progress_for(course=course, user=student).done == 1


def test_unenrol_when_not_enrolled_is_refused(student, course):
    with pytest.raises(NotEnrolled):
        services.enrolment_deactivate(user=student, course=course)


def test_invitation_only_course_refuses_self_enrolment(student, catalogue):
    course = CoursePageFactory(parent=catalogue, enrolment_policy="invitation")
    with pytest.raises(CourseNotAvailable, match="invitation only"):
        services.enrolment_create(user=student, course=course)
    assert not Enrolment.objects.exists()


def test_invitation_only_course_through_the_page(student_client, catalogue):
    course = CoursePageFactory(parent=catalogue, enrolment_policy="invitation")
    response = student_client.post(reverse("courses:enrol", args=[course.pk]), follow=True)
    assert "invitation only" in response.text
    assert not Enrolment.objects.exists()


def test_invitation_link_enrols_once(student, catalogue):
    course = CoursePageFactory(parent=catalogue, enrolment_policy="invitation")
    invitation = services.invitation_create(course=course, email="Somebody@Example.org")
    assert invitation.email == "somebody@example.org"
    services.invitation_accept(invitation=invitation, user=student)
    assert Enrolment.objects.get(user=student, course=course).is_active
    other = UserFactory()
    with pytest.raises(Exception, match="already been used"):
        services.invitation_accept(invitation=invitation, user=other)
    assert not Enrolment.objects.filter(user=other).exists()


def test_invited_email_may_enrol_from_the_course_page(catalogue):
    course = CoursePageFactory(parent=catalogue, enrolment_policy="invitation")
    invited = UserFactory(email="invited@example.org")
    services.invitation_create(course=course, email="invited@example.org")
    services.enrolment_create(user=invited, course=course)
    assert Enrolment.objects.filter(user=invited, course=course, is_active=True).exists()


def test_invitation_page_accepts_for_signed_in_user(student_client, student, catalogue, mailoutbox):
    course = CoursePageFactory(parent=catalogue, enrolment_policy="invitation")
    invitation = services.invitation_create(course=course, email=student.email)
    services.invitation_send(invitation=invitation, base_url="http://testserver")
    link = mailoutbox[0].body.split("http://testserver", 1)[1].split()[0]
    assert student_client.get(link).status_code == 200
    response = student_client.post(link, follow=True)
    assert response.redirect_chain[-1][0] == course.url
    assert Enrolment.objects.filter(user=student, course=course).exists()


def test_unpublished_course_cannot_be_enrolled(student_client, course):
    course.unpublish()
    response = student_client.post(reverse("courses:enrol", args=[course.pk]))
    assert response.status_code == 404
    assert not Enrolment.objects.exists()


def test_private_course_cannot_be_enrolled(student, student_client, course):
    PageViewRestriction.objects.create(page=course, restriction_type=PageViewRestriction.PASSWORD, password="x")
    with pytest.raises(CourseNotAvailable):
        services.enrolment_create(user=student, course=course)
    assert student_client.post(reverse("courses:enrol", args=[course.pk])).status_code == 404


def test_enrol_requires_login(client, course):
    response = client.post(reverse("courses:enrol", args=[course.pk]))
    assert response.status_code == 302
    assert reverse("accounts:login") in response.url
    assert not Enrolment.objects.exists()


def test_enrol_by_get_is_not_allowed(student_client, course):
    assert student_client.get(reverse("courses:enrol", args=[course.pk])).status_code == 405


def test_progress_counts_only_published_lessons(student, course, lessons):
    services.enrolment_create(user=student, course=course)
    services.lesson_complete(user=student, lesson=lessons[0])
    assert course_progress_for(course=course, user=student).percent == 33
    lessons[2].unpublish()
    progress = course_progress_for(course=CoursePage.objects.get(pk=course.pk), user=student)
    assert (progress.done, progress.total, progress.percent) == (1, 2, 50)


def test_completing_is_idempotent_and_needs_enrolment(student, course, lessons):
    with pytest.raises(NotEnrolled):
        services.lesson_complete(user=student, lesson=lessons[0])
    services.enrolment_create(user=student, course=course)
    services.lesson_complete(user=student, lesson=lessons[0])
    services.lesson_complete(user=student, lesson=lessons[0])
    assert LessonCompletion.objects.filter(user=student).count() == 1


def test_mark_done_through_the_page_shows_progress(student_client, student, course, lessons):
    services.enrolment_create(user=student, course=course)
    response = student_client.post(reverse("courses:mark_done", args=[lessons[1].pk]), follow=True)
    assert "33 %" in response.text
    response = student_client.post(reverse("courses:mark_undone", args=[lessons[1].pk]), follow=True)
    assert "0 %" in response.text


def test_mark_done_ignores_offsite_next(student_client, student, course, lessons):
    services.enrolment_create(user=student, course=course)
    response = student_client.post(
        reverse("courses:mark_done", args=[lessons[0].pk]), {"next": "https://evil.example/"}
    )
    assert response.url == lessons[0].url
