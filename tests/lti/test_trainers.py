"""LMS instructors as trainers (issue 20), against the loopback platform: an instructor edits a course only after
an editor of that course approved the LMS course they launch from, only that course, and only from that
platform; revoking takes back what launches gave and nothing panlearn gave; the approval page shows and changes
only the LMS courses of courses one edits."""

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from courses.selectors import can_edit_course
from courses.services import course_grant_editing
from lti.models import LtiContext, LtiIdentity, TrainerGrant
from lti.tasks import sync_roster
from lti.trainers import LMS_TRAINERS_GROUP
from tests.factories import CoursePageFactory, LessonPageFactory, UserFactory, trainer_of
from tests.lti.conftest import authorize, registered
from tests.lti.platform import INSTRUCTOR, LEARNER

pytestmark = pytest.mark.django_db

CONTENT_DEVELOPER = "http://purl.imsglobal.org/vocab/lis/v2/membership#ContentDeveloper"


def launch_in(browser, platform, page, *, sub="moodle-user-42", roles=(INSTRUCTOR,), context_id="moodle-course-7"):
    """A resource-link launch of `page` from the LMS course `context_id`, in `browser` (a test Client)."""
    auth = authorize(browser, platform, user_id=sub)
    form = platform.launch(auth, sub=sub, roles=list(roles), context_id=context_id,
                           custom={"panlearn_page": str(page.pk)})  # fmt: skip
    response = browser.post("/lti/launch/", form)
    assert response.status_code == 302, response.content
    return response


def user_of(platform, sub="moodle-user-42"):
    return LtiIdentity.objects.get(platform=platform.record, subject=sub).user


def edits(user, course) -> bool:
    """As a new request would see it: Wagtail caches a user's page permissions on the user object."""
    return can_edit_course(course=course, user=User.objects.get(pk=user.pk))


def opens_the_editor(browser, course) -> bool:
    """The Wagtail edit page of the course, as the browser's user sees it."""
    response = browser.get(f"/admin/pages/{course.pk}/edit/")
    return response.status_code == 200 and course.title in response.content.decode()


@pytest.fixture
def trainer(catalogue, course):
    """An editor of `course` in panlearn, in their own browser."""
    browser = Client()
    browser.force_login(trainer_of(catalogue, "marie", course))
    return browser


@pytest.fixture
def course_b(catalogue):
    course = CoursePageFactory(parent=catalogue, title="Small-angle scattering", slug="saxs")
    LessonPageFactory(parent=course, title="SAXS 1", slug="saxs-1")
    return course


def approve(browser, context) -> None:
    response = browser.post(f"/admin/lti/lms-courses/{context.pk}/approve/")
    assert response.status_code == 302, response.content
    context.refresh_from_db()
    assert context.instructors_train


def bound(platform, course, browser, *, context_id="moodle-course-7") -> LtiContext:
    """The LMS course as it appears after a first launch, approved by the editor in `browser`."""
    launch_in(Client(), platform, course, sub=f"first-{context_id}", roles=[LEARNER], context_id=context_id)
    context = LtiContext.objects.get(platform=platform.record, context_id=context_id, course=course)
    approve(browser, context)
    return context


def test_an_instructor_of_an_approved_lms_course_edits_the_course(client, lms, course, lessons, trainer):
    launch_in(client, lms, lessons[0])  # not approved yet: enrolled, told whom to ask
    user = user_of(lms)
    assert not edits(user, course) and not opens_the_editor(client, course)
    page = client.get(lessons[0].url).content.decode()
    assert "ask an editor of the course to approve this LMS course" in page

    listing = trainer.get("/admin/lti/lms-courses/").content.decode()
    assert "Physics 101 (Moodle)" in listing and "moodle-course-7" in listing and "not approved" in listing
    approve(trainer, LtiContext.objects.get())
    assert not edits(user, course)  # from the next launch on

    launch_in(client, lms, lessons[1])
    assert f"/admin/pages/{course.pk}/edit/" in client.get(lessons[1].url).content.decode()  # told where
    assert edits(user, course) and opens_the_editor(client, course)
    assert TrainerGrant.objects.get(user=user).made_editor
    assert "Loopback Moodle" in trainer.get("/admin/lti/lms-courses/").content.decode()


def test_a_content_developer_trains_too(client, lms, course, lessons, trainer):
    bound(lms, course, trainer)
    launch_in(client, lms, lessons[0], roles=[CONTENT_DEVELOPER])
    assert edits(user_of(lms), course)


