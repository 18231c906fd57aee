"""What a hostile platform, LMS teacher or page can send: another registration's azp, a key set or service
URL aimed at internal addresses or other hosts, malformed tokens, another LMS course's gradebook, a token
endpoint that answers nonsense. Each is refused with a 4xx page or recorded, never a 500 or a leak."""

import base64
import json

import jwt
import pytest
from django.utils import timezone

from lti.delivery import score_deliver
from lti.models import DeliveryStatus, LineItem, LtiIdentity, Platform, ScoreDelivery
from lti.roster import roster_sync
from tests.factories import UserFactory
from tests.lti.conftest import authorize
from tests.lti.platform import CLIENT_ID, DEPLOYMENT_ID, INSTRUCTOR, LEARNER, start
from tests.lti.test_services import quiz_lesson, submit_quiz  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db


def on(page) -> dict:
    return {"custom": {"panlearn_page": str(page.pk)}}


def resigned(lms, form: dict, private_key: str | None = None, **changes) -> dict:
    """The launch's id_token with claims changed (None removes one), signed again by the platform's key."""
    body = jwt.decode(form["id_token"], options={"verify_signature": False})
    for name, value in changes.items():
        body.pop(name) if value is None else body.__setitem__(name, value)
    key = private_key or lms.registration.get_platform_private_key()
    return {**form, "id_token": jwt.encode(body, key, algorithm="RS256", headers={"kid": "platform-key-1"})}


def raw_token(header, body) -> str:
    part = lambda value: base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")  # noqa: E731
    return f"{part(header)}.{part(body)}.c2lnbmF0dXJl"


@pytest.fixture
def second_platform(client, lms):
    """Another LMS registered under the same issuer with its own client id and key (as an operator could)."""
    other = start(lambda: {"keys": []})
    record = Platform.objects.create(
        name="Platform B", issuer=lms.issuer, client_id="client-B", auth_login_url=other.url("/auth"),
        auth_token_url=other.url("/token"), key_set_url=other.url("/jwks"), deployment_ids=DEPLOYMENT_ID,
    )  # fmt: skip
    yield other, record
    other.server.shutdown()
    other.server.server_close()


def test_azp_cannot_pick_another_registration_than_the_verified_one(client, lms, lessons, second_platform):
    other, _ = second_platform
    victim = LtiIdentity.objects.create(platform=lms.record, subject="victim", user=UserFactory(username="victim"))
    auth = authorize(client, lms, user_id="victim")
    form = lms.launch(auth, sub="victim", roles=[LEARNER], **on(lessons[0]))
    # Signed by B with B's key (so B's registration verifies it), naming A in azp.
    forged = resigned(lms, form, other.registration.get_platform_private_key(), aud=["client-B", CLIENT_ID],
                      azp=CLIENT_ID)  # fmt: skip
    response = client.post("/lti/launch/", forged)
    assert response.status_code == 403 and "not registered" in response.content.decode()
    assert response.wsgi_request.user != victim.user and not response.wsgi_request.user.is_authenticated


def test_several_audiences_without_azp_are_refused(client, lms, lessons):
    form = lms.launch(authorize(client, lms), sub="u", roles=[LEARNER], **on(lessons[0]))
    response = client.post("/lti/launch/", resigned(lms, form, aud=[CLIENT_ID, "client-B"], azp=None))
    assert response.status_code == 403


def test_the_admin_form_refuses_a_second_platform_with_the_same_issuer(lms):
    from lti.forms import PlatformForm

    data = {"name": "B", "issuer": lms.issuer, "client_id": "client-B", "auth_login_url": lms.url("/auth"),
            "auth_token_url": lms.url("/token"), "key_set_url": lms.url("/jwks"), "deployment_ids": "d",
            "is_active": True}  # fmt: skip
    form = PlatformForm(data)
    assert not form.is_valid() and "issuer" in form.errors
    assert PlatformForm(data, instance=lms.record).is_valid()  # editing the registration itself


# Outbound calls -------------------------------------------------------------------------------------------


