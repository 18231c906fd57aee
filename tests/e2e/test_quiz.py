"""A student answers a quiz in the lesson with the keyboard and sees feedback per question and the score."""

import re

import pytest
from playwright.sync_api import expect

from exercises.models import Exercise, QuizQuestion
from exercises.submissions import exercise_validate
from tests.e2e.lessons import open_exercise_lesson
from tests.exercises.test_quiz_exercises import NUMBER, SINGLE

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def quiz_page(asgi_page, asgi_server):

    quiz = Exercise.objects.create(title="Scattering quiz", kind="quiz", prompt="Two questions.")
    QuizQuestion.objects.create(exercise=quiz, kind="single", spec=SINGLE, points=1, sort_order=0,
                                prompt="Which probe sees hydrogen best?")  # fmt: skip
    QuizQuestion.objects.create(exercise=quiz, kind="number", spec=NUMBER, points=2, sort_order=1,
                                prompt="The Cu K-alpha wavelength?")  # fmt: skip
    assert exercise_validate(quiz)["ok"]
    return open_exercise_lesson(asgi_page, asgi_server, quiz, title="Probes", slug="probes", grading_max_attempts=2)


def test_a_student_answers_a_quiz_and_sees_feedback_per_question(quiz_page):
    page = quiz_page
    errors = []
    page.on("pageerror", lambda error: errors.append(error.stack or str(error)))
    exercise = page.locator("[data-exercise]")
    expect(exercise).to_have_class(re.compile("exercise--live"))
    expect(exercise).to_contain_text("0 of 2 attempts used")
    exercise.get_by_label("Neutrons").check()  # a radio button, by its label
    answer = exercise.get_by_label(re.compile("^Your answer"))
    answer.focus()
    page.keyboard.type("15.4 mm")  # a length, but the wrong one
    page.on("dialog", lambda dialog: dialog.accept())
    page.keyboard.press("Enter")  # submits the form from the keyboard
    result = exercise.locator(".exercise-result")
    expect(result).to_contain_text("Attempt 1: 1 of 3 points")
    expect(result).to_contain_text("Yes: neutrons see hydrogen well.")
    expect(result.locator(".exercise-test").nth(1)).to_contain_text("not passed")
    expect(exercise).to_contain_text("Attempt 1 of 2 used")
    answer.fill("1.54 Å")
    exercise.get_by_role("button", name="Submit answers").click()
    expect(result).to_contain_text("Attempt 2: 3 of 3 points")
    expect(exercise.get_by_role("button", name="Submit answers")).to_be_disabled()  # no attempts left
    assert "1.54" not in page.content().replace('value="1.54 Å"', "")  # the answer key never reached the page
    assert not errors, errors


def test_an_empty_quiz_is_refused_and_keeps_the_attempts(quiz_page):
    page = quiz_page
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    exercise = page.locator("[data-exercise]")
    expect(exercise).to_have_class(re.compile("exercise--live"))
    exercise.get_by_label(re.compile("^Your answer")).fill("   ")  # blank is no answer
    exercise.get_by_role("button", name="Submit answers").click()
    expect(exercise.locator(".exercise-activity")).to_have_text(
        "Answer at least one question before submitting: no attempt was used."
    )
    expect(exercise).to_contain_text("0 of 2 attempts used")
    assert not dialogs  # not asked to spend an attempt on nothing
    assert exercise.locator(".exercise-result .exercise-test").count() == 0
    exercise.get_by_label("Neutrons").check()  # one question of two is a valid submit
    exercise.get_by_role("button", name="Submit answers").click()
    expect(exercise.locator(".exercise-result")).to_contain_text("Attempt 1: 1 of 3 points")
    assert dialogs == ["This uses attempt 1 of 2. Submit?"]
