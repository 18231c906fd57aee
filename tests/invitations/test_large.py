"""10,000 rows: parse, validate, confirm and email in a bounded number of queries (no query per row)."""

import time

import pytest
from django.contrib.auth.models import User
from django.core import mail

from courses.models import Enrolment
from invitations import upload as services
from invitations.models import ParticipantInvitation
from onboarding.models import Experiment, Participant
from tests.factories import UserFactory

from .conftest import csv_bytes

pytestmark = pytest.mark.django_db
ROWS = 10_000


def big_csv() -> bytes:
    roles = ("pi", "experimenter", "remote", "local contact")
    return csv_bytes(
        *(f"user{i}@example.org,Person {i},P-{i % 50},2099-0{1 + i % 50 // 10}-15,{roles[i % 4]}" for i in range(ROWS))
    )


def test_ten_thousand_rows(
    facility, staff, programmes, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    UserFactory(username="existing", email="USER7@example.org")  # one is matched, not created
    data = big_csv()
    # Queries grow with rows / rows-per-statement, never one per row: SQLite takes ~70 rows per INSERT
    # (999 parameters; ~160 and ~710 queries here), PostgreSQL 500 (far fewer).
    started = time.perf_counter()
    with django_assert_max_num_queries(250):
        batch = services.batch_create(facility=facility, uploaded_by=staff, data=data, filename="big.csv")
    assert (batch.total_rows, batch.valid_rows) == (ROWS, ROWS)
    assert not Participant.objects.exists()
    with django_assert_max_num_queries(1000), django_capture_on_commit_callbacks(execute=True):
        services.batch_confirm(batch=batch, user=staff)
    elapsed = time.perf_counter() - started
    batch.refresh_from_db()
    assert batch.imported_rows == ROWS
    assert User.objects.filter(email__istartswith="user").count() == ROWS
    assert Experiment.objects.filter(facility=facility).count() == 50
    assert Participant.objects.count() == ROWS and ParticipantInvitation.objects.count() == ROWS
    # Everyone needs general safety; the 2,500 principal investigators chemistry too.
    assert Enrolment.objects.count() == ROWS + ROWS // 4
    assert len(mail.outbox) == ROWS
    assert elapsed < 300, f"{elapsed:.1f} s"  # generous: about 10 s on a 2-core machine
