"""The emailed one-time link: it works once, expires, and signs in only the account the import made."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.utils import timezone

from accounts.models import ConfirmedEmail, PanIdentity
from accounts.services import PanIdentityRefused, pan_identity_sign_in
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
    assert ConfirmedEmail.objects.get(user=lise).how == ConfirmedEmail.ADMINISTRATOR  # not the facility's word


ANN, BEN = "ann@example.org,Ann,P-1,2099-01-01,pi", "ben@example.org,Ben,P-1,2099-01-01,pi"
ISSUER = "https://login.umbrellaid.example/realms/pan"


def links_by_address(facility, staff, capture, *lines) -> dict[str, str]:
    batch = services.batch_create(facility=facility, uploaded_by=staff, data=csv_bytes(*lines))
    with capture(execute=True):
        services.batch_confirm(batch=batch, user=staff)
    link = re.compile(r"http://testserver(/learn/onboarding/invitations/[\w-]+/)")
    return {message.to[0]: link.search(message.body).group(1) for message in mail.outbox}


def how_confirmed(email: str) -> str:
    return ConfirmedEmail.objects.get(email=email).how


def test_spending_the_link_proves_the_address(client, facility, staff, programmes, django_capture_on_commit_callbacks):
    """The import confirms an address on the facility's word; whoever spends the link mailed there has shown
    that they receive mail there."""
    links = links_by_address(facility, staff, django_capture_on_commit_callbacks, ANN, BEN)
    assert how_confirmed("ann@example.org") == how_confirmed("ben@example.org") == ConfirmedEmail.FACILITY
    client.force_login(User.objects.get(email="ben@example.org"))
    assert client.post(links["ann@example.org"]).status_code == 403  # Ann's link, in Ben's hands
    assert how_confirmed("ann@example.org") == how_confirmed("ben@example.org") == ConfirmedEmail.FACILITY
    assert client.post(links["ben@example.org"]).status_code == 302
    assert how_confirmed("ben@example.org") == ConfirmedEmail.LINK
    assert how_confirmed("ann@example.org") == ConfirmedEmail.FACILITY
    client.logout()
    before = timezone.now()
    assert client.post(links["ann@example.org"]).status_code == 302  # the link itself signs Ann in
    ann = ConfirmedEmail.objects.get(email="ann@example.org")
    assert ann.how == ConfirmedEmail.LINK and ann.confirmed_at >= before


def test_a_link_proves_only_the_address_it_was_mailed_to(
    client, facility, staff, programmes, django_capture_on_commit_callbacks
):
    """Ann's link went to ann@example.org; the facility has since given her account another address, again on
    its word alone. Spending the old link shows she reads the old mailbox, not the new one."""
    links = links_by_address(facility, staff, django_capture_on_commit_callbacks, ANN)
    ann = User.objects.get(email="ann@example.org")
    assert ParticipantInvitation.objects.get(user=ann).sent_to == "ann@example.org"
    ann.email = "ann@new.example"
    ann.save()
    ConfirmedEmail.objects.create(user=ann, email="ann@new.example", how=ConfirmedEmail.FACILITY)
    assert client.post(links["ann@example.org"]).status_code == 302
    assert how_confirmed("ann@new.example") == ConfirmedEmail.FACILITY


def test_an_invitee_may_first_sign_in_with_a_verified_identity(
    facility, staff, programmes, django_capture_on_commit_callbacks
):
    """An invitee who signs in with UmbrellaID instead of opening the link: the provider has verified the address
    the facility gave, which proves it."""
    links_by_address(facility, staff, django_capture_on_commit_callbacks, ANN)
    claims = {"sub": "ann-1", "email": "ann@example.org", "email_verified": True}
    signed_in = pan_identity_sign_in(issuer=ISSUER, claims=claims)
    assert signed_in.linked_by_email and signed_in.user == User.objects.get(email="ann@example.org")
    assert how_confirmed("ann@example.org") == ConfirmedEmail.PROVIDER


def test_an_account_used_on_the_facilitys_word_alone_is_not_opened_by_an_email(
    facility, staff, programmes, django_capture_on_commit_callbacks
):
    """Someone entered the account without showing they receive mail at its address (an administrator gave it a
    password): it is theirs, and a verified identity with that address is linked only signed in to it."""
    links_by_address(facility, staff, django_capture_on_commit_callbacks, ANN)
    entered = User.objects.get(email="ann@example.org")
    entered.set_password("set by an administrator 42")
    entered.last_login = timezone.now()
    entered.save()
    with pytest.raises(PanIdentityRefused) as refused:
        pan_identity_sign_in(issuer=ISSUER, claims={"sub": "ann-1", "email": "ann@example.org", "email_verified": True})
    assert refused.value.reason == "link_required" and not PanIdentity.objects.exists()
    assert how_confirmed("ann@example.org") == ConfirmedEmail.FACILITY


def test_only_the_invitations_account_chooses_a_password_here(client, facility, staff, programmes,
                                                             django_capture_on_commit_callbacks):  # fmt: skip
    """An account without a password made another way (a PaN identity's) is not given one by whoever holds
    its session; the invitation's own account is, once, in the browser that spent the link."""
    form = {"new_password1": "a long new passphrase 42", "new_password2": "a long new passphrase 42"}
    password_page = "/learn/onboarding/invitations/account/password/"
    by_identity = UserFactory(username="by-identity", password=None)
    by_identity.set_unusable_password()
    by_identity.save()
    client.force_login(by_identity)
    for answer in (client.get(password_page), client.post(password_page, form)):
        assert answer.status_code == 302 and answer.url == "/learn/onboarding/ready/"
    by_identity.refresh_from_db()
    assert not by_identity.has_usable_password()

    client.logout()
    path = invite(facility, staff, "new@example.org,New Person,P-1,2099-01-01,pi", django_capture_on_commit_callbacks)
    assert client.post(path).url == password_page
    assert client.post(password_page, form).url == "/learn/onboarding/ready/"
    assert User.objects.get(email="new@example.org").check_password(form["new_password1"])
