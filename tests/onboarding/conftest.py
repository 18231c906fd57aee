"""A facility with a one-course programme whose final quiz is graded at once (five 1-point questions)."""

import json

import pytest

from courses.services import enrolment_create
from exercises.models import Exercise, QuizQuestion
from exercises.submissions import exercise_validate, submission_create
from onboarding import services
from tests.factories import CoursePageFactory, FacilityFactory, LessonPageFactory, UserFactory

SINGLE = {"options": [{"id": "a", "text": "Right", "correct": True}, {"id": "b", "text": "Wrong"}]}


def make_quiz(title: str, questions: int = 5) -> Exercise:
    quiz = Exercise.objects.create(title=title, kind="quiz", prompt="Answer.")
    for order in range(questions):
        QuizQuestion.objects.create(exercise=quiz, kind="single", spec=SINGLE, points=1, sort_order=order,
                                    prompt=f"Question {order + 1}")  # fmt: skip
    assert exercise_validate(quiz)["ok"]
    return quiz


def make_course(catalogue, title: str, quiz: Exercise | None, lessons: int = 2):
    course = CoursePageFactory(parent=catalogue, title=title, slug=title.lower().replace(" ", "-"))
    for number in range(1, lessons + 1):
        LessonPageFactory(parent=course, title=f"{title} {number}", slug=f"{course.slug}-{number}")
    if quiz is not None:
        lesson = LessonPageFactory(parent=course, title=f"{title} quiz", slug=f"{course.slug}-quiz")
        lesson.body = json.dumps([{"type": "exercise", "value": {"exercise": quiz.pk}}])
        lesson.save_revision().publish()
    return course


def answer(user, quiz: Exercise, *, right: int, course=None):
    """Submit the quiz with `right` of its questions answered correctly."""
    ids = [str(pk) for pk in quiz.questions.values_list("pk", flat=True)]
    answers = {qid: ("a" if i < right else "b") for i, qid in enumerate(ids)}
    return submission_create(user=user, exercise=quiz, kind="submit", course=course, answers=answers)


@pytest.fixture
def facility(db):
    return FacilityFactory(short_name="PDS", name="PaN Demo Source", ror_id="https://ror.org/000000000")


@pytest.fixture
def quiz(db):
    return make_quiz("Safety quiz")


@pytest.fixture
def safety(catalogue, quiz):
    return make_course(catalogue, "Safety induction", quiz)


@pytest.fixture
def programme(facility, safety, quiz):
    return services.programme_create(
        facility=facility, name="General safety", courses=[(safety, quiz, 80)], validity_months=12,
        requirements=[{"role": "", "instrument": "", "experiment_type": ""}],
    )  # fmt: skip


@pytest.fixture
def learner(db, safety):
    user = UserFactory(username="lise", email="lise@example.org")
    enrolment_create(user=user, course=safety)
    return user
