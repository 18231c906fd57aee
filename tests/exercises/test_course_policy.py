"""Course grading policies through the real models: a course's defaults, an exercise's overrides, the course
of the lesson a student submits from, disclosure defaults, and the solution's release after the deadline."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from courses.services import enrolment_create
from exercises.models import Exercise, ExerciseTest, Submission, SubmissionKind
from exercises.policy_lookup import policy_for
from exercises.submissions import SubmissionRefused, regrade_exercise, submission_create
from tests.exercises.test_submissions import HIDDEN, PUBLIC, SOLUTION, STARTER
from tests.factories import CoursePageFactory, LessonPageFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

WRONG = "def q_from(two_theta_deg, wavelength):\n    return 8.8857658763\n"  # passes the public test only
HOUR = timedelta(hours=1)


def make_exercise(**fields) -> Exercise:
    exercise = Exercise.objects.create(title="Momentum transfer", solution_code=SOLUTION, starter_code=STARTER,
                                       validation={"ok": True}, **fields)  # fmt: skip
    ExerciseTest.objects.create(exercise=exercise, name="test_public", source=PUBLIC, points=1, sort_order=0)
    ExerciseTest.objects.create(exercise=exercise, name="test_hidden_edge", source=HIDDEN, points=2, hidden=True,
                                sort_order=1)  # fmt: skip
    return exercise


def set_policy(course, **fields) -> None:
    for name, value in fields.items():
        setattr(course, f"grading_{name}", value)
    course.save()


def place(course, exercise, slug="exercise"):
    lesson = LessonPageFactory(parent=course, title="Exercise", slug=slug)
    lesson.body = json.dumps([{"type": "exercise", "value": {"exercise": exercise.pk}}])
    lesson.save_revision().publish()
    return lesson


@pytest.fixture
def no_grading(settings):
    """Submits are numbered and refused or accepted; nothing is graded (the policy is about numbering)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


@pytest.fixture
def student(db):
    return UserFactory(username="marie")


# Attempts and deadlines (numbering only, no runner) ------------------------------------------------


def test_the_course_limits_attempts_unless_the_exercise_says_otherwise(course, student, no_grading):
    set_policy(course, max_attempts=2)
    inherits = make_exercise()
    for _ in range(2):
        submission_create(user=student, exercise=inherits, code="x", kind=SubmissionKind.SUBMIT, course=course)
    with pytest.raises(SubmissionRefused, match="all 2 attempts"):
        submission_create(user=student, exercise=inherits, code="x", kind=SubmissionKind.SUBMIT, course=course)
    unlimited = make_exercise(max_attempts=0)
    for _ in range(3):
        submission_create(user=student, exercise=unlimited, code="x", kind=SubmissionKind.SUBMIT, course=course)
    own = make_exercise(max_attempts=1)
    submission_create(user=student, exercise=own, code="x", kind=SubmissionKind.SUBMIT, course=course)
    with pytest.raises(SubmissionRefused, match="only attempt"):
        submission_create(user=student, exercise=own, code="x", kind=SubmissionKind.SUBMIT, course=course)
    # Checks never count.
    submission_create(user=student, exercise=inherits, code="x", kind=SubmissionKind.CHECK, course=course)


def test_the_course_deadline_locks_unless_the_exercise_has_none_or_its_own(course, student, no_grading):
    set_policy(course, deadline=timezone.now() - HOUR, late="lock")
    locked = make_exercise()
    with pytest.raises(SubmissionRefused, match="deadline has passed"):
        submission_create(user=student, exercise=locked, code="x", kind=SubmissionKind.SUBMIT, course=course)
    assert not Submission.objects.exists()
    free = make_exercise(no_deadline=True)
    submission_create(user=student, exercise=free, code="x", kind=SubmissionKind.SUBMIT, course=course)
    later = make_exercise(deadline=timezone.now() + HOUR)
    submission_create(user=student, exercise=later, code="x", kind=SubmissionKind.SUBMIT, course=course)
    penalised = make_exercise(late="penalty")  # the course's deadline, its own late rule
    submission_create(user=student, exercise=penalised, code="x", kind=SubmissionKind.SUBMIT, course=course)
    assert Submission.objects.count() == 3