def test_an_instructor_of_an_lms_course_nobody_approved_edits_nothing(client, lms, course, lessons, trainer):
    bound(lms, course, trainer, context_id="moodle-course-8")  # another LMS course of the same platform, approved
    launch_in(client, lms, lessons[0], context_id="moodle-course-7")
    user = user_of(lms)
    assert not edits(user, course) and not opens_the_editor(client, course) and not user.groups.exists()
    assert not TrainerGrant.objects.exists()
    assert not LtiContext.objects.get(context_id="moodle-course-7").instructors_train


def test_a_learner_of_an_approved_lms_course_edits_nothing(client, lms, course, lessons, trainer):
    bound(lms, course, trainer)
    launch_in(client, lms, lessons[0], roles=[LEARNER])
    user = user_of(lms)
    assert not edits(user, course) and not user.groups.exists() and not opens_the_editor(client, course)


def test_an_instructor_who_becomes_a_learner_in_the_lms_stops_editing(client, lms, course, lessons, trainer):
    bound(lms, course, trainer)
    launch_in(client, lms, lessons[0])
    assert edits(user_of(lms), course)
    launch_in(client, lms, lessons[0], roles=[LEARNER])
    assert not edits(user_of(lms), course) and not TrainerGrant.objects.exists()


def test_an_approval_for_course_a_gives_nothing_on_course_b(client, catalogue, lms, course, lessons, course_b,
                                                            trainer):  # fmt: skip
    bound(lms, course, trainer)
    trainer_b = Client()
    trainer_b.force_login(trainer_of(catalogue, "rosalind", course_b))
    bound(lms, course_b, trainer_b, context_id="moodle-course-99")  # B approved, for another LMS course
    launch_in(client, lms, lessons[0])
    lesson_b = course_b.get_children().live().first()
    launch_in(client, lms, lesson_b)  # the same LMS course (7) names course B in its link
    user = user_of(lms)
    assert edits(user, course) and not edits(user, course_b)
    assert opens_the_editor(client, course) and not opens_the_editor(client, course_b)
    assert not LtiContext.objects.get(context_id="moodle-course-7", course=course_b).instructors_train


def test_another_platform_with_the_same_lms_course_id_gets_nothing(client, lms, course, lessons, trainer):
    bound(lms, course, trainer)
    elsewhere = registered(client, "Another Moodle")
    try:
        launch_in(client, elsewhere, lessons[0], context_id="moodle-course-7")
        user = user_of(elsewhere)
        assert not edits(user, course) and not opens_the_editor(client, course)
        assert "ask an editor of the course" in client.get(lessons[0].url).content.decode()
    finally:
        elsewhere.server.shutdown()
        elsewhere.server.server_close()


def test_another_courses_trainer_neither_sees_nor_approves_its_lms_courses(client, catalogue, lms, course, lessons,
                                                                          course_b):  # fmt: skip
    launch_in(client, lms, lessons[0])
    context = LtiContext.objects.get()
    rosalind = Client()
    rosalind.force_login(trainer_of(catalogue, "rosalind", course_b))
    listing = rosalind.get("/admin/lti/lms-courses/")
    assert listing.status_code == 200 and "moodle-course-7" not in listing.content.decode()
    assert "No LMS course has opened a course you edit yet" in listing.content.decode()
    for action in ("approve", "revoke"):
        assert rosalind.post(f"/admin/lti/lms-courses/{context.pk}/{action}/").status_code == 404
    student = Client()
    student.force_login(UserFactory(username="stu"))
    assert student.post(f"/admin/lti/lms-courses/{context.pk}/approve/").status_code == 302  # to the sign-in
    context.refresh_from_db()
    assert not context.instructors_train
    launch_in(client, lms, lessons[1])
    assert not edits(user_of(lms), course)


def test_an_instructor_made_an_editor_by_a_launch_approves_no_other_lms_course(client, lms, course, lessons,
                                                                              trainer):  # fmt: skip
    bound(lms, course, trainer)
    launch_in(client, lms, lessons[0])
    launch_in(Client(), lms, lessons[0], sub="stranger", context_id="moodle-course-666")  # another LMS course
    user, other = user_of(lms), LtiContext.objects.get(context_id="moodle-course-666")
    assert edits(user, course)
    assert "moodle-course-666" not in client.get("/admin/lti/lms-courses/").content.decode()
    assert client.post(f"/admin/lti/lms-courses/{other.pk}/approve/").status_code == 404
    other.refresh_from_db()
    assert not other.instructors_train


def test_approval_is_a_post_with_a_csrf_token(catalogue, lms, course, lessons):
    launch_in(Client(), lms, lessons[0])
    context = LtiContext.objects.get()
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(trainer_of(catalogue, "marie", course))
    assert browser.get(f"/admin/lti/lms-courses/{context.pk}/approve/").status_code == 405
    assert browser.post(f"/admin/lti/lms-courses/{context.pk}/approve/").status_code == 403
    context.refresh_from_db()
    assert not context.instructors_train