def test_the_key_set_answer_is_never_shown_to_the_visitor(client, lms, lessons):
    lms.record.key_set_url = lms.url("/internal")
    lms.record.save()
    form = lms.launch(authorize(client, lms), sub="u", roles=[LEARNER], **on(lessons[0]))
    response = client.post("/lti/launch/", form)
    assert response.status_code == 400 and "signing key could not be fetched" in response.content.decode()
    assert "internal-secret" not in response.content.decode()


def test_loopback_platform_urls_are_refused_in_production(client, lms, lessons, settings):
    settings.PANLEARN_LTI_ALLOW_PRIVATE_PLATFORMS = False
    form = lms.launch(authorize(client, lms), sub="u", roles=[LEARNER], **on(lessons[0]))
    response = client.post("/lti/launch/", form)
    assert response.status_code == 400 and not LtiIdentity.objects.exists()
    assert ("GET", "/jwks", None) not in lms.requests  # never reached


@pytest.fixture
def elsewhere(client):
    """A service on another address (another port of loopback): not the platform's."""
    other = start(lambda: {"keys": []})
    yield other
    other.server.shutdown()
    other.server.server_close()


def test_the_platform_token_goes_only_to_its_own_address(client, launch, lms, quiz_lesson, elsewhere,  # noqa: F811
                                                         django_capture_on_commit_callbacks):  # fmt: skip
    lesson, quiz = quiz_lesson
    custom = {"panlearn_page": str(lesson.pk), "panlearn_exercise": str(quiz.pk)}
    assert launch(custom=custom, lineitem=elsewhere.url("/lineitems/7")).status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        submit_quiz(client, lesson, quiz)
    delivery = ScoreDelivery.objects.get()
    assert delivery.attempts == 1 and "not the platform's own address" in delivery.last_error
    assert elsewhere.requests == [] and lms.token_requests == 0


def test_a_roster_url_on_another_address_is_refused(launch, lms, lessons, elsewhere):
    launch(**on(lessons[0]), claims={"https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice": {
        "context_memberships_url": elsewhere.url("/memberships"), "service_versions": ["2.0"]}})  # fmt: skip
    from lti.outbound import PlatformCallRefused

    context = lms.record.contexts.get()
    with pytest.raises(PlatformCallRefused):
        roster_sync(context.pk)
    assert elsewhere.requests == []


# Scores go to the LMS courses the student is in ------------------------------------------------------------


