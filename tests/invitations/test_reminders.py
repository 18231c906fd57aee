"""Reminders before the start date (14 and 3 days) and before expiry (30 days), each once, with an injected clock."""

from datetime import date, datetime, timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from invitations.models import ReminderSent
from invitations.reminders import reminders_send
from onboarding import services as onboarding
from onboarding.models import Participant, ProgrammeCompletion
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
START = date(2030, 4, 1)


def at(day: date, hour: int = 9) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


@pytest.fixture
def participants(facility, programmes):
    experiment = onboarding.experiment_create(facility=facility, proposal="P-1", title="Beamtime", start_date=START)
    pi = onboarding.participant_add(
        experiment=experiment, user=UserFactory(username="pi"), role="principal_investigator"
    )
    ready = onboarding.participant_add(experiment=experiment, user=UserFactory(username="ready"), role="remote")
    Participant.objects.update(added_at=at(date(2030, 3, 1)))
    general, _ = programmes
    ProgrammeCompletion.objects.create(
        user=ready.user, programme=general, passed_at=at(date(2030, 2, 1)), valid_until=at(date(2031, 2, 1))
    )
    return pi, ready


def subjects() -> list[tuple[str, str]]:
    return [(m.to[0], m.subject) for m in mail.outbox]


def test_start_reminders_at_14_and_3_days_once(participants):
    pi, _ = participants
    reminders_send(now=at(START - timedelta(days=15)))
    assert mail.outbox == []
    reminders_send(now=at(START - timedelta(days=14)))
    assert subjects() == [("pi@example.org", "PDS: training missing for P-1")]
    assert "General safety" in mail.outbox[0].body and "Chemistry" in mail.outbox[0].body
    assert "in 14 days" in mail.outbox[0].body
    reminders_send(now=at(START - timedelta(days=14), hour=18))
    reminders_send(now=at(START - timedelta(days=5)))
    assert len(mail.outbox) == 1
    reminders_send(now=at(START - timedelta(days=3)))
    assert len(mail.outbox) == 2 and "in 3 days" in mail.outbox[1].body
    reminders_send(now=at(START - timedelta(days=1)))
    reminders_send(now=at(START + timedelta(days=1)))
    assert len(mail.outbox) == 2
    assert ReminderSent.objects.filter(participant=pi).count() == 2


def test_a_missed_run_sends_the_most_urgent_only(participants):
    reminders_send(now=at(START - timedelta(days=2)))
    assert len(mail.outbox) == 1 and "in 3 days" in mail.outbox[0].body
    reminders_send(now=at(START - timedelta(days=1)))
    assert len(mail.outbox) == 1


def test_no_reminder_for_a_day_passed_before_the_invitation(participants):
    Participant.objects.update(added_at=at(START - timedelta(days=10)))
    reminders_send(now=at(START - timedelta(days=9)))
    assert mail.outbox == []
    reminders_send(now=at(START - timedelta(days=3)))
    assert len(mail.outbox) == 1


def test_a_pass_that_ends_before_the_start_is_missing(participants, programmes):
    _, ready = participants
    ProgrammeCompletion.objects.filter(user=ready.user).update(valid_until=at(START - timedelta(days=1)))
    reminders_send(now=at(START - timedelta(days=14)))
    assert sorted(to for to, subject in subjects() if "missing" in subject) == ["pi@example.org", "ready@example.org"]


def test_expiry_reminder_30_days_before_once(participants, programmes):
    until = at(date(2031, 2, 1))
    reminders_send(now=until - timedelta(days=31))
    assert [m for m in mail.outbox if "expires" in m.subject] == []
    reminders_send(now=until - timedelta(days=30))
    expiring = [m for m in mail.outbox if "expires" in m.subject]
    assert [(m.to[0], m.subject) for m in expiring] == [
        ("ready@example.org", "PDS: “General safety” expires on 01 February 2031")
    ]
    reminders_send(now=until - timedelta(days=10))
    assert len([m for m in mail.outbox if "expires" in m.subject]) == 1


def test_renewed_pass_gets_no_expiry_reminder(participants, programmes):
    _, ready = participants
    general, _ = programmes
    ProgrammeCompletion.objects.create(
        user=ready.user, programme=general, passed_at=at(date(2031, 1, 10)), valid_until=at(date(2032, 1, 10))
    )
    reminders_send(now=at(date(2031, 1, 20)))
    assert [m for m in mail.outbox if "expires" in m.subject] == []


def test_management_command_runs_the_same(participants, capsys):
    call_command("invitations", "remind")
    assert "reminder(s) before experiments" in capsys.readouterr().out
