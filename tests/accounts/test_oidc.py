"""Sign-in through a PaN identity against a real OpenID Connect provider (django-oidc-provider) on loopback.

panlearn answers through Django's test client; the person's browser talks to the provider over real HTTP,
and panlearn's callback exchanges the code with the provider over real HTTP too.
"""

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from freezegun import freeze_time

from accounts.models import PanIdentity
from tests.factories import UserFactory
from tests.oidc_provider.people import CLIENT_ID, CLIENT_SECRET, PASSWORD, REDIRECT_URI
from tests.oidc_provider.server import RunningProvider

pytestmark = pytest.mark.django_db

MY_COURSES = "/learn/my-courses/"


@pytest.fixture(scope="session")
def provider(tmp_path_factory):
    running = RunningProvider(tmp_path_factory.mktemp("oidc-provider"))
    yield running
    running.stop()


@pytest.fixture
def umbrella(settings, provider):
    """panlearn configured for the loopback provider, through discovery, as an operator would for UmbrellaID."""
    settings.PANLEARN_OIDC_ISSUER = provider.issuer
    settings.PANLEARN_OIDC_CLIENT_ID = CLIENT_ID
    settings.PANLEARN_OIDC_CLIENT_SECRET = CLIENT_SECRET
    settings.PANLEARN_OIDC_DISPLAY_NAME = "UmbrellaID"
    return provider


class Browser:
    """One person: panlearn through the test client, the provider through a cookie-keeping HTTP client."""

    def __init__(self, client, provider: RunningProvider):
        self.client = client
        self.http = httpx.Client(follow_redirects=False, timeout=10)
        self.provider = provider

    def start(self, path: str = "/accounts/oidc/login/", method: str = "get") -> str:
        response = getattr(self.client, method)(path)
        assert response.status_code == 302, response
        assert response.url.startswith(self.provider.issuer)
        return response.url

    def authorize(self, authorize_url: str, username: str) -> str:
        """Sign in at the provider; returns the callback path and query the provider redirects to."""
        response = self.http.get(authorize_url)
        if response.status_code == 302 and "/login/" in response.headers["location"]:
            login_url = httpx.URL(self.provider.url).join(response.headers["location"])
            form = self.http.get(login_url)
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
            next_url = parse_qs(login_url.query.decode())["next"][0]
            signed_in = self.http.post(
                login_url,
                data={"csrfmiddlewaretoken": token, "username": username, "password": PASSWORD, "next": next_url},
            )
            assert signed_in.status_code == 302, signed_in.text
            response = self.http.get(httpx.URL(self.provider.url).join(signed_in.headers["location"]))
        location = response.headers["location"]
        assert location.startswith(REDIRECT_URI), location
        return location.removeprefix("http://testserver")

    def sign_in(self, username: str, start: str = "/accounts/oidc/login/"):
        return self.client.get(self.authorize(self.start(start), username))

    def messages(self, response) -> str:
        return " ".join(str(message) for message in response.wsgi_request._messages)


@pytest.fixture
def browser(client, umbrella):
    person = Browser(client, umbrella)
    yield person
    person.http.close()


def signed_in_user(client) -> User | None:
    user = client.get(MY_COURSES).wsgi_request.user
    return user if user.is_authenticated else None


def test_the_login_page_offers_the_pan_identity_only_when_configured(client, settings, umbrella):
    assert "Log in with UmbrellaID" in client.get("/accounts/login/").text
    settings.PANLEARN_OIDC_CLIENT_ID = ""
    assert "Log in with" not in client.get("/accounts/login/").text
    assert client.get("/accounts/oidc/login/").status_code == 404
    assert client.get("/accounts/oidc/callback/?code=x&state=y").status_code == 404


def test_the_code_flow_with_pkce_signs_in_and_creates_the_user(browser, umbrella):
    authorize_url = browser.start("/accounts/oidc/login/?next=/learn/progress/")
    query = parse_qs(urlsplit(authorize_url).query)
    assert query["response_type"] == ["code"]
    assert query["code_challenge_method"] == ["S256"]
    assert query["state"] and query["nonce"] and query["code_challenge"]
    assert "openid" in query["scope"][0].split()

    callback = browser.authorize(authorize_url, "alice")
    code = parse_qs(urlsplit(callback).query)["code"][0]
    # The provider holds the code to the challenge: without panlearn's verifier it is worth nothing.
    for verifier in ({}, {"code_verifier": "x" * 64}):
        stolen = httpx.post(
            f"{umbrella.issuer}/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT_URI,
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                **verifier,
            },
        )
        assert stolen.status_code == 400 and stolen.json()["error"] == "invalid_grant"

    response = browser.client.get(callback)
    assert response.status_code == 302 and response.url == "/learn/progress/"
    user = User.objects.get(email="alice@facility.example")
    assert user.username == "alice" and user.first_name == "Alice" and user.last_name == "Ray"
    assert not user.has_usable_password()
    identity = PanIdentity.objects.get(user=user)
    assert identity.issuer == umbrella.issuer and identity.subject
    assert signed_in_user(browser.client) == user

    # Signing in again reaches the same account, found by issuer and subject.
    browser.client.post("/accounts/logout/")
    assert browser.client.get(browser.authorize(browser.start(), "alice")).status_code == 302
    assert signed_in_user(browser.client) == user
    assert User.objects.filter(email="alice@facility.example").count() == 1