def test_a_score_goes_only_to_the_lms_courses_the_student_was_launched_in(
    client,
    launch,
    lms,
    quiz_lesson,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    lesson, quiz = quiz_lesson
    custom = {"panlearn_page": str(lesson.pk), "panlearn_exercise": str(quiz.pk)}
    # Another teacher's LMS course on the same platform placed the same exercise.
    LineItem.objects.create(platform=lms.record, url=lms.url("/lineitems/9"), exercise=quiz, course=lesson.course,
                            context_id="moodle-course-9")  # fmt: skip
    assert launch(custom=custom, lineitem=lms.url("/lineitems/7")).status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        submit_quiz(client, lesson, quiz)
    assert [score["line_item"] for score in lms.scores] == ["7"]


def test_a_line_item_is_not_re_pointed_to_another_exercise(launch, lms, course, quiz_lesson):  # noqa: F811
    lesson, quiz = quiz_lesson
    LineItem.objects.create(platform=lms.record, url=lms.url("/lineitems/7"), exercise=quiz, course=course,
                            context_id="moodle-course-9")  # fmt: skip
    custom = {"panlearn_page": str(lesson.pk), "panlearn_exercise": str(quiz.pk)}
    response = launch(custom=custom, lineitem=lms.url("/lineitems/7"))  # from another LMS course
    assert response.status_code == 409
    assert LineItem.objects.get().context_id == "moodle-course-9"


# Malformed input -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("body", [[1], {"aud": []}, "nonce"])
def test_malformed_tokens_are_refused_with_a_400(client, lms, lessons, body):
    auth = authorize(client, lms)
    if body == "nonce":
        form = lms.launch(auth, sub="u", roles=[LEARNER], **on(lessons[0]))
        form = resigned(lms, form, nonce=["a", "b"])
    elif isinstance(body, dict):
        form = resigned(lms, lms.launch(auth, sub="u", roles=[LEARNER], **on(lessons[0])), **body)
    else:
        form = {"state": auth["state"], "id_token": raw_token({"alg": "RS256", "kid": "platform-key-1"}, body)}
    response = client.post("/lti/launch/", form)
    assert response.status_code == 400 and "malformed" in response.content.decode()


@pytest.mark.parametrize("claim", ["exp", "iat"])
def test_a_token_without_exp_or_iat_is_refused(client, lms, lessons, claim):
    form = lms.launch(authorize(client, lms), sub="u", roles=[LEARNER], **on(lessons[0]))
    response = client.post("/lti/launch/", resigned(lms, form, **{claim: None}))
    assert response.status_code == 400 and not LtiIdentity.objects.exists()


def test_an_overlong_subject_is_refused(launch, lessons):
    response = launch(sub="x" * 300, **on(lessons[0]))
    assert response.status_code == 400 and not LtiIdentity.objects.exists()


def test_a_non_ascii_digit_in_the_picker_is_a_400(client, launch, lms):
    assert launch(roles=[INSTRUCTOR], deep_linking=True)["Location"] == "/lti/deep-link/"
    assert client.post("/lti/deep-link/", {"item": ["page:²", "exercise:1:²"]}).status_code == 400


def test_the_account_choice_after_the_identity_was_made_meanwhile(client, launch, lms, lessons):
    client.force_login(UserFactory(username="marie"))
    assert launch(**on(lessons[0])).status_code == 200
    made = LtiIdentity.objects.create(
        platform=lms.record, subject="moodle-user-42", user=UserFactory(username="synced")
    )  # a roster sync, meanwhile
    assert client.post("/lti/link/", {"choice": "new"}).status_code == 302
    assert LtiIdentity.objects.get() == made


def test_the_account_choice_after_the_platform_was_removed(client, launch, lms, lessons):
    client.force_login(UserFactory(username="marie"))
    assert launch(**on(lessons[0])).status_code == 200
    lms.record.delete()
    assert client.post("/lti/link/", {"choice": "link"}).status_code in (400, 403)


# Deliveries ----------------------------------------------------------------------------------------------


def test_a_bad_token_endpoint_counts_attempts_and_gives_up(lms, settings, course, quiz_lesson):  # noqa: F811
    settings.PANLEARN_LTI_SCORE_MAX_ATTEMPTS = 2
    _, quiz = quiz_lesson
    lms.record.auth_token_url = lms.url("/token-without-token")
    lms.record.save()
    identity = LtiIdentity.objects.create(platform=lms.record, subject="s", user=UserFactory(username="s"))
    line_item = LineItem.objects.create(platform=lms.record, url=lms.url("/lineitems/7"), exercise=quiz,
                                        course=course, context_id="moodle-course-7")  # fmt: skip
    delivery = ScoreDelivery.objects.create(line_item=line_item, identity=identity, score_given=1, score_maximum=5,
                                            activity_progress="Completed", grading_progress="FullyGraded",
                                            timestamp=timezone.now())  # fmt: skip
    assert score_deliver(delivery.pk) is not None
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 1)
    assert "access token" in delivery.last_error
    assert score_deliver(delivery.pk) is None
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 2)


def test_the_admin_platform_screen_uses_the_form(client, lms):
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    assert client.get("/admin/lti_platforms/new/").status_code == 200
    data = {"name": "B", "issuer": lms.issuer, "client_id": "client-B", "auth_login_url": lms.url("/auth"),
            "auth_token_url": lms.url("/token"), "key_set_url": lms.url("/jwks"), "deployment_ids": "d"}  # fmt: skip
    response = client.post("/admin/lti_platforms/new/", data)
    assert response.status_code == 200 and "Another LTI platform is registered with this issuer" in response.text
    assert Platform.objects.count() == 1
