"""Staff revoke their own facility's certificates with a reason, never another facility's."""

import pytest

from tests.certificates.conftest import complete

pytestmark = pytest.mark.django_db


@pytest.fixture
def theirs(holder, other_programme):
    return complete(holder, other_programme).certificate


def test_staff_list_only_their_facilitys_certificates(client, certificate, theirs, staff):
    client.force_login(staff)
    text = client.get("/admin/certificates/").content.decode()
    assert certificate.public_id in text and theirs.public_id not in text


def test_staff_revoke_their_facilitys_certificate_with_a_reason(client, certificate, staff):
    client.force_login(staff)
    url = f"/admin/certificates/{certificate.pk}/revoke/"
    assert client.get(url).status_code == 200
    assert client.post(url, {"reason": ""}).status_code == 200  # the form again, with its error
    certificate.refresh_from_db()
    assert certificate.revoked_at is None
    response = client.post(url, {"reason": "Identity fraud"})
    assert response.status_code == 302
    certificate.refresh_from_db()
    assert (certificate.revoke_reason, certificate.revoked_by, certificate.revoked_at is not None) == (
        "Identity fraud", staff, True)  # fmt: skip
    assert "Revoked" in client.get(f"/verify/{certificate.public_id}/").content.decode()


def test_staff_cannot_revoke_another_facilitys_certificate(client, theirs, staff):
    client.force_login(staff)
    url = f"/admin/certificates/{theirs.pk}/revoke/"
    assert client.get(url).status_code == 404
    assert client.post(url, {"reason": "Not mine to revoke"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_superusers_see_and_revoke_every_facilitys(client, certificate, theirs):
    from tests.factories import UserFactory

    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(admin)
    text = client.get("/admin/certificates/").content.decode()
    assert certificate.public_id in text and theirs.public_id in text
    assert client.post(f"/admin/certificates/{theirs.pk}/revoke/", {"reason": "Audit"}).status_code == 302


def test_admin_users_who_are_not_facility_staff_are_refused(client, certificate):
    from django.contrib.auth.models import Permission

    from tests.factories import UserFactory

    editor = UserFactory(username="editor")
    editor.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(editor)
    assert client.get("/admin/certificates/").status_code in (302, 403)
    assert client.post(f"/admin/certificates/{certificate.pk}/revoke/", {"reason": "x"}).status_code in (302, 403)
    certificate.refresh_from_db()
    assert certificate.revoked_at is None


def test_the_list_names_a_holder_by_a_confirmed_address_only(client, certificate, staff):
    """Review of 2026-12-05: the list showed (and searched) the address typed at sign-up, so a squatter's
    certificate appeared under someone else's address."""
    holder = certificate.completion.user
    client.force_login(staff)
    assert "lise@example.org" in client.get("/admin/certificates/").content.decode()
    assert certificate.public_id in client.get("/admin/certificates/", {"q": "lise@example"}).content.decode()
    holder.confirmed_emails.all().delete()
    assert "lise@example.org" not in client.get("/admin/certificates/").content.decode()
    assert certificate.public_id not in client.get("/admin/certificates/", {"q": "lise@example"}).content.decode()
