"""Upload → report → confirm → accounts, participants, enrolments and one email each."""

import re
from datetime import date

import pytest
from django.contrib.auth.models import User
from django.core import mail

from accounts.selectors import email_is_confirmed
from courses.models import Enrolment
from invitations import upload as services
from invitations.models import BatchStatus, InvitationRow, ParticipantInvitation, RowStatus
from onboarding import services as onboarding
from onboarding.models import Experiment, Participant
from tests.factories import UserFactory

from .conftest import NOW, csv_bytes

pytestmark = pytest.mark.django_db

GOOD = (
    "lise@example.org,Lise Meitner,P-100,2030-04-01,principal investigator",
    "Otto@Example.org,Otto Hahn,P-100,2030-04-01,experimenter",
    "lise@example.org,Lise Meitner,P-200,2030-05-01,remote",
)


def upload(facility, staff, *lines, **kwargs):
    return services.batch_create(
        facility=facility, uploaded_by=staff, data=csv_bytes(*lines, **kwargs), filename="people.csv", now=NOW
    )


def confirm(batch, staff, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.batch_confirm(batch=batch, user=staff)
    batch.refresh_from_db()
    return batch


def test_nothing_is_imported_before_confirm(facility, staff, programmes):
    users_before = User.objects.count()
    batch = upload(facility, staff, *GOOD)
    assert (batch.total_rows, batch.valid_rows, batch.status) == (3, 3, BatchStatus.PENDING)
    assert User.objects.count() == users_before
    assert not Experiment.objects.exists() and not Participant.objects.exists() and not Enrolment.objects.exists()
    assert not ParticipantInvitation.objects.exists() and mail.outbox == []
    notes = dict(batch.rows.values_list("line", "notes"))
    assert notes[2] == ["new account", "new experiment"] and notes[4] == ["new account", "new experiment"]


def test_confirm_imports_valid_rows(facility, staff, programmes, safety, chemistry, django_capture_on_commit_callbacks):
    otto = UserFactory(username="otto", email="otto@example.org", first_name="Otto")
    batch = upload(facility, staff, *GOOD, "bad-email,Nobody,P-100,2030-04-01,experimenter")
    assert (batch.total_rows, batch.valid_rows) == (4, 3)
    batch = confirm(batch, staff, django_capture_on_commit_callbacks)
    assert (batch.status, batch.imported_rows) == (BatchStatus.IMPORTED, 3)

    lise = User.objects.get(email="lise@example.org")
    assert not lise.has_usable_password() and (lise.first_name, lise.last_name) == ("Lise", "Meitner")
    assert User.objects.filter(email__iexact="otto@example.org").count() == 1  # matched without case
    p100 = Experiment.objects.get(facility=facility, proposal="P-100")
    assert p100.start_date == date(2030, 4, 1)
    roles = set(Participant.objects.values_list("experiment__proposal", "user__email", "role"))
    assert roles == {
        ("P-100", "lise@example.org", "principal_investigator"),
        ("P-100", "otto@example.org", "experimenter"),
        ("P-200", "lise@example.org", "remote"),
    }
    # Lise is a PI on P-100: general safety and chemistry; Otto is an experimenter: general safety only.
    enrolled = set(Enrolment.objects.values_list("user__email", "course_id"))
    assert enrolled == {
        ("lise@example.org", safety[0].pk),
        ("lise@example.org", chemistry[0].pk),
        ("otto@example.org", safety[0].pk),
    }
    assert ParticipantInvitation.objects.get(user=otto, experiment=p100).created_account is False
    assert sorted(m.to[0] for m in mail.outbox) == ["lise@example.org", "lise@example.org", "otto@example.org"]
    lise_p100 = next(m for m in mail.outbox if m.to == ["lise@example.org"] and "P-100" in m.subject)
    assert "General safety" in lise_p100.body and "Chemistry" in lise_p100.body
    assert re.search(r"http://testserver/learn/onboarding/invitations/[\w-]{40,}/", lise_p100.body)
    invalid = batch.rows.get(line=5)
    assert invalid.status == RowStatus.INVALID and not ParticipantInvitation.objects.filter(row=invalid).exists()


def test_reimport_is_idempotent(facility, staff, programmes, django_capture_on_commit_callbacks):
    confirm(upload(facility, staff, *GOOD), staff, django_capture_on_commit_callbacks)
    counts = (
        User.objects.count(),
        Participant.objects.count(),
        Enrolment.objects.count(),
        ParticipantInvitation.objects.count(),
    )
    sent = len(mail.outbox)
    again = confirm(upload(facility, staff, *GOOD), staff, django_capture_on_commit_callbacks)
    assert again.imported_rows == 3
    assert (
        User.objects.count(),
        Participant.objects.count(),
        Enrolment.objects.count(),
        ParticipantInvitation.objects.count(),
    ) == counts
    assert len(mail.outbox) == sent
    assert all("already invited: no new email" in notes for notes in again.rows.values_list("notes", flat=True))
    # The same row with another role updates the participant, still without a new email.
    confirm(
        upload(facility, staff, GOOD[1].replace("experimenter", "local contact")),
        staff,
        django_capture_on_commit_callbacks,
    )
    assert Participant.objects.get(user__email="otto@example.org").role == "local_contact"
    assert len(mail.outbox) == sent


def test_confirm_twice_imports_once(facility, staff, programmes, django_capture_on_commit_callbacks):
    batch = confirm(upload(facility, staff, *GOOD), staff, django_capture_on_commit_callbacks)
    confirm(batch, staff, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 3


def test_duplicates_and_experiment_checks(facility, staff, programmes):
    onboarding.experiment_create(facility=facility, proposal="KNOWN-1", title="Known", start_date=date(2030, 6, 1))
    batch = upload(
        facility,
        staff,
        "a@example.org,A,P-1,2030-04-01,pi",
        "A@example.org,A again,p-1,2030-04-01,remote",  # same person and proposal (case differs)
        "b@example.org,B,P-1,2030-04-02,pi",  # same new proposal, another start date
        "c@example.org,C,KNOWN-1,2030-06-02,pi",  # known experiment, another start date
        "d@example.org,D,known-1,2030-06-01,pi",  # fine: the known experiment's date
    )
    errors = dict(batch.rows.values_list("line", "errors"))
    assert errors[2] == [] and errors[6] == []
    assert errors[3] == ["duplicate of line 2 (same email and proposal)"]
    assert errors[4] == ["start date differs from line 2 for the same proposal"]
    assert errors[5] == ["experiment KNOWN-1 starts on 2030-06-01, not 2030-06-02"]


def test_accounts_that_cannot_be_matched(facility, staff, programmes):
    UserFactory(username="gone", email="gone@example.org", is_active=False)
    batch = upload(facility, staff, "gone@example.org,G,P,2030-04-01,pi")
    errors = dict(batch.rows.values_list("line", "errors"))
    assert "deactivated" in errors[2][0]
    assert batch.valid_rows == 0 and not batch.can_confirm


def test_only_a_confirmed_address_matches_a_row(facility, staff, programmes, django_capture_on_commit_callbacks):
    """Mallory signed up with the invited person's address, so the invited person's place went to her
    (review of 2026-12-04). An unconfirmed address now matches nothing: the row gets an account of its own,
    whose address the facility vouches for."""
    UserFactory(username="owner", email="twin@example.org")
    squatter = UserFactory(username="mallory", email="alice@example.org", confirmed=False)
    batch = upload(facility, staff, "TWIN@example.org,T,P,2030-04-01,pi", "alice@example.org,A,P,2030-04-01,pi")
    assert batch.valid_rows == 2
    confirm(batch, staff, django_capture_on_commit_callbacks)
    places = dict(Participant.objects.values_list("user__username", "user__email"))
    assert places["owner"] == "twin@example.org" and "mallory" not in places
    invited = User.objects.get(email="alice@example.org", experiment_participations__isnull=False)
    assert invited != squatter and email_is_confirmed(invited) and not email_is_confirmed(squatter)


def test_bad_file_is_reported_and_cannot_be_confirmed(facility, staff, django_capture_on_commit_callbacks):
    batch = upload(facility, staff, "a@example.org,A,P", header="email,name,proposal\n")
    assert "Missing column(s): start_date, role" in batch.file_errors[0]
    assert not batch.can_confirm and not InvitationRow.objects.exists()
    confirm(batch, staff, django_capture_on_commit_callbacks)
    assert batch.status == BatchStatus.PENDING and mail.outbox == []


def test_staff_of_another_facility_cannot_upload_or_confirm(
    facility, staff, other_staff, programmes, django_capture_on_commit_callbacks
):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        upload(facility, other_staff, *GOOD)
    batch = upload(facility, staff, *GOOD)
    with pytest.raises(PermissionDenied):
        services.batch_confirm(batch=batch, user=other_staff)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.PENDING


@pytest.mark.parametrize("failing_line", [2, 3], ids=["first row fails", "second row fails"])
def test_the_report_gives_each_row_its_own_outcome(
    client, facility, staff, programmes, failing_line, django_capture_on_commit_callbacks
):
    """A row that fails at import (its account deactivated after the upload) is reported as not imported,
    with its reason; the rows imported are reported as imported, with their own notes."""
    gone = UserFactory(username="gone", email="gone@example.org")
    lines = ["otto@example.org,Otto Hahn,P-100,2030-04-01,experimenter"]
    lines.insert(failing_line - 2, "gone@example.org,Gone,P-100,2030-04-01,experimenter")
    batch = upload(facility, staff, *lines)
    assert batch.valid_rows == 2
    gone.is_active = False
    gone.save()
    batch = confirm(batch, staff, django_capture_on_commit_callbacks)
    good_line = 5 - failing_line
    rows = {row.line: row for row in batch.rows.all()}
    assert (rows[failing_line].status, rows[failing_line].errors) == (
        RowStatus.FAILED,
        ["the account with this email is deactivated"],
    )
    assert (rows[good_line].status, rows[good_line].errors) == (RowStatus.IMPORTED, [])
    assert rows[good_line].notes[0] == "new account"  # its own notes, not the failed row's
    assert batch.imported_rows == 1 and [m.to for m in mail.outbox] == [["otto@example.org"]]
    client.force_login(staff)
    report = client.get(f"/admin/invitations/{batch.pk}/").content.decode()
    assert f"<td>{failing_line}</td><td>gone@example.org</td>" in report
    assert "the account with this email is deactivated" in report
    assert "Imported: new account" in report
    imported = client.get(f"/admin/invitations/{batch.pk}/?status=imported").content.decode()
    assert "otto@example.org" in imported and "gone@example.org" not in imported


def test_an_existing_account_runs_the_lessons_at_once(
    facility, staff, programmes, safety, django_capture_on_commit_callbacks
):
    """A bulk import enrols without post_save, so the run-plan cache of live cells hears of it through
    courses' enrolments_changed: a student who was refused a minute ago may run now, not in 5 minutes."""
    from django.core.cache import cache

    from cells.selectors import run_plan
    from cells.sessions import Who

    cache.clear()
    otto = UserFactory(username="otto", email="otto@example.org")
    lesson = safety[0].get_children().live().first()
    runner_key = Who.of(user=otto, session_key="").key
    assert run_plan(user=otto, page_id=lesson.pk, runner_key=runner_key)["allowed"] is False  # now cached
    confirm(upload(facility, staff, GOOD[1]), staff, django_capture_on_commit_callbacks)
    assert Enrolment.objects.filter(user=otto, course=safety[0], is_active=True).exists()
    assert run_plan(user=otto, page_id=lesson.pk, runner_key=runner_key)["allowed"] is True