def test_revoking_takes_back_what_launches_gave_and_keeps_what_panlearn_gave(client, catalogue, lms, course,
                                                                              lessons, trainer):  # fmt: skip
    context = bound(lms, course, trainer)
    ada = UserFactory(username="ada")
    course_grant_editing(course=course, user=ada)  # an editor in panlearn, who also teaches in the LMS
    LtiIdentity.objects.create(platform=lms.record, subject="moodle-user-ada", user=ada)
    launch_in(client, lms, lessons[0], sub="moodle-user-ada")
    newcomer_browser = Client()
    launch_in(newcomer_browser, lms, lessons[0], sub="moodle-user-43")
    newcomer = user_of(lms, "moodle-user-43")
    assert edits(ada, course) and edits(newcomer, course)
    assert TrainerGrant.objects.get(user=ada).made_editor is False

    response = trainer.post(f"/admin/lti/lms-courses/{context.pk}/revoke/", follow=True)
    assert "2 lost the editing their launches gave" in response.content.decode()
    assert not edits(newcomer, course) and not opens_the_editor(newcomer_browser, course)
    assert not newcomer.groups.filter(name=LMS_TRAINERS_GROUP).exists()
    assert edits(ada, course) and not TrainerGrant.objects.exists()
    context.refresh_from_db()
    assert (context.instructors_train, context.bound_by, context.bound_at) == (False, None, None)
    launch_in(newcomer_browser, lms, lessons[0], sub="moodle-user-43")  # revoked: no more grants
    assert not edits(newcomer, course)


def test_another_approved_lms_course_keeps_an_instructor_editing_when_one_is_revoked(client, lms, course, lessons,
                                                                                     trainer):  # fmt: skip
    seven = bound(lms, course, trainer)
    bound(lms, course, trainer, context_id="moodle-course-8")
    launch_in(client, lms, lessons[0], context_id="moodle-course-7")
    launch_in(client, lms, lessons[0], context_id="moodle-course-8")
    trainer.post(f"/admin/lti/lms-courses/{seven.pk}/revoke/")
    user = user_of(lms)
    assert edits(user, course) and user.groups.filter(name=LMS_TRAINERS_GROUP).exists()
    trainer.post(f"/admin/lti/lms-courses/{LtiContext.objects.get(context_id='moodle-course-8').pk}/revoke/")
    assert not edits(user, course) and not user.groups.exists()


def test_deleting_the_platform_takes_back_its_grants(client, lms, course, lessons, trainer):
    bound(lms, course, trainer)
    launch_in(client, lms, lessons[0])
    user = user_of(lms)
    assert edits(user, course)
    lms.record.delete()
    assert not edits(user, course) and not user.groups.exists()


def test_deleting_the_course_takes_back_its_grants(client, lms, course, lessons, course_b, trainer):
    bound(lms, course, trainer)
    launch_in(client, lms, lessons[0])
    launch_in(client, lms, course_b)  # course B too, where nobody approved this LMS course
    user = user_of(lms)
    course.delete()
    assert not TrainerGrant.objects.exists() and not LtiContext.objects.filter(course_id=course.pk).exists()
    assert not User.objects.get(pk=user.pk).groups.exists()


def test_the_roster_of_an_approved_lms_course_makes_nobody_an_editor(lms, course, lessons, trainer):
    context = bound(lms, course, trainer)
    lms.members = [{"user_id": "m-2", "roles": [INSTRUCTOR], "name": "Grace"}]
    assert sync_roster.enqueue(context.pk).return_value == 1
    grace = user_of(lms, "m-2")
    assert not edits(grace, course) and not grace.groups.exists() and not TrainerGrant.objects.exists()


def test_the_lms_trainers_group_opens_the_admin_and_creates_no_course(client, lms, course, lessons, trainer):
    bound(lms, course, trainer)
    launch_in(client, lms, lessons[0])
    user = user_of(lms)
    assert user.has_perm("wagtailadmin.access_admin") and not user.has_perm("panlearn_courses.add_coursepage")
    assert Group.objects.get(name=LMS_TRAINERS_GROUP) in user.groups.all()
    assert client.get("/admin/courses/new/").status_code in (302, 403)


def test_a_long_list_of_lms_courses_is_paginated(lms, course, trainer):
    from lti.models import Platform

    platform = Platform.objects.get()
    LtiContext.objects.bulk_create(
        LtiContext(platform=platform, context_id=f"c-{number:03}", title=f"LMS course {number:03}", course=course)
        for number in range(55)
    )
    first = trainer.get("/admin/lti/lms-courses/").content.decode()
    assert "LMS course 000" in first and "LMS course 054" not in first and "Page 1 of 2" in first
    assert "LMS course 054" in trainer.get("/admin/lti/lms-courses/?p=2").content.decode()
