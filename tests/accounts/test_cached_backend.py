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
