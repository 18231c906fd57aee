"""Quiz and free-response exercises through the real models, services, views and gradebook: graded at once
(quiz) or by a trainer (free response), under the same attempts, deadlines and release rules as code."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.utils import timezone

from courses.services import course_grant_editing, enrolment_create
from exercises.models import Exercise, ExerciseProgress, QuizQuestion, Submission, SubmissionKind, SubmissionStatus
from exercises.submissions import (
    NothingAnswered,
    SubmissionRefused,
    exercise_validate,
    regrade_exercise,
    submission_create,
)
from tests.factories import LessonPageFactory, UserFactory
from tracking.models import OutboxStatement

pytestmark = pytest.mark.django_db

SINGLE = {"options": [
    {"id": "a", "text": "X-rays", "feedback": "X-rays scatter off electrons."},
    {"id": "b", "text": "Neutrons", "correct": True, "feedback": "Yes: neutrons see hydrogen well."},
    {"id": "c", "text": "Electrons"},
]}  # fmt: skip
MULTIPLE = {"mode": "partial", "options": [
    {"id": "a", "text": "Bragg peaks", "correct": True, "feedback": "Right, from the lattice."},
    {"id": "b", "text": "Diffuse scattering", "correct": True},
    {"id": "c", "text": "Fluorescence lines", "feedback": "Those are emission, not scattering."},
]}  # fmt: skip
NUMBER = {"value": "1.54", "unit": "A", "abs_tol": "0.01"}
TEXT = {"patterns": [{"pattern": "bragg", "match": "case_insensitive", "feedback": "Bragg's law it is."}],
        "feedback_wrong": "Think of the law relating angle and spacing."}  # fmt: skip
SECRETS = ("Yes: neutrons see hydrogen well", "Right, from the lattice", "1.54", "bragg", "Bragg's law it is",
           '"correct"', "abs_tol")  # fmt: skip


def make_quiz() -> Exercise:
    quiz = Exercise.objects.create(title="Scattering quiz", kind="quiz", prompt="Answer all four.")
    for order, (kind, spec, points) in enumerate(
        [("single", SINGLE, 1), ("multiple", MULTIPLE, 2), ("number", NUMBER, 1), ("text", TEXT, 1)]
    ):
        QuizQuestion.objects.create(exercise=quiz, kind=kind, spec=spec, points=points, sort_order=order,
                                    prompt=f"Prompt {order + 1}: which one?")  # fmt: skip
    assert exercise_validate(quiz)["ok"]
    return quiz


def place(course, exercise, slug="quiz"):
    lesson = LessonPageFactory(parent=course, title="Quiz", slug=slug)
    lesson.body = json.dumps([{"type": "exercise", "value": {"exercise": exercise.pk}}])
    lesson.save_revision().publish()
    return lesson


def set_policy(course, **fields) -> None:
    for name, value in fields.items():
        setattr(course, f"grading_{name}", value)
    course.save()


@pytest.fixture
def quiz(course):
    return make_quiz()


@pytest.fixture
def lesson(course, quiz):
    return place(course, quiz)


@pytest.fixture
def student(course, client):
    user = UserFactory(username="lise")
    enrolment_create(user=user, course=course)
    client.force_login(user)
    return user


def ids(quiz) -> list[str]:
    return [str(pk) for pk in quiz.questions.values_list("pk", flat=True)]


def submit(client, lesson, exercise, body):
    return client.post(f"/learn/exercises/{lesson.pk}/{exercise.pk}/submit", body,
                       content_type="application/json")  # fmt: skip


def status_of(client, lesson, response):
    return client.get(f"/learn/exercises/{lesson.pk}/submissions/{response.json()['submission']}")


# Authoring -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "spec", "message"),
    [
        ("single", {"options": [{"id": "a", "text": "A"}, {"id": "b", "text": "B"}]}, "at least one option"),
        ("single", {"options": "a, b"}, '"options": a list'),
        ("multiple", {"options": SINGLE["options"], "mode": "some"}, "mode must be one of"),
        ("number", {"unit": "mm"}, 'needs "value"'),
        ("number", {"value": 1, "unit": "furlong"}, "unknown unit 'furlong'"),
        ("number", {"value": 1, "abs_tol": -1}, "cannot be negative"),
        ("text", {"patterns": [{"pattern": "(", "match": "regex"}]}, "invalid regular expression"),
        ("text", {"patterns": []}, "at least one pattern"),
        ("single", {"options": SINGLE["options"], "typo": 1}, "unknown key(s) typo"),
        ("single", [1, 2], "must be a JSON object"),
    ],
)
def test_a_malformed_question_gives_a_clear_error_on_save(quiz, kind, spec, message):
    question = QuizQuestion(exercise=quiz, kind=kind, spec=spec, prompt="?", points=1)
    with pytest.raises(ValidationError) as error:
        question.full_clean()
    assert message in " ".join(error.value.message_dict["spec"])


def test_only_code_exercises_need_a_solution_and_a_quiz_needs_questions(db):
    with pytest.raises(ValidationError, match="reference solution"):
        Exercise(title="Code", kind="code").full_clean()
    Exercise(title="Quiz", kind="quiz").full_clean()
    with pytest.raises(ValidationError, match="Say what the student must answer"):
        Exercise(title="Essay", kind="free_response").full_clean()
    empty = Exercise.objects.create(title="Empty quiz", kind="quiz")
    assert not exercise_validate(empty)["ok"] and "at least one quiz question" in empty.validation["message"]


def test_the_admin_refuses_a_malformed_question(client, course):
    from django.contrib.auth.models import User

    client.force_login(User.objects.create_superuser("admin", "admin@example.org", "pw"))
    form = {"title": "Quiz", "kind": "quiz", "prompt": "", "starter_code": "", "solution_code": "", "setup_code": "",
            "response_points": "1", "late": "", "release_solution": "", "disclosure_default": "",
            "tests-TOTAL_FORMS": "0", "tests-INITIAL_FORMS": "0", "tests-MIN_NUM_FORMS": "0",
            "tests-MAX_NUM_FORMS": "1000", "questions-TOTAL_FORMS": "1", "questions-INITIAL_FORMS": "0",
            "questions-MIN_NUM_FORMS": "0", "questions-MAX_NUM_FORMS": "1000", "questions-0-kind": "number",
            "questions-0-prompt": "Wavelength?", "questions-0-points": "1", "questions-0-ORDER": "1",
            "questions-0-spec": json.dumps({"value": 1.54, "unit": "parsec"})}  # fmt: skip
    response = client.post("/admin/snippets/panlearn_exercises/exercise/add/", form)
    assert response.status_code == 200 and "unknown unit" in response.text
    assert not Exercise.objects.filter(title="Quiz").exists()
    form["questions-0-spec"] = json.dumps({"value": 1.54, "unit": "A", "abs_tol": 0.01})
    response = client.post("/admin/snippets/panlearn_exercises/exercise/add/", form)
    assert response.status_code == 302
    assert Exercise.objects.get(title="Quiz").is_valid  # validated without a runner


# A student answers -------------------------------------------------------------------------------------


def test_a_quiz_is_graded_at_once_with_feedback_per_question(client, lesson, quiz, student):
    single, multiple, number, text = ids(quiz)
    answers = {single: "b", multiple: ["a", "c"], number: "0.154 nm", text: "  BRAGG "}
    response = submit(client, lesson, quiz, {"answers": answers})
    assert response.status_code == 202 and response.json()["status"] == "graded"
    status = status_of(client, lesson, response).json()
    assert status["points"] == 3 and status["possible"] == 5 and status["attempt"] == 1
    feedback = {item["name"]: item for item in status["feedback"]}
    assert feedback["Question 1"]["passed"] and feedback["Question 1"]["message"] == "Yes: neutrons see hydrogen well."
    assert feedback["Question 2"]["points"] == 0 and "1 right option and 1 wrong option" in feedback["Question 2"][
        "message"] and "Those are emission" in feedback["Question 2"]["message"]  # fmt: skip
    assert feedback["Question 3"]["passed"]  # 0.154 nm is 1.54 Å
    assert feedback["Question 4"]["message"] == "Bragg's law it is."
    html = client.get(lesson.url).text
    assert "Attempt 1: 3 of 5 points" in html and 'value="b" checked' in html  # the last answers stay filled in


def test_odd_answers_get_feedback_not_errors(client, lesson, quiz, student):
    single, multiple, number, text = ids(quiz)
    response = submit(client, lesson, quiz, {"answers": {single: ["b"], multiple: 7, number: "5 keV", text: ""}})
    feedback = status_of(client, lesson, response).json()["feedback"]
    messages = [item["message"] for item in feedback]
    assert messages[0] == "No answer was given." and "No option was selected" in messages[1]
    assert "Expected a length" in messages[2] and messages[3] == "No answer was given."
    assert submit(client, lesson, quiz, {"answers": "b"}).status_code == 400
    check = f"/learn/exercises/{lesson.pk}/{quiz.pk}/check"  # quizzes have no check
    assert client.post(check, {"answers": {}}, content_type="application/json").status_code == 409


def test_a_number_can_be_answered_as_a_fraction(client, lesson, quiz, student):
    _, _, number, _ = ids(quiz)
    response = submit(client, lesson, quiz, {"answers": {number: "77/500 nm"}})  # 0.154 nm = 1.54 Å
    assert response.status_code == 202
    assert status_of(client, lesson, response).json()["feedback"][2]["passed"]
    response = submit(client, lesson, quiz, {"answers": {number: "1/0 nm"}})
    feedback = status_of(client, lesson, response).json()["feedback"][2]
    assert not feedback["passed"]
    assert feedback["message"] == "Cannot divide by zero: the number below the fraction bar is 0."


@pytest.mark.parametrize(
    "answers",
    [
        {},
        {"single": "", "multiple": [], "number": "  ", "text": ""},
        {"single": None, "multiple": ["", " "], "number": None, "text": "\n"},
        {"999999": "b"},  # not a question of this quiz
    ],
)
def test_an_empty_quiz_is_refused_without_using_an_attempt(client, course, lesson, quiz, student, answers):
    set_policy(course, max_attempts=1)
    by_kind = dict(zip(("single", "multiple", "number", "text"), ids(quiz), strict=True))
    answers = {by_kind.get(key, key): value for key, value in answers.items()}
    first = submit(client, lesson, quiz, {"answers": {by_kind["single"]: "b"}})
    assert first.status_code == 202
    outbox = OutboxStatement.objects.count()
    refused = submit(client, lesson, quiz, {"answers": answers})
    assert refused.status_code == 400
    assert refused.json()["message"] == "Answer at least one question before submitting: no attempt was used."
    assert Submission.objects.filter(user=student).count() == 1 and OutboxStatement.objects.count() == outbox
    assert ExerciseProgress.objects.get(user=student, exercise=quiz).attempts_used == 1
    html = client.get(lesson.url).text
    assert "Attempt 1: 1 of 5 points" in html and 'value="b" checked' in html  # the saved submit stands


def test_an_empty_quiz_does_not_spend_an_attempt(client, course, lesson, quiz, student):
    set_policy(course, max_attempts=1)
    single, *_ = ids(quiz)
    assert submit(client, lesson, quiz, {"answers": {}}).status_code == 400
    with pytest.raises(NothingAnswered):
        submission_create(user=student, exercise=quiz, kind=SubmissionKind.SUBMIT, course=course, answers={})
    partial = submit(client, lesson, quiz, {"answers": {single: "b"}})  # one of four answered: a valid submit
    assert partial.status_code == 202 and partial.json()["attempt"] == 1
    assert status_of(client, lesson, partial).json()["points"] == 1


# The policy ---------------------------------------------------------------------------------------------


def test_attempts_decay_and_the_deadline_lock_apply_to_quizzes(client, course, lesson, quiz, student):
    set_policy(course, max_attempts=2, decay_per_attempt=Decimal("0.5"))
    single, multiple, number, text = ids(quiz)
    right = {single: "b", multiple: ["a", "b"], number: "1.545", text: "Bragg"}
    first = submit(client, lesson, quiz, {"answers": {single: "a"}})
    second = submit(client, lesson, quiz, {"answers": right})
    assert status_of(client, lesson, first).json()["points"] == 0
    assert status_of(client, lesson, second).json()["points"] == 2.5  # 5 raw, attempt 2 halves it
    third = submit(client, lesson, quiz, {"answers": right})
    assert third.status_code == 409 and "all 2 attempts" in third.json()["message"]

    set_policy(course, max_attempts=None, deadline=timezone.now() - timedelta(hours=1), late="lock")
    locked = submit(client, lesson, quiz, {"answers": right})
    assert locked.status_code == 409 and "deadline has passed" in locked.json()["message"]
    assert Submission.objects.count() == 2


def test_a_regrade_grades_the_stored_answers_against_the_changed_questions(
    quiz, course, student, django_capture_on_commit_callbacks
):
    single, *_ = ids(quiz)
    submission = submission_create(user=student, exercise=quiz, kind=SubmissionKind.SUBMIT, course=course,
                                   answers={single: "a"})  # fmt: skip
    assert submission.points == 0
    spec = json.loads(json.dumps(SINGLE))
    spec["options"][0]["correct"] = True  # the trainer accepts X-rays too
    QuizQuestion.objects.filter(pk=single).update(spec=spec)
    with django_capture_on_commit_callbacks(execute=True):
        regrade_exercise(quiz)
    submission.refresh_from_db()
    assert (submission.previous_points, submission.points) == (0, 1)


# Answers never leak before the release --------------------------------------------------------------------


def test_answers_are_absent_from_the_page_and_the_api_before_the_release(client, course, lesson, quiz, student):
    set_policy(course, deadline=timezone.now() + timedelta(hours=1), release_solution=True)
    single, *_ = ids(quiz)
    html = client.get(lesson.url).text
    assert "Neutrons" in html and "Prompt 3" in html and "(a unit such as Å)" in html  # the questions are there
    response = submit(client, lesson, quiz, {"answers": {single: "c"}})
    status = status_of(client, lesson, response)
    for secret in SECRETS:
        assert secret not in html and secret not in response.text and secret not in status.text, secret
    assert status.json()["solution"] is None


def test_answers_are_shown_after_the_deadline_when_released(client, course, lesson, quiz, student):
    set_policy(course, deadline=timezone.now() - timedelta(hours=1), late="penalty", release_solution=True)
    single, *_ = ids(quiz)
    html = client.get(lesson.url).text
    assert "<h3>Answers</h3>" in html and "<strong>Neutrons</strong>" in html
    assert "<strong>Bragg peaks; Diffuse scattering</strong>" in html and "1.54 Å (± 0.01 Å)" in html
    status = status_of(client, lesson, submit(client, lesson, quiz, {"answers": {single: "b"}})).json()
    assert status["solution"]["answers"][3] == {"question": "Question 4", "prompt": "Prompt 4: which one?",
                                                "answer": "bragg"}  # fmt: skip


# Free response ---------------------------------------------------------------------------------------------


@pytest.fixture
def essay(course):
    exercise = Exercise.objects.create(title="Explain contrast", kind="free_response", response_points=4,
                                       prompt="Why does D2O change the contrast?",
                                       solution_code="Deuterium scatters differently from hydrogen.")  # fmt: skip
    assert exercise_validate(exercise)["ok"]
    return exercise


def test_a_free_response_waits_for_a_trainer_who_grades_it_with_a_comment(client, course, essay, student):
    lesson = place(course, essay, "essay")
    html = client.get(lesson.url).text
    assert "<textarea" in html and "Deuterium scatters" not in html  # the model answer is not released
    assert submit(client, lesson, essay, {"text": " "}).status_code == 400
    response = submit(client, lesson, essay, {"text": "Because deuterium has a different scattering length."})
    assert response.status_code == 202 and response.json()["status"] == "awaiting"
    assert status_of(client, lesson, response).json()["points"] is None
    assert "waiting to be graded by a trainer" in client.get(lesson.url).text

    trainer = UserFactory(username="grace")
    trainer.user_permissions.add(*Permission.objects.filter(codename__in=["access_admin", "change_exercise"]))
    course_grant_editing(course=course, user=trainer)  # an editor of the course whose lesson holds it
    client.force_login(trainer)
    book = client.get("/admin/exercises/gradebook/", {"to_grade": "1"}).text
    assert "needs grading" in book and "Because deuterium has a different scattering length." in book
    submission = Submission.objects.get()
    refused = client.post("/admin/exercises/gradebook/grade", {"submission": submission.pk, "points": "5",
                                                               "comment": ""}, follow=True)  # fmt: skip
    assert "between 0 and 4" in refused.text
    client.post("/admin/exercises/gradebook/grade", {"submission": submission.pk, "points": "3",
                                                     "comment": "Right idea; say which is negative."})  # fmt: skip
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.GRADED and submission.points == 3 and submission.graded_by == trainer
    assert "needs grading" not in client.get("/admin/exercises/gradebook/").text

    client.force_login(student)
    page = client.get(lesson.url).text
    assert "Attempt 1: 3 of 4 points" in page and "Trainer's comment: Right idea; say which is negative." in page
    status = status_of(client, lesson, response).json()
    assert status["points"] == 3 and status["message"] == "Right idea; say which is negative."


def test_a_late_free_response_loses_its_penalty_when_graded(course, essay, student):
    from exercises.submissions import response_grade

    set_policy(course, deadline=timezone.now() - timedelta(hours=2), late_penalty_per_day=Decimal("0.25"))
    submission = submission_create(user=student, exercise=essay, code="An answer.", kind=SubmissionKind.SUBMIT,
                                   course=course)  # fmt: skip
    with pytest.raises(SubmissionRefused):
        submission_create(user=student, exercise=essay, code="x", kind=SubmissionKind.CHECK, course=course)
    graded = response_grade(submission=submission, points=4, comment="Good.", by=None)
    assert (graded.raw_points, graded.points) == (4, 3)
    assert any("started day" in item["message"] for item in graded.feedback)