def test_a_bad_state_is_refused_and_spends_nothing(browser):
    callback = browser.authorize(browser.start(), "alice")
    forged = re.sub(r"state=[^&]+", "state=forged-state", callback)
    response = browser.client.get(forged)
    assert response.status_code == 302 and response.url == "/accounts/login/"
    assert "not started here" in browser.messages(response)
    assert signed_in_user(browser.client) is None
    assert not User.objects.filter(email="alice@facility.example").exists()
    # The refused attempt never reached the provider: the genuine callback still works.
    assert browser.client.get(callback).status_code == 302
    assert signed_in_user(browser.client).email == "alice@facility.example"


def test_a_callback_from_another_browser_is_refused(browser):
    callback = browser.authorize(browser.start(), "alice")
    stranger = Client()
    response = stranger.get(callback)
    assert "not started here" in browser.messages(response)
    assert signed_in_user(stranger) is None


def test_a_replayed_callback_is_refused(browser):
    callback = browser.authorize(browser.start(), "alice")
    assert browser.client.get(callback).status_code == 302
    browser.client.post("/accounts/logout/")
    response = browser.client.get(callback)
    assert "not started here" in browser.messages(response)
    assert signed_in_user(browser.client) is None


def test_an_expired_code_is_refused(browser, umbrella):
    callback = browser.authorize(browser.start(), "alice")
    assert umbrella.expire_codes() >= 1
    response = browser.client.get(callback)
    assert response.status_code == 302 and response.url == "/accounts/login/"
    assert "did not confirm this sign-in" in browser.messages(response)
    assert signed_in_user(browser.client) is None
    assert not User.objects.filter(email="alice@facility.example").exists()


NEW_ACCOUNT = "/accounts/oidc/new-account/"
CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def sign_in_answer(umbrella, username: str) -> tuple[Browser, list]:
    """Sign in with a fresh browser (CSRF checked); returns it, and what it was shown: the callback's
    answer and the page it leads to, CSRF tokens blanked."""
    browser = Browser(Client(enforce_csrf_checks=True), umbrella)
    callback = browser.sign_in(username)
    browser.http.close()
    page = browser.client.get(callback.url)
    return browser, [callback.status_code, callback.url, page.status_code, CSRF_TOKEN.sub("", page.text)]


@pytest.mark.parametrize("create_users", [True, False])
def test_an_unverified_email_is_answered_alike_whoever_uses_the_address(umbrella, settings, create_users):
    """Mallory's provider lets her claim victim@example.org unverified. She must not learn whether that address
    has an account here, nor reach it: the answer is byte for byte the same with and without one."""
    settings.PANLEARN_OIDC_CREATE_USERS = create_users
    victim = UserFactory(username="victim", email="victim@example.org", last_login=timezone.now())
    _, with_account = sign_in_answer(umbrella, "mallory")
    assert not PanIdentity.objects.exists() and User.objects.get() == victim
    victim.delete()
    browser, without_account = sign_in_answer(umbrella, "mallory")
    assert with_account == without_account
    assert signed_in_user(browser.client) is None and not User.objects.exists()
    if not create_users:
        assert with_account[1] == "/accounts/login/?next=/accounts/account/"
        assert "There is no panlearn account for this identity yet" in with_account[3]
        return
    assert with_account[1] == NEW_ACCOUNT
    assert "did not confirm your email address" in with_account[3] and "Create a new account" in with_account[3]

    # The button creates an account of her own: a POST with the page's CSRF token, once.
    assert browser.client.post(NEW_ACCOUNT).status_code == 403
    token = CSRF_TOKEN.search(browser.client.get(NEW_ACCOUNT).text).group(1)
    response = browser.client.post(NEW_ACCOUNT, {"csrfmiddlewaretoken": token})
    assert response.status_code == 302 and response.url == MY_COURSES
    mallory = signed_in_user(browser.client)
    assert mallory is not None and mallory.email == ""
    assert PanIdentity.objects.get().user == mallory
    again = browser.client.post(NEW_ACCOUNT, {"csrfmiddlewaretoken": browser.client.cookies["csrftoken"].value})
    assert again.url == "/accounts/login/" and "has expired" in browser.messages(again)
    assert User.objects.count() == 1


