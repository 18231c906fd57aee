"""Budgets against guessing and floods (review of 2026-12-04: 30 wrong passwords, then the right one was
accepted; no limit on sign-up, reset or certificate look-ups). Each with the other account and the other
address, which keep their own budgets."""

import pytest
from django.core import mail
from django.test import Client

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


def sign_in(client, username: str, password: str, *, address: str = "198.51.100.7"):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


@pytest.fixture
def alice():
    user = UserFactory(username="alice", email="alice@example.org")
    user.set_password(PASSWORD)
    user.save()
    return user


def test_after_five_wrong_passwords_the_right_one_waits(client, alice, settings):
    assert settings.PANLEARN_SIGNIN_FAILURES_PER_ACCOUNT == 5
    for _ in range(5):
        assert sign_in(client, "alice", "guess").status_code == 200
    refused = sign_in(client, "alice", PASSWORD)
    assert refused.status_code == 429 and 0 < int(refused.headers["Retry-After"]) <= 15 * 60
    assert "Too many failed sign-ins" in refused.text and "reset your password" in refused.text
    assert "_auth_user_id" not in client.session
    assert sign_in(Client(), "ALICE ", PASSWORD, address="203.0.113.9").status_code == 429  # the account is locked

    bob = UserFactory(username="bob")
    bob.set_password(PASSWORD)
    bob.save()
    other = Client()
    assert sign_in(other, "bob", PASSWORD).status_code == 302  # another account from the same address signs in
    assert "_auth_user_id" in other.session


def test_guessing_across_accounts_is_limited_per_address(client, alice, settings):
    settings.PANLEARN_SIGNIN_FAILURES_PER_ADDRESS = 3
    for name in ("carol", "dave", "erin"):
        sign_in(client, name, "guess")
    assert sign_in(client, "alice", PASSWORD).status_code == 429
    elsewhere = Client()
    assert sign_in(elsewhere, "alice", PASSWORD, address="203.0.113.9").status_code == 302


def test_the_admin_sign_in_counts_and_is_refused_too(client, alice, settings):
    alice.is_superuser = alice.is_staff = True
    alice.save()
    for _ in range(5):
        client.post("/admin/login/", {"username": "alice", "password": "guess"}, REMOTE_ADDR="198.51.100.7")
    response = client.post("/admin/login/", {"username": "alice", "password": PASSWORD}, REMOTE_ADDR="198.51.100.7")
    assert response.status_code == 200 and "_auth_user_id" not in client.session  # the form again, not the admin


def test_sign_ups_are_limited_per_address(client, settings):
    settings.PANLEARN_SIGNUPS_PER_ADDRESS_PER_HOUR = 2

    def sign_up(client, name: str):
        form = {"username": name, "email": f"{name}@example.org", "password1": PASSWORD, "password2": PASSWORD}
        return client.post("/accounts/sign-up/", form, REMOTE_ADDR="198.51.100.7")

    for number in range(2):
        sign_up(Client(), f"new{number}")
    refused = sign_up(client, "new2")
    assert refused.status_code == 429 and "Try again in" in refused.text
    assert 'value="new2"' in refused.text  # what was typed stays on the page
    from django.contrib.auth.models import User

    assert not User.objects.filter(username="new2").exists()


def test_password_resets_are_limited_per_address(client, alice, settings):
    settings.PANLEARN_PASSWORD_RESETS_PER_ADDRESS_PER_HOUR = 1
    client.post("/accounts/password-reset/", {"email": "alice@example.org"}, REMOTE_ADDR="198.51.100.7")
    refused = client.post("/accounts/password-reset/", {"email": "alice@example.org"}, REMOTE_ADDR="198.51.100.7")
    assert refused.status_code == 429 and "Many resets" in refused.text
    assert len(mail.outbox) == 1
    Client().post("/accounts/password-reset/", {"email": "alice@example.org"}, REMOTE_ADDR="203.0.113.9")
    assert len(mail.outbox) == 2  # another address has its own budget


def test_certificate_lookups_are_limited_per_address(client, settings):
    settings.PANLEARN_CERTIFICATE_LOOKUPS_PER_ADDRESS_PER_MINUTE = 2
    for _ in range(2):
        assert client.get("/verify/PL-NOSUCH/", REMOTE_ADDR="198.51.100.7").status_code == 404
    refused = client.get("/verify/PL-NOSUCH/", REMOTE_ADDR="198.51.100.7")
    assert refused.status_code == 429 and "Too many look-ups" in refused.text
    assert client.get("/verify/PL-NOSUCH/", REMOTE_ADDR="203.0.113.9").status_code == 404
