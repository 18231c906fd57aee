"""Exercises in a lesson: validated by real runs, checked and submitted over HTTP, nothing hidden leaks."""

import json

import pytest
from wagtail import blocks

from courses.services import enrolment_create
from exercises.blocks import ExerciseBlock
from exercises.models import Exercise, ExerciseTest
from exercises.submissions import exercise_validate
from tests.exercises.test_submissions import HIDDEN, PUBLIC, SOLUTION, STARTER
from tests.factories import LessonPageFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def exercise(runner_settings):
    exercise = Exercise.objects.create(title="Momentum transfer", prompt="Write q_from.", solution_code=SOLUTION,
                                       starter_code=STARTER, max_attempts=1)  # fmt: skip
    ExerciseTest.objects.create(exercise=exercise, name="test_public", source=PUBLIC, points=1, sort_order=0)
    ExerciseTest.objects.create(exercise=exercise, name="test_hidden_edge", source=HIDDEN, points=2, hidden=True,
                                sort_order=1)  # fmt: skip
    assert exercise_validate(exercise)["ok"]
    return exercise


@pytest.fixture
def lesson(course, exercise):
    lesson = LessonPageFactory(parent=course, title="Q from angles", slug="q")
    lesson.body = json.dumps([{"type": "exercise", "value": {"exercise": exercise.pk}}])
    lesson.save_revision().publish()
    return lesson


def test_saving_validates_by_real_runs_and_versions_the_tests(exercise):
    assert exercise.validation["solution"]["points"] == 3 and exercise.validation["starter"]["points"] == 0
    test = exercise.tests.get(name="test_public")
    test.source = "def test_public():\n    assert True\n"
    test.save()
    report = exercise_validate(exercise)
    assert exercise.version == 2
    assert report["ok"]  # the hidden test still fails the starter
    exercise.tests.filter(hidden=True).delete()
    report = exercise_validate(exercise)
    assert not report["ok"] and "starter code already scores full marks" in report["message"]
    with pytest.raises(blocks.StructBlockValidationError):
        ExerciseBlock().clean(ExerciseBlock().to_python({"exercise": exercise.pk}))


def test_a_student_checks_then_submits_and_never_sees_a_hidden_test(client, course, lesson, exercise):
    student = UserFactory(username="lise")
    enrolment_create(user=student, course=course)
    client.force_login(student)
    base = f"/learn/exercises/{lesson.pk}/"
    checked = client.post(f"{base}{exercise.pk}/check", {"code": STARTER}, content_type="application/json")
    assert checked.status_code == 202 and checked.json()["attempt"] is None
    status = client.get(f"{base}submissions/{checked.json()['submission']}").json()
    assert status["status"] == "graded" and status["points"] == 0 and status["possible"] == 1
    submitted = client.post(f"{base}{exercise.pk}/submit", {"code": SOLUTION}, content_type="application/json")
    assert submitted.status_code == 202 and submitted.json()["attempts_used"] == 1
    status = client.get(f"{base}submissions/{submitted.json()['submission']}")
    assert status.json()["points"] == 3 and status.json()["possible"] == 3
    again = client.post(f"{base}{exercise.pk}/submit", {"code": SOLUTION}, content_type="application/json")
    assert again.status_code == 409
    page = client.get(lesson.url).text
    assert "Attempt 1: 3 of 3 points" in page and 'data-exercise-id="' in page
    for text in (page, status.text, checked.text):
        assert "test_hidden_edge" not in text and "q_from(0, 1.54)" not in text and "6.2831853" not in text


def test_others_cannot_read_a_submission_or_submit_elsewhere(client, course, lesson, exercise):
    owner, other = UserFactory(username="owner"), UserFactory(username="other")
    enrolment_create(user=owner, course=course)
    client.force_login(owner)
    base = f"/learn/exercises/{lesson.pk}/"
    submission = client.post(f"{base}{exercise.pk}/check", {"code": STARTER}, content_type="application/json")
    client.force_login(other)
    assert client.get(f"{base}submissions/{submission.json()['submission']}").status_code == 404
    assert client.post(f"{base}{exercise.pk}/check", {"code": "1"}, content_type="application/json").status_code == 403
    client.force_login(owner)
    foreign = Exercise.objects.create(title="Elsewhere", solution_code="x = 1")
    assert client.post(f"{base}{foreign.pk}/check", {"code": "1"}, content_type="application/json").status_code == 404
