"""The operators' runner page in the Wagtail admin."""

import pytest
from django.test import override_settings

from tests.factories import UserFactory
from tests.runner.conftest import SECRET

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    return client


@override_settings(PANLEARN_RUNNER_SOCKET="/nonexistent/runner.sock")
def test_a_runner_that_is_down_is_a_message_not_a_500(admin_client):
    response = admin_client.get("/admin/runner/")
    assert response.status_code == 200
    assert "The code service is restarting" in response.text


def test_dashboard_shows_pool_and_protections(admin_client, kernel_host):
    with override_settings(PANLEARN_RUNNER_SOCKET=kernel_host.socket, PANLEARN_RUNNER_SECRET=SECRET):
        response = admin_client.get("/admin/runner/")
    assert response.status_code == 200
    assert "Warm kernels in the pool" in response.text
    assert "seccomp" in response.text


def test_students_cannot_see_the_dashboard(client):
    client.force_login(UserFactory())
    assert client.get("/admin/runner/").status_code == 302
