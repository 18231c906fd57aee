"""What an LMS co-trainer loses without launching again, and what they may not do while they train: the roster
sync takes editing back from members the LMS no longer calls active instructors; a revoke that commits while a
launch is under way wins; a co-trainer neither deletes nor moves the course or its lessons; the LMS co-trainers
group does not list the dataset registry."""

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from wagtail.test.utils.form_data import nested_form_data, streamfield

from content.models import Dataset
from courses.models import CoursePage, LessonPage
from courses.services import course_grant_editing
from lti import services
from lti.models import LtiContext, LtiIdentity, TrainerGrant
from lti.tasks import sync_roster
from lti.trainers import LMS_TRAINERS_GROUP
from tests.factories import UserFactory
from tests.lti.platform import INSTRUCTOR, LEARNER
from tests.lti.test_trainers import bound, course_b, edits, launch_in, trainer, user_of  # noqa: F401

pytestmark = pytest.mark.django_db

INES = {"user_id": "moodle-user-42", "roles": [INSTRUCTOR], "name": "Ines"}
GRACE = {"user_id": "m-2", "roles": [INSTRUCTOR], "name": "Grace"}


def synced(lms, context, members) -> None:
    context.memberships_url = lms.url("/memberships")
    context.save()
    lms.members = members
    sync_roster.enqueue(context.pk)


@pytest.mark.parametrize("members", [
    [{**INES, "status": "Inactive"}, GRACE],
    [{**INES, "roles": [LEARNER]}, GRACE],
    [GRACE],  # no longer in the LMS course
], ids=["inactive", "learner", "gone"])  # fmt: skip
def test_the_roster_takes_editing_back_from_an_instructor_who_left(client, lms, course, lessons, trainer, members):  # noqa: F811
    context = bound(lms, course, trainer)
    launch_in(client, lms, lessons[0])
    ines = user_of(lms)
    assert edits(ines, course)
    synced(lms, context, members)
    assert not TrainerGrant.objects.filter(user=ines).exists()
    assert not edits(ines, course) and not User.objects.get(pk=ines.pk).groups.exists()
    assert not edits(user_of(lms, "m-2"), course)  # the sync still grants nobody


def test_the_roster_keeps_active_instructors_and_what_panlearn_gave(client, lms, course, lessons, trainer):  # noqa: F811
    context = bound(lms, course, trainer)
    launch_in(client, lms, lessons[0])
    ada = UserFactory(username="ada")
    course_grant_editing(course=course, user=ada)
    LtiIdentity.objects.create(platform=lms.record, subject="moodle-user-ada", user=ada)
    launch_in(Client(), lms, lessons[0], sub="moodle-user-ada")
    assert TrainerGrant.objects.get(user=ada).made_editor is False
    synced(lms, context, [INES, {"user_id": "moodle-user-ada", "roles": [LEARNER], "name": "Ada"}])
    ines = user_of(lms)
    assert TrainerGrant.objects.filter(user=ines).exists() and edits(ines, course)
    assert not TrainerGrant.objects.filter(user=ada).exists() and edits(ada, course)  # panlearn's editor still


def test_the_roster_of_one_lms_course_leaves_anothers_grants(client, lms, course, lessons, trainer):  # noqa: F811
    seven = bound(lms, course, trainer)
    bound(lms, course, trainer, context_id="moodle-course-8")
    launch_in(client, lms, lessons[0], context_id="moodle-course-8")
    ines = user_of(lms)
    synced(lms, seven, [GRACE])  # Ines is not in LMS course 7, and trains through 8
    assert TrainerGrant.objects.filter(user=ines, context__context_id="moodle-course-8").exists()
    assert edits(ines, course)


def test_a_launch_rereads_the_binding_a_revoke_changed_meanwhile(client, lms, course, lessons, trainer, monkeypatch):  # noqa: F811
    bound(lms, course, trainer)
    record = services.context_record

    def then_revoked(**kwargs):
        context = record(**kwargs)  # read while still bound
        LtiContext.objects.filter(pk=context.pk).update(instructors_train=False, bound_by=None, bound_at=None)
        return context

    monkeypatch.setattr(services, "context_record", then_revoked)
    launch_in(client, lms, lessons[0])
    user = user_of(lms)
    assert not TrainerGrant.objects.exists() and not edits(user, course) and not user.groups.exists()


