"""Scores, deep linking, rosters and keys against the loopback platform: a graded submission reaches the
platform's line item through the task queue (retried when the platform fails), the deep linking response
is verified by lti1p3platform with the tool's JWKS, and NRPS members become enrolled accounts."""

import re
import uuid
from datetime import timedelta
from html import unescape

import pytest
from django.utils import timezone

from courses.models import Enrolment
from courses.services import course_editors_group
from exercises.gradebook import override_set
from lti.keys import jwks, key_rotate, signing_key
from lti.models import DeliveryStatus, LineItem, LtiContext, LtiIdentity, ScoreDelivery
from lti.scores import pending_deliveries_retry
from lti.tasks import sync_roster
from tests.exercises.test_quiz_exercises import ids, make_quiz, place
from tests.lti.platform import INSTRUCTOR, LEARNER

pytestmark = pytest.mark.django_db


@pytest.fixture
def quiz_lesson(course):
    quiz = make_quiz()
    return place(course, quiz), quiz


def submit_quiz(client, lesson, quiz):
    single, multiple, number, text = ids(quiz)
    answers = {single: "b", multiple: ["a", "c"], number: "0.154 nm", text: "  BRAGG "}  # 3 of 5 points
    return client.post(f"/learn/exercises/{lesson.pk}/{quiz.pk}/submit", {"answers": answers},
                       content_type="application/json")  # fmt: skip


def test_a_graded_submission_posts_its_score_to_the_line_item(client, launch, lms, quiz_lesson,
                                                              django_capture_on_commit_callbacks):  # fmt: skip
    lesson, quiz = quiz_lesson
    custom = {"panlearn_page": str(lesson.pk), "panlearn_exercise": str(quiz.pk)}
    assert launch(custom=custom, lineitem=lms.url("/lineitems/7"))["Location"] == lesson.url
    assert LineItem.objects.get().url == lms.url("/lineitems/7")
    with django_capture_on_commit_callbacks(execute=True):
        assert submit_quiz(client, lesson, quiz).json()["status"] == "graded"
    [score] = lms.scores
    assert score["line_item"] == "7" and score["userId"] == "moodle-user-42"
    assert (score["scoreGiven"], score["scoreMaximum"]) == (3.0, 5.0)
    assert (score["activityProgress"], score["gradingProgress"]) == ("Completed", "FullyGraded")
    delivery = ScoreDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_error) == (DeliveryStatus.SENT, 1, "")

    # A trainer's override goes the same way; the platform is down at first, and the retry posts it.
    lms.fail_scores = 1
    user = LtiIdentity.objects.get().user
    with django_capture_on_commit_callbacks(execute=True):
        override_set(exercise=quiz, user=user, points=5, comment="Full marks after review", by=None)
    failed = ScoreDelivery.objects.order_by("-pk").first()
    assert (failed.status, failed.attempts) == (DeliveryStatus.PENDING, 1) and "500" in failed.last_error
    assert pending_deliveries_retry() == 1
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (DeliveryStatus.SENT, 2)
    assert lms.scores[-1]["scoreGiven"] == 5.0 and len(lms.scores) == 2


def test_a_student_without_an_lms_identity_posts_nothing(student_client, student, lms, quiz_lesson, course,
                                                         django_capture_on_commit_callbacks):  # fmt: skip
    lesson, quiz = quiz_lesson
    LineItem.objects.create(platform=lms.record, url=lms.url("/lineitems/7"), exercise=quiz, course=course)
    Enrolment.objects.create(user=student, course=course, registration=uuid.uuid4())
    with django_capture_on_commit_callbacks(execute=True):
        submit_quiz(student_client, lesson, quiz)
    assert lms.scores == [] and not ScoreDelivery.objects.exists()


def test_deep_linking_returns_a_response_the_platform_verifies(client, launch, lms, course, quiz_lesson):
    lesson, quiz = quiz_lesson
    response = launch(roles=[INSTRUCTOR], deep_linking=True)
    assert response.status_code == 302 and response["Location"] == "/lti/deep-link/"
    picker = client.get("/lti/deep-link/")
    assert f'value="exercise:{lesson.pk}:{quiz.pk}"' in picker.content.decode()
    form = client.post("/lti/deep-link/", {"item": [f"page:{course.pk}", f"exercise:{lesson.pk}:{quiz.pk}"]})
    html = form.content.decode()
    assert f'action="{lms.url("/deep-link-return")}"' in html
    token = unescape(re.search(r'name="JWT" value="([^"]+)"', html).group(1))
    conf = lms.conf
    conf.get_registration().set_tool_key_set(client.get("/lti/jwks/").json())
    items = conf.validate_deeplinking_resp({"JWT": token})
    assert [item["type"] for item in items] == ["ltiResourceLink", "ltiResourceLink"]
    assert items[0]["custom"] == {"panlearn_page": str(course.pk)} and "lineItem" not in items[0]
    assert items[1]["custom"] == {"panlearn_page": str(lesson.pk), "panlearn_exercise": str(quiz.pk)}
    assert items[1]["lineItem"]["scoreMaximum"] == 5.0 and items[1]["url"] == "http://testserver/lti/launch/"


def test_a_learner_may_not_place_content(launch):
    response = launch(roles=[LEARNER], deep_linking=True)
    assert response.status_code == 403 and "instructors" in response.content.decode()


def test_the_roster_sync_enrols_members_and_makes_nobody_an_editor(launch, lms, course, lessons):
    launch(custom={"panlearn_page": str(lessons[0].pk)})
    context = LtiContext.objects.get()
    assert context.memberships_url == lms.url("/memberships")
    lms.members = [
        {"user_id": "m-1", "roles": [LEARNER], "name": "Ada"},
        {"user_id": "m-2", "roles": [INSTRUCTOR], "name": "Grace"},
        {"user_id": "moodle-user-42", "roles": [LEARNER], "status": "Inactive"},
    ]
    assert sync_roster.enqueue(context.pk).return_value == 2
    ada = LtiIdentity.objects.get(subject="m-1").user
    grace = LtiIdentity.objects.get(subject="m-2").user
    left = LtiIdentity.objects.get(subject="moodle-user-42").user
    assert Enrolment.objects.filter(user=ada, course=course, is_active=True).exists()
    assert not grace.groups.exists() and not course.permissions_for_user(grace).can_edit()
    assert course_editors_group(course) not in grace.groups.all()
    assert Enrolment.objects.filter(user=grace, course=course, is_active=True).exists()
    # Inactive in the LMS: no more scores to its course, but the enrolment (made by the launch, or by the learner
    # in panlearn) is not the roster's to end.
    assert Enrolment.objects.filter(user=left, course=course, is_active=True).exists()
    assert not left.lti_identities.get().memberships.exists()


def test_a_rotated_key_signs_while_the_old_one_stays_published_for_the_grace_period(settings, client):
    settings.PANLEARN_LTI_KEY_GRACE_DAYS = 7
    old = signing_key()
    assert [key["kid"] for key in client.get("/lti/jwks/").json()["keys"]] == [old.kid]
    new = key_rotate()
    assert signing_key() == new
    assert {key["kid"] for key in client.get("/lti/jwks/").json()["keys"]} == {old.kid, new.kid}
    later = timezone.now() + timedelta(days=8)
    assert [key["kid"] for key in jwks(now=later)["keys"]] == [new.kid]
    assert all("d" not in key for key in jwks()["keys"])  # public halves only