def test_one_exercise_in_two_courses_follows_the_lesson_it_is_submitted_from(client, course, catalogue, student,
                                                                             no_grading):  # fmt: skip
    strict = CoursePageFactory(parent=catalogue, title="Strict", slug="strict")
    set_policy(strict, deadline=timezone.now() - HOUR, late="lock")
    exercise = make_exercise()
    open_lesson, strict_lesson = place(course, exercise, "open"), place(strict, exercise, "strict")
    for each in (course, strict):
        enrolment_create(user=student, course=each)
    client.force_login(student)
    body = {"code": SOLUTION}
    refused = client.post(f"/learn/exercises/{strict_lesson.pk}/{exercise.pk}/submit", body,
                          content_type="application/json")  # fmt: skip
    assert refused.status_code == 409 and "deadline has passed" in refused.json()["message"]
    accepted = client.post(f"/learn/exercises/{open_lesson.pk}/{exercise.pk}/submit", body,
                           content_type="application/json")  # fmt: skip
    assert accepted.status_code == 202
    assert Submission.objects.get().course_id == course.pk  # grading and regrades use this course's policy


def test_the_lesson_shows_the_policy_in_force(client, course, student):
    set_policy(course, max_attempts=4, deadline=timezone.now() + timedelta(days=2), late_penalty_per_day=Decimal("0.1"))
    lesson = place(course, make_exercise())
    enrolment_create(user=student, course=course)
    client.force_login(student)
    html = client.get(lesson.url).text
    assert 'data-max-attempts="4"' in html and "4 attempts allowed" in html
    assert "Deadline:" in html and "late submissions lose 10% per started day" in html


# Points: decay and late penalties from the course, applied at grading and regrading (real sandbox) ----


def test_the_course_decay_and_late_penalty_apply_to_the_points(runner_settings, course, student):
    set_policy(course, decay_per_attempt=Decimal("0.25"), min_factor=Decimal("0.5"))
    exercise = make_exercise()
    first = submission_create(user=student, exercise=exercise, code=WRONG, kind=SubmissionKind.SUBMIT, course=course)
    second = submission_create(user=student, exercise=exercise, code=SOLUTION, kind=SubmissionKind.SUBMIT,
                               course=course)  # fmt: skip
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.raw_points, first.points) == (1, 1)
    assert (second.raw_points, second.points) == (3, Decimal("2.25"))  # attempt 2 keeps 75 %

    set_policy(course, decay_per_attempt=0, deadline=timezone.now() - HOUR, late_penalty_per_day=Decimal("0.2"))
    late = submission_create(user=student, exercise=exercise, code=SOLUTION, kind=SubmissionKind.SUBMIT,
                             course=course)  # fmt: skip
    late.refresh_from_db()
    assert late.points == Decimal("2.40")  # one started day late: 20 % off

    own = make_exercise(decay_per_attempt=Decimal("0"), no_deadline=True)
    for code in (WRONG, SOLUTION):
        submission = submission_create(user=student, exercise=own, code=code, kind=SubmissionKind.SUBMIT,
                                       course=course)  # fmt: skip
    submission.refresh_from_db()
    assert submission.points == 3  # the exercise's own rules: no decay, no deadline


def test_a_regrade_applies_the_policy_of_the_course_the_work_was_submitted_in(runner_settings, course, catalogue,
                                                                            student):  # fmt: skip
    other = CoursePageFactory(parent=catalogue, title="Other", slug="other")
    set_policy(course, decay_per_attempt=Decimal("0.5"))
    exercise = make_exercise()
    submission_create(user=student, exercise=exercise, code=WRONG, kind=SubmissionKind.SUBMIT, course=course)
    second = submission_create(user=student, exercise=exercise, code=SOLUTION, kind=SubmissionKind.SUBMIT,
                               course=course)  # fmt: skip
    elsewhere = submission_create(user=UserFactory(username="pierre"), exercise=exercise, code=SOLUTION,
                                  kind=SubmissionKind.SUBMIT, course=other)  # fmt: skip
    exercise.tests.filter(name="test_public").update(points=3)
    regrade_exercise(exercise)
    second.refresh_from_db()
    elsewhere.refresh_from_db()
    assert (second.raw_points, second.points) == (5, Decimal("2.50"))  # attempt 2 in a course that halves it
    assert elsewhere.points == 5  # the other course has no decay


# Feedback disclosure ------------------------------------------------------------------------------