def test_the_new_account_choice_expires(browser):
    assert browser.sign_in("mallory").url == NEW_ACCOUNT
    with freeze_time(timezone.now() + timedelta(minutes=11)):
        response = browser.client.post(NEW_ACCOUNT)
    assert response.url == "/accounts/login/" and "has expired" in browser.messages(response)
    assert not User.objects.exists() and signed_in_user(browser.client) is None


def test_a_password_sign_in_in_the_same_browser_drops_the_waiting_identity(browser):
    """Mallory's unverified sign-in waits for her choice; she walks away, and Bob signs in with his password
    at the same computer. The waiting claims are gone: Bob cannot create an account bound to Mallory's
    identity (which she would then open) by pressing the button left on screen."""
    assert browser.sign_in("mallory").url == NEW_ACCOUNT
    bob = UserFactory(username="bob", email="bob@example.org")
    form = browser.client.get("/accounts/login/")
    signed_in = browser.client.post(
        "/accounts/login/", {"username": "bob", "password": "correct horse battery staple",
                             "csrfmiddlewaretoken": CSRF_TOKEN.search(form.text).group(1)},
    )  # fmt: skip
    assert signed_in.status_code == 302 and signed_in_user(browser.client) == bob
    response = browser.client.post(NEW_ACCOUNT, {"csrfmiddlewaretoken": browser.client.cookies["csrftoken"].value})
    assert response.url == "/accounts/login/" and "has expired" in browser.messages(response)
    assert list(User.objects.all()) == [bob] and not PanIdentity.objects.exists()


def test_a_verified_email_links_the_existing_account(browser):
    ada = UserFactory(username="ada_l", email="Ada@Example.org", last_login=timezone.now())  # she has used it
    response = browser.sign_in("ada")
    assert "now linked" in browser.messages(response)
    assert signed_in_user(browser.client) == ada
    assert PanIdentity.objects.get().user == ada
    assert User.objects.count() == 1
    # From now on the link, not the email, finds the account.
    ada.email = "ada@elsewhere.example"
    ada.save()
    browser.client.post("/accounts/logout/")
    browser.sign_in("ada")
    assert signed_in_user(browser.client) == ada


def test_the_explicit_link_step(browser):
    bob = UserFactory(username="bob", email="bob@example.org")
    # Unverified at the provider: signing in alone does not reach bob's account.
    browser.sign_in("bob")
    assert signed_in_user(browser.client) is None

    assert browser.client.login(username="bob", password="correct horse battery staple")
    page = browser.client.get("/accounts/account/")
    assert "Link your UmbrellaID identity" in page.text and "No PaN identity is linked" in page.text
    assert browser.client.get("/accounts/oidc/link/").status_code == 405  # a POST with a CSRF token only
    response = browser.client.get(browser.authorize(browser.start("/accounts/oidc/link/", method="post"), "bob"))
    assert response.url == "/accounts/account/"
    assert "is linked" in browser.messages(response)
    assert PanIdentity.objects.get().user == bob
    assert "bob@example.org" in browser.client.get("/accounts/account/").text

    browser.client.post("/accounts/logout/")
    browser.sign_in("bob")
    assert signed_in_user(browser.client) == bob
    assert User.objects.count() == 1


def test_an_identity_linked_to_one_account_cannot_be_linked_to_another(browser):
    browser.sign_in("alice")
    alice = signed_in_user(browser.client)
    browser.client.post("/accounts/logout/")
    UserFactory(username="other")
    assert browser.client.login(username="other", password="correct horse battery staple")
    response = browser.client.get(browser.authorize(browser.start("/accounts/oidc/link/", method="post"), "alice"))
    assert "already linked to another" in browser.messages(response)
    assert PanIdentity.objects.get().user == alice


def test_the_only_identity_of_an_account_without_password_cannot_be_unlinked(browser):
    browser.sign_in("alice")
    identity = PanIdentity.objects.get()
    response = browser.client.post(f"/accounts/account/identities/{identity.pk}/unlink/", follow=True)
    assert "only way to sign in" in response.text
    assert PanIdentity.objects.filter(pk=identity.pk).exists()


def test_local_login_still_works_with_a_provider_configured(client, umbrella):
    UserFactory(username="local")
    page = client.get("/accounts/login/")
    assert "Log in with UmbrellaID" in page.text
    response = client.post("/accounts/login/", {"username": "local", "password": "correct horse battery staple"})
    assert response.status_code == 302
    assert signed_in_user(client).username == "local"
