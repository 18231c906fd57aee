"""The admin pages: upload, per-row report, confirm; facilities kept apart."""

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from invitations.models import BatchStatus, InvitationBatch
from onboarding.models import Participant
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CSV = (
    "\ufeffE-mail;Name;Proposal;Start date;Role\n"
    "lise@example.org;Lise Meitner;P-100;2099-04-01;PI\n"
    "broken;Nobody;P-100;2099-04-01;janitor\n"
).encode()


def post_upload(client, facility):
    return client.post(
        "/admin/invitations/upload/",
        {"facility": facility.pk, "file": SimpleUploadedFile("people.csv", CSV, "text/csv")},
    )


def test_upload_report_confirm(client, facility, staff, programmes, django_capture_on_commit_callbacks):
    client.force_login(staff)
    assert "Invitations" in client.get("/admin/").content.decode()
    response = post_upload(client, facility)
    batch = InvitationBatch.objects.get()
    assert response.status_code == 302 and response.url.endswith(f"/admin/invitations/{batch.pk}/")
    report = client.get(response.url).content.decode()
    assert "2 row(s): 1 valid, 1 with errors" in report
    assert "bad email “broken”" in report and "unknown role “janitor”" in report
    assert not Participant.objects.exists() and mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/admin/invitations/{batch.pk}/confirm/").status_code == 302
    batch.refresh_from_db()
    assert batch.status == BatchStatus.IMPORTED and Participant.objects.count() == 1 and len(mail.outbox) == 1
    assert (
        "Imported: existing account"
        not in client.get(f"/admin/invitations/{batch.pk}/?status=imported").content.decode()
    )


def test_other_facility_staff_see_and_confirm_nothing(
    client, facility, staff, other_staff, programmes, django_capture_on_commit_callbacks
):
    client.force_login(staff)
    post_upload(client, facility)
    batch = InvitationBatch.objects.get()
    client.force_login(other_staff)
    assert "people.csv" not in client.get("/admin/invitations/").content.decode()
    assert client.get(f"/admin/invitations/{batch.pk}/").status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/admin/invitations/{batch.pk}/confirm/").status_code == 404
        assert client.post(f"/admin/invitations/{batch.pk}/discard/").status_code == 404
    # Nor can they upload for our facility: it is not among the form's choices.
    response = post_upload(client, facility)
    assert response.status_code == 200 and InvitationBatch.objects.count() == 1
    batch.refresh_from_db()
    assert batch.status == BatchStatus.PENDING and not Participant.objects.exists() and mail.outbox == []


def test_superuser_sees_every_facility_and_others_nothing(client, facility, staff, programmes):
    client.force_login(staff)
    post_upload(client, facility)
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(admin)
    assert "people.csv" in client.get("/admin/invitations/").content.decode()
    editor = UserFactory(username="editor", is_staff=True, is_superuser=False)
    from django.contrib.auth.models import Permission

    editor.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(editor)
    response = client.get("/admin/invitations/")  # Wagtail turns PermissionDenied into a redirect home
    assert response.status_code == 302 and response.url == "/admin/"
