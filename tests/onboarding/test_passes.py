"""Passes recorded from real quiz submissions and trainer overrides, expiry by the tick, renewals,
and the xAPI statements they write."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db.models import F
from django.utils import timezone

from courses.services import enrolment_create, lesson_complete
from exercises.gradebook import override_set
from exercises.models import Submission
from onboarding import selectors, services
from onboarding.models import ProgrammeCompletion
from onboarding.status import State, add_months
from tests.factories import UserFactory
from tests.onboarding.conftest import answer, make_course, make_quiz
from tracking.models import OutboxStatement

pytestmark = pytest.mark.django_db
PASSED = "http://adlnet.gov/expapi/verbs/passed"
EXPIRED = "http://id.tincanapi.com/verb/expired"


def programme_statements(verb: str):
    return [row.payload for row in OutboxStatement.objects.filter(verb=verb, object_iri__contains="/programme/")]


def backdate(user, days: int) -> None:
    """Move the user's history `days` into the past, as if it had happened then."""
    shift = timedelta(days=days)
    Submission.objects.filter(user=user).update(submitted_at=F("submitted_at") - shift)
    ProgrammeCompletion.objects.filter(user=user).update(passed_at=F("passed_at") - shift,
                                                         valid_until=F("valid_until") - shift)  # fmt: skip


def test_a_quiz_below_the_pass_mark_is_in_progress_and_one_at_it_passes(programme, quiz, learner, safety):
    assert selectors.programme_status_for(user=learner, programme=programme).state == State.IN_PROGRESS
    answer(learner, quiz, right=3, course=safety)  # 60 %
    assert selectors.programme_status_for(user=learner, programme=programme).state == State.IN_PROGRESS
    assert not ProgrammeCompletion.objects.exists()

    submission = answer(learner, quiz, right=4, course=safety)  # 80 %: the pass mark
    completion = ProgrammeCompletion.objects.get()
    assert completion.passed_at == submission.submitted_at and completion.via == "pass"
    assert completion.valid_until == add_months(submission.submitted_at, 12)
    result = selectors.programme_status_for(user=learner, programme=programme)
    assert result.state == State.VALID and result.valid_until == completion.valid_until

    answer(learner, quiz, right=5, course=safety)  # a better score later moves nothing
    assert ProgrammeCompletion.objects.count() == 1
    [statement] = programme_statements(PASSED)
    assert statement["object"]["id"].endswith(f"/xapi/activities/programme/{programme.pk}")
    assert statement["result"]["success"] is True
    extensions = statement["result"]["extensions"]
    assert extensions["https://w3id.org/xapi/panlearn/extensions/valid-until"] == completion.valid_until.isoformat()
    assert statement["context"]["contextActivities"]["grouping"][0]["id"] == "https://ror.org/000000000"


def test_never_started_until_enrolled(programme):
    user = UserFactory()
    assert selectors.programme_status_for(user=user, programme=programme).state == State.NEVER_STARTED


def test_every_course_must_pass_and_the_last_pass_dates_the_programme(catalogue, facility, learner):
    quiz_a, quiz_b = make_quiz("A quiz"), make_quiz("B quiz", questions=4)
    course_a, course_b = make_course(catalogue, "Course A", quiz_a), make_course(catalogue, "Course B", quiz_b)
    programme = services.programme_create(facility=facility, name="Two courses",
                                          courses=[(course_a, quiz_a, 80), (course_b, quiz_b, 75)])  # fmt: skip
    answer(learner, quiz_a, right=5, course=course_a)
    assert not ProgrammeCompletion.objects.filter(programme=programme).exists()
    answer(learner, quiz_b, right=2, course=course_b)  # 50 % < 75 %
    assert not ProgrammeCompletion.objects.filter(programme=programme).exists()
    last = answer(learner, quiz_b, right=3, course=course_b)  # 75 %
    assert ProgrammeCompletion.objects.get(programme=programme).passed_at == last.submitted_at


def test_a_trainer_override_passes_and_the_newest_override_counts(programme, quiz, learner, safety):
    trainer = UserFactory(username="trainer")
    answer(learner, quiz, right=2, course=safety)
    override_set(exercise=quiz, user=learner, points=3, comment="Partly right", by=trainer)
    assert not ProgrammeCompletion.objects.exists()
    override = override_set(exercise=quiz, user=learner, points=4, comment="Question 3 was ambiguous", by=trainer)
    completion = ProgrammeCompletion.objects.get()
    assert completion.passed_at == override.set_at
    # a passing submit under a failing override does not count: the override is the score
    other = UserFactory(username="other")
    enrolment_create(user=other, course=safety)
    override_set(exercise=quiz, user=other, points=1, comment="Copied answers", by=trainer)
    answer(other, quiz, right=5, course=safety)
    assert not ProgrammeCompletion.objects.filter(user=other).exists()


def test_only_the_programmes_own_course_passes_its_assessment(catalogue, facility, learner):
    """The same assessment placed in another course (whose editors may not clear anyone for this facility):
    a full score there passes nothing; the same score in the programme's course does."""
    quiz = make_quiz("Shared quiz")
    course = make_course(catalogue, "Facility course", quiz)
    elsewhere = make_course(catalogue, "Another course", quiz)
    programme = services.programme_create(facility=facility, name="Own course", courses=[(course, quiz, 80)])
    answer(learner, quiz, right=5, course=elsewhere)
    answer(learner, quiz, right=5)  # from no course at all (an API call, a script)
    assert not ProgrammeCompletion.objects.filter(programme=programme).exists()
    answer(learner, quiz, right=5, course=course)
    assert ProgrammeCompletion.objects.filter(programme=programme, user=learner).exists()