@pytest.fixture
def co_trainer(client, lms, course, lessons, trainer):  # noqa: F811
    """`client`, signed in by a launch as an instructor of an approved LMS course: an editor through it only."""
    bound(lms, course, trainer)
    launch_in(client, lms, lessons[0])
    assert edits(user_of(lms), course) and TrainerGrant.objects.get().made_editor
    return client


def refused_to_delete(browser, page) -> bool:
    """Both the confirmation and the deletion end at the page's edit view saying why (not a 500); the page stays."""
    for method in (browser.get, browser.post):
        response = method(f"/admin/pages/{page.pk}/delete/", follow=True)
        assert response.status_code == 200 and response.redirect_chain[-1][0] == f"/admin/pages/{page.pk}/edit/"
        assert "through an approved LMS course: you cannot delete" in response.content.decode()
    return type(page).objects.filter(pk=page.pk).exists()


def test_a_co_trainer_deletes_neither_a_lesson_nor_the_course(co_trainer, course, lessons):
    assert refused_to_delete(co_trainer, lessons[2])
    bulk = co_trainer.post(f"/admin/bulk/wagtailcore/page/delete/?id={lessons[1].pk}&id={lessons[2].pk}")
    assert bulk.status_code == 302 and LessonPage.objects.child_of(course).count() == 3
    for lesson in lessons:  # Wagtail lets `change` delete a course without lessons
        lesson.delete()
    assert refused_to_delete(co_trainer, course)


def test_a_co_trainer_moves_no_lesson_out_of_the_course(client, catalogue, lms, course, lessons, course_b, trainer):  # noqa: F811
    bound(lms, course, trainer)
    launch_in(client, lms, lessons[0])
    course_grant_editing(course=course_b, user=user_of(lms))  # an editor of course B in panlearn
    response = client.post(f"/admin/pages/{lessons[2].pk}/move/{course_b.pk}/confirm/")
    assert response.status_code == 302
    assert LessonPage.objects.get(pk=lessons[2].pk).get_parent().pk == course.pk
    client.post(f"/admin/bulk/wagtailcore/page/move/?id={lessons[2].pk}", {"chooser": course_b.pk})
    assert LessonPage.objects.get(pk=lessons[2].pk).get_parent().pk == course.pk


def test_an_editor_through_panlearn_still_deletes_a_lesson(co_trainer, course, lessons, trainer):  # noqa: F811
    response = trainer.post(f"/admin/pages/{lessons[2].pk}/delete/")
    assert response.status_code == 302 and not LessonPage.objects.filter(pk=lessons[2].pk).exists()
    assert CoursePage.objects.filter(pk=course.pk).exists()


def test_an_lms_co_trainer_edits_a_lesson_with_a_dataset_without_the_dataset_registry(co_trainer, lms, lessons):
    assert not Group.objects.get(name=LMS_TRAINERS_GROUP).permissions.filter(codename="view_dataset").exists()
    user = User.objects.get(pk=user_of(lms).pk)
    assert not user.has_perm("panlearn_content.view_dataset")
    assert co_trainer.get("/admin/snippets/panlearn_content/dataset/").status_code in (302, 403)
    dataset = Dataset.objects.create(slug="chopper", title="Chopper spectrometer run", licence="CC-BY-4.0")
    chooser = co_trainer.get("/admin/snippets/choose/panlearn_content/dataset/")
    assert chooser.status_code == 200 and "Chopper spectrometer run" in chooser.content.decode()
    lesson = lessons[1]
    response = co_trainer.post(f"/admin/pages/{lesson.pk}/edit/", nested_form_data({
        "title": lesson.title, "slug": lesson.slug, "summary": "",
        "body": streamfield([("dataset", {"dataset": dataset.pk, "file": "", "path": "", "show_viewer": True})]),
    }))  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:3000]
    body = LessonPage.objects.get(pk=lesson.pk).get_latest_revision_as_object().body
    assert [block.value["dataset"] for block in body] == [dataset]
