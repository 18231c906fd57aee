import re

import pytest
from django.contrib.auth.models import User

from accounts.selectors import email_is_confirmed
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SIGN_UP = "/accounts/sign-up/"


def test_sign_up_logs_in_and_returns_to_next(client):
    response = client.post(
        SIGN_UP,
        {
            "username": "marie",
            "email": "Marie@Example.org",
            "first_name": "Marie",
            "password1": "polonium-radium-1898",
            "password2": "polonium-radium-1898",
            "next": "/learn/my-courses/",
        },
    )
    assert response.status_code == 302
    assert response.url == "/learn/my-courses/"
    user = User.objects.get(username="marie")
    assert user.email == "marie@example.org"
    assert client.get("/learn/my-courses/").status_code == 200


def test_sign_up_with_missing_fields_explains_and_creates_nothing(client):
    response = client.post(SIGN_UP, {"username": "", "email": "", "password1": "x", "password2": "y"})
    assert response.status_code == 400
    assert "This field is required." in response.text
    assert not User.objects.exists()


def test_sign_up_does_not_tell_whether_an_address_is_registered(client, mailoutbox):
    """Sign-up refused a used address, which told anyone who has an account (review of 2026-12-04). Now it
    answers a used address as it answers a new one; the copy's address counts for nothing, and its
    confirmation link cannot take the address from the account that confirmed it."""
    owner = UserFactory(email="taken@example.org")
    answers = []
    for username, email in (("new", "TAKEN@example.org"), ("other", "free@example.org")):
        response = client.post(SIGN_UP, {"username": username, "email": email, "password1": "neutron-star-42",
                                          "password2": "neutron-star-42"})  # fmt: skip
        answers.append((response.status_code, response.url))
        client.logout()
    assert answers[0] == answers[1] == (302, "/")
    copy = User.objects.get(username="new")
    assert copy.email == "taken@example.org" and not email_is_confirmed(copy) and email_is_confirmed(owner)
    link = next(line for line in mailoutbox[0].body.splitlines() if "/accounts/confirm-email/" in line)
    client.force_login(copy)
    refused = client.post(link.replace("http://testserver", ""))
    assert refused.status_code == 400 and "already confirmed for another panlearn account" in refused.text
    assert not email_is_confirmed(copy)


def test_sign_up_ignores_offsite_next(client):
    response = client.post(
        SIGN_UP,
        {
            "username": "eve",
            "email": "eve@example.org",
            "password1": "neutron-star-42",
            "password2": "neutron-star-42",
            "next": "https://evil.example/",
        },
    )
    assert response.url == "/"


def test_login_and_logout(client):
    UserFactory(username="ada")
    response = client.post("/accounts/login/", {"username": "ada", "password": "correct horse battery staple"})
    assert response.status_code == 302
    assert client.get("/learn/my-courses/").status_code == 200
    client.post("/accounts/logout/")
    assert client.get("/learn/my-courses/").status_code == 302


def test_login_with_a_wrong_password_says_so(client):
    UserFactory(username="ada")
    response = client.post("/accounts/login/", {"username": "ada", "password": "nope"})
    assert response.status_code == 200
    assert "correct username and password" in response.text


def test_password_reset_round_trip(client, mailoutbox):
    UserFactory(username="ada", email="ada@example.org")
    client.post("/accounts/password-reset/", {"email": "ada@example.org"})
    assert len(mailoutbox) == 1
    link = re.search(r"http://testserver(/accounts/reset/\S+)", mailoutbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.text
    set_password_url = form_page.redirect_chain[-1][0]
    client.post(set_password_url, {"new_password1": "muon-tau-electron-3", "new_password2": "muon-tau-electron-3"})
    assert client.login(username="ada", password="muon-tau-electron-3")


def test_password_reset_for_unknown_email_reveals_nothing(client, mailoutbox):
    response = client.post("/accounts/password-reset/", {"email": "nobody@example.org"}, follow=True)
    assert "Check your email" in response.text
    assert mailoutbox == []