def test_passes_earned_before_the_programme_existed_are_recorded(catalogue, facility, learner):
    quiz = make_quiz("Early quiz")
    course = make_course(catalogue, "Early course", quiz)
    answer(learner, quiz, right=5, course=course)
    programme = services.programme_create(facility=facility, name="Later", courses=[(course, quiz, 80)])
    assert ProgrammeCompletion.objects.filter(programme=programme, user=learner).exists()


def test_the_tick_records_expiry_once_and_the_refresher_renews(catalogue, programme, quiz, learner, safety):
    refresher_quiz = make_quiz("Refresher quiz", questions=2)
    refresher = make_course(catalogue, "Safety refresher", refresher_quiz, lessons=1)
    programme.refresher_course, programme.refresher_assessment, programme.refresher_pass_mark = (
        refresher, refresher_quiz, 100)  # fmt: skip
    programme.save()
    answer(learner, quiz, right=5, course=safety)
    backdate(learner, 400)
    first = ProgrammeCompletion.objects.get()
    now = timezone.now()
    assert selectors.programme_status_for(user=learner, programme=programme, now=now).state == State.EXPIRED
    assert services.expiry_sweep(now=first.valid_until - timedelta(seconds=1)) == 0
    out = io.StringIO()
    call_command("onboarding", "tick", stdout=out)
    assert out.getvalue().startswith("1 expired")
    assert services.expiry_sweep() == 0  # once
    first.refresh_from_db()
    assert first.expiry_recorded_at is not None
    [expired] = programme_statements(EXPIRED)
    assert expired["timestamp"].startswith(first.valid_until.isoformat()[:19])
    [passed] = programme_statements(PASSED)
    assert expired["context"]["statement"]["id"] == passed["id"]

    enrolment_create(user=learner, course=refresher)
    answer(learner, refresher_quiz, right=1, course=refresher)  # 50 % < 100 %
    assert selectors.programme_status_for(user=learner, programme=programme).state == State.EXPIRED
    renewal = answer(learner, refresher_quiz, right=2, course=refresher)
    latest = ProgrammeCompletion.objects.order_by("-passed_at").first()
    assert (latest.via, latest.renewed_from_id, latest.passed_at) == ("refresher", first.pk, renewal.submitted_at)
    result = selectors.programme_status_for(user=learner, programme=programme)
    assert result.state == State.VALID and result.valid_until == add_months(renewal.submitted_at, 12)
    renewed = [s for s in programme_statements(PASSED) if s["id"] != passed["id"]]
    assert renewed[0]["context"]["statement"]["id"] == passed["id"]
    assert renewed[0]["result"]["extensions"]["https://w3id.org/xapi/panlearn/extensions/renewal"] == "refresher"


def test_a_refresher_without_assessment_renews_when_its_lessons_are_done(catalogue, programme, quiz, learner, safety):
    refresher = make_course(catalogue, "Lesson refresher", None, lessons=2)
    programme.refresher_course = refresher
    programme.save()
    answer(learner, quiz, right=5, course=safety)
    backdate(learner, 360)
    assert selectors.programme_status_for(user=learner, programme=programme).state == State.EXPIRING_SOON
    enrolment_create(user=learner, course=refresher)
    first, second = refresher.live_lessons
    lesson_complete(user=learner, lesson=first)
    assert ProgrammeCompletion.objects.count() == 1
    lesson_complete(user=learner, lesson=second)
    assert ProgrammeCompletion.objects.count() == 2
    assert selectors.programme_status_for(user=learner, programme=programme).state == State.VALID
    assert services.expiry_sweep(now=timezone.now() + timedelta(days=10)) == 0  # renewed before it ended


def test_a_renewal_after_an_unseen_lapse_records_the_expiry_first(programme, quiz, learner, safety):
    answer(learner, quiz, right=5, course=safety)
    backdate(learner, 400)
    answer(learner, quiz, right=4, course=safety)  # passed again, after the lapse
    assert ProgrammeCompletion.objects.count() == 2
    assert ProgrammeCompletion.objects.order_by("passed_at").first().expiry_recorded_at is not None
    assert len(programme_statements(EXPIRED)) == 1 and len(programme_statements(PASSED)) == 2


def test_validity_for_the_export(programme, quiz, learner, safety):
    answer(learner, quiz, right=5, course=safety)
    [row] = selectors.validity(programmes=[programme])
    assert (row.user_id, row.state) == (learner.pk, State.VALID)
    [row] = selectors.validity(programmes=[programme], now=row.valid_until + timedelta(days=1))
    assert row.state == State.EXPIRED
    assert selectors.validity(users=[UserFactory()]) == []


def test_the_expiry_task_runs_the_sweep(programme, quiz, learner, safety):
    from onboarding.tasks import expire_completions

    answer(learner, quiz, right=5, course=safety)
    ProgrammeCompletion.objects.update(valid_until=timezone.now() - timedelta(days=1))
    assert expire_completions.enqueue().return_value == 1
