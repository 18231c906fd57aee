"""The emailed one-time link: it works once, expires, and signs in only the account the import made."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.utils import timezone

from invitations import upload as services
from invitations.models import ParticipantInvitation
from tests.factories import UserFactory
from tracking.models import OutboxStatement

from .conftest import csv_bytes

pytestmark = pytest.mark.django_db


def invite(facility, staff, line, capture):
    batch = services.batch_create(facility=facility, uploaded_by=staff, data=csv_bytes(line))
    with capture(execute=True):
        services.batch_confirm(batch=batch, user=staff)
    return re.search(r"http://testserver(/learn/onboarding/invitations/[\w-]+/)", mail.outbox[-1].body).group(1)


def test_link_signs_in_new_account_once(client, facility, staff, programmes, django_capture_on_commit_callbacks):
    path = invite(facility, staff, "new@example.org,New Person,P-1,2099-01-01,pi", django_capture_on_commit_callbacks)
    assert "P-1" in client.get(path).content.decode()
    statements = OutboxStatement.objects.count()
    response = client.post(path)
    assert response.status_code == 302 and response.url == "/learn/onboarding/invitations/account/password/"
    user = User.objects.get(email="new@example.org")
    assert client.get("/learn/onboarding/ready/").status_code == 200
    assert int(client.session["_auth_user_id"]) == user.pk
    assert OutboxStatement.objects.count() == statements + 2  # `registered` in safety and chemistry
    response = client.post(
        path.replace(path, "/learn/onboarding/invitations/account/password/"),
        {"new_password1": "a long new passphrase 42", "new_password2": "a long new passphrase 42"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a long new passphrase 42")
    client.logout()
    again = client.post(path)
    assert again.status_code == 410 and "already been used" in again.content.decode()
    assert client.get("/learn/onboarding/invitations/not-a-token/").status_code == 404


def test_expired_link(client, facility, staff, programmes, django_capture_on_commit_callbacks):
    path = invite(facility, staff, "new@example.org,New Person,P-1,2099-01-01,pi", django_capture_on_commit_callbacks)
    ParticipantInvitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.post(path).status_code == 410
    assert "_auth_user_id" not in client.session


def test_existing_account_signs_in_first(client, facility, staff, programmes, django_capture_on_commit_callbacks):
    lise = UserFactory(username="lise", email="lise@example.org")
    path = invite(facility, staff, "LISE@example.org,Lise,P-1,2099-01-01,pi", django_capture_on_commit_callbacks)
    response = client.post(path)
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    assert ParticipantInvitation.objects.get().used_at is None
    other = UserFactory(username="someone")
    client.force_login(other)
    assert client.post(path).status_code == 403
    client.force_login(lise)
    response = client.post(path)
    assert response.status_code == 302 and response.url == "/learn/onboarding/ready/"
    assert ParticipantInvitation.objects.get().used_at is not None
