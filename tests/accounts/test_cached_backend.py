"""The signed-in user is read from the cache, and a change to the user takes effect at once."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client):
    user = UserFactory(username="cached", password="old-password-123")
    assert client.login(username="cached", password="old-password-123")
    assert client.get("/learn/my-courses/").status_code == 200
    return user


def test_the_user_row_is_not_read_again(client, signed_in):
    with CaptureQueriesContext(connection) as queries:
        client.get("/learn/my-courses/")
    assert not any('FROM "auth_user"' in query["sql"] for query in queries.captured_queries)


def test_a_password_change_ends_other_sessions(client, signed_in):
    signed_in.set_password("new-password-456")
    signed_in.save()
    assert client.get("/learn/my-courses/").status_code == 302  # the session's hash no longer matches


def test_a_deactivated_user_is_signed_out(client, signed_in):
    signed_in.is_active = False
    signed_in.save()
    assert client.get("/learn/my-courses/").status_code == 302


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # outside a test transaction
@pytest.mark.parametrize("known", [True, False], ids=["an account", "no such account"])
def test_a_sign_in_holds_no_database_connection_while_it_hashes(monkeypatch, known):
    """The hash takes seconds of wall time on a busy machine: a class signing in at once must not hold the web
    process's pool of connections meanwhile (the load test's 20 s pool waits)."""
    from django.contrib.auth import authenticate, get_user_model, hashers

    UserFactory(username="ada", password="right-password-123")
    held_while_hashing = []
    real_make, real_check = hashers.make_password, hashers.check_password

    def watching(real):
        def hashing(*args, **kwargs):
            held_while_hashing.append(connection.connection is not None)
            return real(*args, **kwargs)

        return hashing

    monkeypatch.setattr("django.contrib.auth.base_user.make_password", watching(real_make))
    monkeypatch.setattr("django.contrib.auth.base_user.check_password", watching(real_check))  # ModelBackend's
    monkeypatch.setattr("accounts.backends.check_password", watching(real_check))  # ours
    user = authenticate(request=None, username="ada" if known else "nobody", password="right-password-123")
    assert (user == get_user_model().objects.get(username="ada")) if known else user is None
    assert held_while_hashing == [False]


@pytest.mark.parametrize("username", ["ada", "nobody"])
def test_a_failed_sign_in_hashes_once(monkeypatch, username):
    """ModelBackend, listed after ours for sessions made before it, would check the same password again."""
    from django.contrib.auth import authenticate, hashers

    UserFactory(username="ada", password="right-password-123")
    hashes = []
    real_make, real_check = hashers.make_password, hashers.check_password
    monkeypatch.setattr(
        "django.contrib.auth.base_user.make_password", lambda *a, **k: hashes.append(1) or real_make(*a, **k)
    )
    for path in ("django.contrib.auth.base_user.check_password", "accounts.backends.check_password"):
        monkeypatch.setattr(path, lambda *a, **k: hashes.append(1) or real_check(*a, **k))  # ModelBackend's, ours
    assert authenticate(request=None, username=username, password="wrong-password-456") is None
    assert len(hashes) == 1
