"""Exercise events reach the xAPI outbox in the same transaction: answered on every check or
submit, scored then passed/failed on every graded submit, and an override voids the standing grade."""

from decimal import Decimal

import pytest

from courses.services import enrolment_create
from exercises.gradebook import override_set
from exercises.models import Submission, SubmissionKind
from exercises.submissions import response_grade, submission_create
from tests.exercises.test_quiz_exercises import ids, make_quiz
from tests.factories import UserFactory
from tracking.models import OutboxStatement
from tracking.xapi import vocabulary as v

pytestmark = pytest.mark.django_db


def verbs(user) -> list[str]:
    rows = OutboxStatement.objects.filter(user=user).order_by("created_at", "pk")
    return [v.DISPLAY.get(row.verb, row.verb) for row in rows]


@pytest.fixture
def student(course):
    user = UserFactory(username="marie")
    enrolment_create(user=user, course=course)
    return user


def test_a_quiz_submit_is_answered_scored_and_passed_or_failed(course, student):
    quiz = make_quiz()
    single, multiple, number, text = ids(quiz)
    right = {single: "b", multiple: ["a", "b"], number: "1.54 Å", text: "Bragg"}
    submission_create(user=student, exercise=quiz, kind=SubmissionKind.SUBMIT, course=course, answers=right)
    assert verbs(student)[-3:] == ["answered", "scored", "passed"]
    submission_create(user=student, exercise=quiz, kind=SubmissionKind.SUBMIT, course=course, answers={single: "a"})
    assert verbs(student)[-3:] == ["answered", "scored", "failed"]
    scored = OutboxStatement.objects.filter(user=student, verb=v.SCORED).order_by("pk").first()
    assert scored.payload["result"]["score"]["raw"] == 5 and scored.payload["result"]["score"]["max"] == 5


def test_a_free_response_is_scored_when_the_trainer_grades_it(course, student):
    from exercises.models import Exercise

    essay = Exercise.objects.create(title="Explain contrast", kind="free_response", response_points=4)
    submission = submission_create(user=student, exercise=essay, kind=SubmissionKind.SUBMIT, course=course,
                                   code="Deuterium scatters differently.")  # fmt: skip
    assert verbs(student)[-1] == "answered"
    trainer = UserFactory(username="grace")
    response_grade(submission=submission, points=Decimal(3), comment="Good.", by=trainer)
    assert verbs(student)[-2:] == ["scored", "failed"]  # 3 of 4 is below the pass threshold (full marks)


def test_an_override_voids_the_standing_grade_and_states_the_new_one(course, student):
    quiz = make_quiz()
    wrong = {str(quiz.questions.first().pk): "a"}
    submission_create(user=student, exercise=quiz, kind=SubmissionKind.SUBMIT, course=course, answers=wrong)
    standing = set(
        OutboxStatement.objects.filter(user=student, verb__in=[v.SCORED, v.FAILED]).values_list(
            "statement_id", flat=True
        )
    )
    trainer = UserFactory(username="grace")
    override_set(exercise=quiz, user=student, points=Decimal(5), comment="Marked by hand.", by=trainer)
    voids = OutboxStatement.objects.filter(verb=v.VOIDED)
    assert {row.payload["object"]["id"] for row in voids} == {str(pk) for pk in standing}
    latest = OutboxStatement.objects.filter(user=student, verb=v.SCORED).order_by("-pk").first()
    assert latest.payload["result"]["score"]["raw"] == 5
    activities = latest.payload["context"]["contextActivities"]  # counted in the course it was taken in
    ids = [activity["id"] for group in activities.values() for activity in group]
    assert f"http://testserver/xapi/activities/course/{course.pk}" in ids
    assert Submission.objects.get().points == 0  # the submission itself is untouched
