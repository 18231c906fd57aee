"""Login initiation and launch against a third-party platform (lti1p3platform on loopback): the learner
ends signed in on the lesson, enrolled; an instructor is enrolled too and edits nothing; accounts are found by issuer
and subject, never by an email; and every bad launch is refused with a page that says why."""

import jwt
import pytest
from django.contrib.auth.models import User
from django.test import Client

from courses.models import Enrolment
from courses.services import course_editors_group
from lti.models import LtiIdentity
from tests.factories import CoursePageFactory, UserFactory
from tests.lti.conftest import authorize
from tests.lti.platform import INSTRUCTOR, LEARNER, rsa_pem_pair

pytestmark = pytest.mark.django_db


def on(lesson) -> dict:
    return {"custom": {"panlearn_page": str(lesson.pk)}}


def test_a_learner_lands_signed_in_on_the_lesson_and_enrolled(client, launch, lms, course, lessons):
    response = launch(**on(lessons[1]), email="lise@example.org")
    assert response.status_code == 302 and response["Location"] == lessons[1].url
    identity = LtiIdentity.objects.get(platform=lms.record, subject="moodle-user-42")
    assert Enrolment.objects.filter(user=identity.user, course=course, is_active=True).exists()
    page = client.get(lessons[1].url)
    assert page.status_code == 200 and page.wsgi_request.user == identity.user
    assert identity.user.email == ""  # the LMS's address is not the account's: nobody confirmed it here

    again = launch(**on(lessons[2]))  # the same LMS user: the same account
    assert again["Location"] == lessons[2].url and LtiIdentity.objects.count() == 1
    assert User.objects.filter(lti_identities__isnull=False).count() == 1


def test_an_account_with_the_same_unconfirmed_email_is_not_taken_over(client, launch, lms, lessons):
    squatter = UserFactory(username="squatter", email="lise@example.org", confirmed=False)
    confirmed = UserFactory(username="lise", email="lise@example.org")
    launch(**on(lessons[0]), email="lise@example.org")
    user = LtiIdentity.objects.get(subject="moodle-user-42").user
    assert user not in (squatter, confirmed)
    assert client.get(lessons[0].url).wsgi_request.user == user


def test_an_instructor_gets_no_editing_rights_from_a_launch(client, launch, catalogue, course, lessons):
    """The course comes from a custom parameter any LMS teacher can type: a launch never grants editing."""
    other = CoursePageFactory(parent=catalogue, title="Another course", slug="another")
    response = launch(roles=[INSTRUCTOR], **on(other))
    assert response.status_code == 302 and response["Location"] == other.url
    user = LtiIdentity.objects.get(subject="moodle-user-42").user
    assert course_editors_group(other) not in user.groups.all() and not user.groups.exists()
    assert not other.permissions_for_user(user).can_edit() and not course.permissions_for_user(user).can_edit()
    assert Enrolment.objects.filter(user=user, course=other, is_active=True).exists()  # enrolled as a learner


def test_an_invitation_only_course_is_not_opened_by_a_launch(launch, course, lessons):
    course.enrolment_policy = "invitation"
    course.save_revision().publish()
    for roles in ([LEARNER], [INSTRUCTOR]):
        refused(launch(roles=roles, **on(lessons[0])), 403, "by invitation only")
    assert not Enrolment.objects.exists()


def test_a_signed_in_user_links_the_lms_account_only_when_they_choose(client, launch, lessons):
    mine = UserFactory(username="marie")
    client.force_login(mine)
    response = launch(**on(lessons[0]))
    assert response.status_code == 200 and b"Use marie from now on" in response.content
    assert not LtiIdentity.objects.exists()
    chosen = client.post("/lti/link/", {"choice": "link"})
    assert chosen.status_code == 302 and chosen["Location"] == lessons[0].url
    assert LtiIdentity.objects.get(subject="moodle-user-42").user == mine


