"""The admin's second factor (accounts/second_factor.py): an account that reaches the admin sets up an
authenticator before its first admin page and types a code once per sign-in; a code works once; backup
codes work once each; a student is never asked; and one account's device never verifies another's session."""

import re
import time
from base64 import b32decode

import pytest
from django.core.management import call_command
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import UserFactory, trainer_of

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
ADMIN = "/admin/"


@pytest.fixture(autouse=True)
def second_factor_on(settings):
    settings.PANLEARN_STAFF_MFA = True


def signed_in(user) -> Client:
    user.set_password(PASSWORD)
    user.save()
    client = Client()
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content[:500]
    return client


def code_for(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0 - steps_ahead * device.step, digits=6):06d}"


def set_up(client) -> tuple[TOTPDevice, list[str]]:
    page = client.get("/accounts/two-step/set-up/")
    assert page.status_code == 200 and "<svg" in page.text
    secret = re.search(r'class="second-factor-secret">([A-Z2-7 ]+)<', page.text).group(1).replace(" ", "")
    device = TOTPDevice.objects.get(user_id=client.session["_auth_user_id"], confirmed=False)
    assert b32decode(secret) == device.bin_key  # the key shown is the one the server checks
    done = client.post("/accounts/two-step/set-up/", {"code": code_for(device), "next": ADMIN})
    assert done.status_code == 200 and "shown only now" in done.text
    codes = re.findall(r"<li><code>([a-z2-7]+)</code></li>", done.text)
    assert len(codes) == 10
    device.refresh_from_db()
    assert device.confirmed
    return device, codes


def test_a_trainer_sets_up_an_authenticator_before_the_first_admin_page(catalogue):
    trainer = trainer_of(catalogue, "trainer-a")
    client = signed_in(trainer)
    first = client.get(ADMIN)
    assert first.status_code == 302 and first["Location"].startswith("/accounts/two-step/set-up/?next=%2Fadmin%2F")
    assert client.get("/admin/pages/").status_code == 302  # every admin page, not only the dashboard
    set_up(client)
    assert client.get(ADMIN).status_code == 200  # this session is verified by the set-up


def test_the_next_sign_in_needs_a_code_which_works_once(catalogue):
    trainer = trainer_of(catalogue, "trainer-a")
    device, _ = set_up(signed_in(trainer))
    client = signed_in(trainer)
    asked = client.get(ADMIN)
    assert asked.status_code == 302 and asked["Location"].startswith("/accounts/two-step/?next=")
    wrong = client.post("/accounts/two-step/", {"code": "000000", "next": ADMIN})
    assert wrong.status_code == 200 and "not right" in wrong.text
    assert client.get(ADMIN).status_code == 302
    time.sleep(1.1)  # one wrong code: the device refuses for a second (django-otp's throttle)
    # The set-up spent this step's code; the next step's is accepted (the tolerance allows one step).
    code = code_for(device, steps_ahead=1)
    assert client.post("/accounts/two-step/", {"code": code, "next": ADMIN})["Location"] == ADMIN
    assert client.get(ADMIN).status_code == 200
    # The same code in a third browser: refused, it was used (django-otp keeps the last step).
    third = signed_in(trainer)
    assert third.post("/accounts/two-step/", {"code": code, "next": ADMIN}).status_code == 200
    assert third.get(ADMIN).status_code == 302


def test_a_backup_code_works_once(catalogue):
    trainer = trainer_of(catalogue, "trainer-a")
    _, codes = set_up(signed_in(trainer))
    client = signed_in(trainer)
    assert client.post("/accounts/two-step/", {"code": codes[0], "next": ADMIN}).status_code == 302
    assert client.get(ADMIN).status_code == 200
    again = signed_in(trainer)
    assert again.post("/accounts/two-step/", {"code": codes[0], "next": ADMIN}).status_code == 200
    assert again.get(ADMIN).status_code == 302


def test_wrong_codes_make_the_next_try_wait(catalogue):
    trainer = trainer_of(catalogue, "trainer-a")
    device, _ = set_up(signed_in(trainer))
    client = signed_in(trainer)
    for _ in range(3):
        client.post("/accounts/two-step/", {"code": "123456"})
    right = client.post("/accounts/two-step/", {"code": code_for(device, steps_ahead=1), "next": ADMIN})
    assert right.status_code == 200, "a right code straight after wrong ones was accepted: no throttle"
    assert client.get(ADMIN).status_code == 302


def test_another_trainers_device_does_not_verify_this_session(catalogue):
    alice_device, _ = set_up(signed_in(trainer_of(catalogue, "trainer-a")))
    bob = trainer_of(catalogue, "trainer-b")
    bob_client = signed_in(bob)
    set_up(bob_client)
    bob_again = signed_in(bob)
    # Alice's current code is no code of Bob's; nor can Bob confirm Alice's pending or confirmed device.
    assert bob_again.post("/accounts/two-step/", {"code": code_for(alice_device, steps_ahead=1)}).status_code == 200
    assert bob_again.get(ADMIN).status_code == 302
    session = bob_again.session
    session["otp_device_id"] = alice_device.persistent_id  # a session forged to name Alice's device
    session.save()
    assert bob_again.get(ADMIN).status_code == 302


def test_facility_staff_and_superusers_are_asked_students_never(catalogue):
    superuser = UserFactory(username="root", is_superuser=True, is_staff=True)
    assert signed_in(superuser).get(ADMIN)["Location"].startswith("/accounts/two-step/set-up/")
    student = signed_in(UserFactory(username="student"))
    assert student.get("/accounts/account/").status_code == 200
    response = student.get(ADMIN)  # Wagtail's own answer to an account without admin access
    assert not response.get("Location", "").startswith("/accounts/two-step/")
    assert "Two-step" not in student.get("/accounts/account/").text


def test_next_goes_only_to_this_site(catalogue):
    trainer = trainer_of(catalogue, "trainer-a")
    device, _ = set_up(signed_in(trainer))
    client = signed_in(trainer)
    answer = client.post(
        "/accounts/two-step/", {"code": code_for(device, steps_ahead=1), "next": "https://evil.example/"}
    )
    assert answer.status_code == 302 and answer["Location"] == ADMIN


def test_a_reset_asks_for_a_new_authenticator_and_ends_verified_sessions(catalogue):
    trainer = trainer_of(catalogue, "trainer-a")
    client = signed_in(trainer)
    set_up(client)
    assert client.get(ADMIN).status_code == 200
    call_command("second_factor", "reset", "trainer-a")
    assert client.get(ADMIN)["Location"].startswith("/accounts/two-step/set-up/")


def test_off_the_admin_is_not_held_up(catalogue, settings):
    settings.PANLEARN_STAFF_MFA = False
    client = signed_in(trainer_of(catalogue, "trainer-a"))
    assert client.get(ADMIN).status_code == 200