def test_the_course_disclosure_applies_to_tests_that_inherit_it(runner_settings, course, student):
    set_policy(course, disclosure="pass_fail")
    exercise = make_exercise()
    check = submission_create(user=student, exercise=exercise, code=STARTER, kind=SubmissionKind.CHECK, course=course)
    check.refresh_from_db()
    assert check.feedback == [{"kind": "test", "name": "test_public", "passed": False}]  # no message, no points

    exercise.disclosure_default = "hide"  # the exercise's own default wins over the course's
    exercise.save()
    again = submission_create(user=student, exercise=exercise, code=WRONG, kind=SubmissionKind.CHECK, course=course)
    again.refresh_from_db()
    assert again.feedback == []

    exercise.tests.filter(name="test_public").update(disclosure="show")  # a test's own setting wins over both
    shown = submission_create(user=student, exercise=exercise, code=STARTER + "\n", kind=SubmissionKind.CHECK,
                              course=course)  # fmt: skip
    shown.refresh_from_db()
    assert shown.feedback[0]["message"] and "Q at 90 degrees" in shown.feedback[0]["message"]


def test_new_tests_inherit_and_existing_rules_read_back_as_a_policy(course):
    exercise = make_exercise()
    assert set(exercise.tests.values_list("disclosure", flat=True)) == {"inherit"}
    set_policy(course, max_attempts=3, release_solution=True, disclosure="hide_if_passed", late="lock")
    policy = policy_for(exercise, course)
    assert (policy.max_attempts, policy.release_solution_after_deadline, policy.late) == (3, True, "lock")
    assert policy.disclosure_default == "hide_if_passed"
    exercise.max_attempts, exercise.release_solution, exercise.late = 0, "no", "penalty"
    policy = policy_for(exercise, course)
    assert (policy.max_attempts, policy.release_solution_after_deadline, policy.late) == (None, False, "penalty")
    assert policy_for(exercise, None).max_attempts is None  # no course: no limits


# The reference solution: absent before the deadline, shown after it when the policy releases it ---------


@pytest.fixture
def solution_lesson(course, student):
    exercise = make_exercise()
    lesson = place(course, exercise)
    enrolment_create(user=student, course=course)
    return exercise, lesson


def _api_and_html(client, lesson, exercise, student):
    client.force_login(student)
    html = client.get(lesson.url).text
    check = client.post(f"/learn/exercises/{lesson.pk}/{exercise.pk}/check", {"code": STARTER},
                        content_type="application/json")  # fmt: skip
    assert check.status_code == 202, check.content
    status = client.get(f"/learn/exercises/{lesson.pk}/submissions/{check.json()['submission']}")
    return html, check.text + status.text, status.json()


SOLUTION_LINE = "return 4 * math.pi * math.sin"


@pytest.mark.usefixtures("no_grading")
def test_the_solution_is_absent_before_the_deadline(client, course, solution_lesson, student):
    exercise, lesson = solution_lesson
    set_policy(course, deadline=timezone.now() + HOUR, release_solution=True)
    html, api, status = _api_and_html(client, lesson, exercise, student)
    assert SOLUTION_LINE not in html and "Reference solution" not in html
    assert SOLUTION_LINE not in api and status["solution"] is None


@pytest.mark.usefixtures("no_grading")
def test_the_solution_is_absent_after_the_deadline_unless_released(client, course, solution_lesson, student):
    exercise, lesson = solution_lesson
    set_policy(course, deadline=timezone.now() - HOUR, release_solution=False)
    html, api, status = _api_and_html(client, lesson, exercise, student)
    assert SOLUTION_LINE not in html and SOLUTION_LINE not in api and status["solution"] is None
    exercise.release_solution = "yes"  # the exercise releases it although the course does not
    exercise.save()
    html, api, status = _api_and_html(client, lesson, exercise, student)
    assert SOLUTION_LINE in html and status["solution"]["code"] == SOLUTION


@pytest.mark.usefixtures("no_grading")
def test_the_solution_is_shown_after_the_deadline_and_hidden_tests_never(client, course, solution_lesson, student):
    exercise, lesson = solution_lesson
    set_policy(course, deadline=timezone.now() - HOUR, release_solution=True)
    html, api, status = _api_and_html(client, lesson, exercise, student)
    assert "Reference solution" in html and "4 * math.pi * math.sin(math.radians(two_theta_deg) / 2)" in html
    assert status["solution"] == {"code": SOLUTION}
    for text in (html, api):
        assert "test_hidden_edge" not in text and "q_from(0, 1.54)" not in text


def test_the_course_editor_sets_the_grading_policy(client, course):
    from django.contrib.auth.models import User

    admin = User.objects.create_superuser("admin", "admin@example.org", "pw")
    client.force_login(admin)
    form = client.get(f"/admin/pages/{course.pk}/edit/").text
    assert "Grading policy" in form and 'name="grading_max_attempts"' in form and 'name="grading_disclosure"' in form