def test_only_learner_pages_may_be_framed_by_the_lms_and_only_for_the_launched_session(client, launch, lms, lessons):
    response = launch(**on(lessons[0]))
    session = response.cookies["sessionid"]
    assert session["samesite"] == "None" and session["secure"]
    assert "panlearn_lti_frame" not in response.cookies  # the origins live in the session, not a cookie
    framed = client.get(lessons[0].url)
    assert "X-Frame-Options" not in framed
    assert framed["Content-Security-Policy"] == f"frame-ancestors 'self' {lms.issuer}"
    for path in ("/admin/", "/accounts/login/", "/lti/link/"):  # the LMS must not frame these
        answer = client.get(path)
        assert answer.get("X-Frame-Options") == "DENY", path
        assert lms.issuer not in answer.get("Content-Security-Policy", ""), path
    client.post("/accounts/logout/")
    assert client.get(lessons[0].url)["X-Frame-Options"] == "DENY"  # the session that was launched is gone


def test_the_account_choice_is_never_framed(client, launch, lessons):
    client.force_login(UserFactory(username="marie"))
    response = launch(**on(lessons[0]))
    assert b"Use marie from now on" in response.content
    assert response["X-Frame-Options"] == "DENY" and response["Content-Security-Policy"] == "frame-ancestors 'none'"


def test_a_cross_site_login_initiation_leaves_an_existing_session_cookie_alone(client, lms, lessons):
    client.force_login(UserFactory(username="marie"))
    response = client.get("/lti/login/", lms.login_initiation(user_id="u"))
    assert response.status_code == 302
    assert "sessionid" not in response.cookies and "csrftoken" not in response.cookies


# Refusals ------------------------------------------------------------------------------------------------


def refused(response, status: int, text: str) -> None:
    assert response.status_code == status, response.content
    assert text in response.content.decode()
    assert not response.wsgi_request.user.is_authenticated


def test_a_replayed_launch_is_refused(client, launch, lessons):
    first = launch(**on(lessons[0]))
    assert first.status_code == 302
    again = client.post("/lti/launch/", first.form)  # the same browser: its nonce is spent
    assert again.status_code == 400 and "already used" in again.content.decode()
    elsewhere = Client().post("/lti/launch/", first.form)  # another browser: refused too
    refused(elsewhere, 400, "")
    assert LtiIdentity.objects.count() == 1


def test_an_expired_launch_is_refused(launch, lessons):
    refused(launch(**on(lessons[0]), expiration=-120), 400, "expired")


def test_a_launch_signed_by_another_key_is_refused(client, lms, lessons):
    auth = authorize(client, lms)
    form = lms.launch(auth, sub="moodle-user-42", roles=[LEARNER], **on(lessons[0]))
    body = jwt.decode(form["id_token"], options={"verify_signature": False})
    forged, _ = rsa_pem_pair()
    form["id_token"] = jwt.encode(body, forged, algorithm="RS256", headers={"kid": "platform-key-1"})
    refused(client.post("/lti/launch/", form), 400, "Signature verification failed")


def test_a_launch_for_another_tool_is_refused(launch, lessons):
    refused(launch(**on(lessons[0]), claims={"aud": "someone-else", "azp": "someone-else"}), 403, "not registered")


def test_an_unknown_deployment_is_refused(launch, lessons):
    deployment = "https://purl.imsglobal.org/spec/lti/claim/deployment_id"
    refused(launch(**on(lessons[0]), claims={deployment: "deployment-9"}), 403, "deployment")


def test_an_unknown_issuer_is_refused_at_login_and_at_launch(client, lms, lessons):
    query = lms.login_initiation(user_id="u")
    refused(client.post("/lti/login/", {**query, "iss": "https://unknown.example.org"}), 403, "not registered")
    auth = authorize(client, lms)
    lms.record.delete()
    refused(client.post("/lti/launch/", lms.launch(auth, sub="u", roles=[LEARNER], **on(lessons[0]))), 403,
            "not registered")  # fmt: skip


def test_a_launch_without_its_login_state_is_refused(client, lms, lessons):
    auth = authorize(client, lms)
    form = lms.launch(auth, sub="u", roles=[LEARNER], **on(lessons[0]))
    refused(client.post("/lti/launch/", {**form, "state": "state-forged"}), 400, "State not found")


def test_a_link_to_an_unpublished_page_is_refused_with_a_page(launch, lessons):
    lessons[0].unpublish()
    refused(launch(**on(lessons[0])), 404, "not published")
