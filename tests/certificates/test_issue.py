"""A pass earned through a real quiz issues the certificate, and the verification page then says valid."""

import pytest

from onboarding.models import ProgrammeCompletion
from tests.onboarding.conftest import answer, make_course, make_quiz

pytestmark = pytest.mark.django_db


def test_passing_the_final_quiz_issues_a_valid_certificate(client, catalogue, facility, holder):
    from courses.services import enrolment_create
    from onboarding import services

    quiz = make_quiz("Safety quiz")
    course = make_course(catalogue, "Safety induction", quiz)
    services.programme_create(facility=facility, name="General safety", courses=[(course, quiz, 80)])
    enrolment_create(user=holder, course=course)
    answer(holder, quiz, right=3, course=course)  # 60 %: no pass, no certificate
    assert not ProgrammeCompletion.objects.filter(user=holder).exists()
    answer(holder, quiz, right=4, course=course)
    certificate = ProgrammeCompletion.objects.get(user=holder).certificate
    assert "Valid" in client.get(f"/verify/{certificate.public_id}/").content.decode()


def test_issue_missing_catches_up(completion):
    from certificates.models import Certificate
    from certificates.services import certificate_issue_missing

    Certificate.objects.all().delete()
    assert certificate_issue_missing() == 1
    assert Certificate.objects.get().completion == completion
