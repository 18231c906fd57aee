"""Check and submit through the real queue (immediate backend) and a real sandboxed kernel."""

import threading
from datetime import timedelta

import pytest
from django.db import close_old_connections
from django.utils import timezone

from exercises.models import Exercise, ExerciseTest, Submission, SubmissionKind, SubmissionStatus
from exercises.submissions import SubmissionRefused, regrade_exercise, requeue_stale, submission_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

SOLUTION = (
    "def q_from(two_theta_deg, wavelength):\n"
    "    import math\n"
    "    return 4 * math.pi * math.sin(math.radians(two_theta_deg) / 2) / wavelength\n"
)
STARTER = "def q_from(two_theta_deg, wavelength):\n    return 0.0\n"
PUBLIC = "def test_public():\n    assert abs(q_from(90, 1.0) - 8.8857658763) < 1e-6, 'Q at 90 degrees and 1 Å'\n"
HIDDEN = (
    "def test_hidden_edge():\n    assert q_from(0, 1.54) == 0\n    assert abs(q_from(180, 2.0) - 6.2831853) < 1e-6\n"
)


@pytest.fixture
def exercise(runner_settings):
    exercise = Exercise.objects.create(title="Momentum transfer", solution_code=SOLUTION, starter_code=STARTER,
                                       max_attempts=2)  # fmt: skip
    ExerciseTest.objects.create(exercise=exercise, name="test_public", source=PUBLIC, points=1, sort_order=0)
    ExerciseTest.objects.create(exercise=exercise, name="test_hidden_edge", source=HIDDEN, points=2, hidden=True,
                                sort_order=1)  # fmt: skip
    return exercise


@pytest.fixture
def student(db):
    return UserFactory(username="marie")


def test_check_runs_the_public_tests_and_uses_no_attempt(exercise, student):
    submission = submission_create(user=student, exercise=exercise, code=SOLUTION, kind=SubmissionKind.CHECK)
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.GRADED and submission.attempt is None
    assert submission.points == 1 and submission.possible == 1
    assert "test_hidden_edge" not in str(submission.feedback) and "q_from(0, 1.54)" not in str(submission.feedback)


def test_submit_grades_every_test_and_never_shows_a_hidden_one(exercise, student):
    wrong = "def q_from(two_theta_deg, wavelength):\n    return 8.8857658763\n"  # fits the public test only
    first = submission_create(user=student, exercise=exercise, code=wrong, kind=SubmissionKind.SUBMIT)
    first.refresh_from_db()
    assert first.attempt == 1 and first.points == 1 and first.possible == 3
    feedback = str(first.feedback)
    assert "test_hidden_edge" not in feedback and "6.2831853" not in feedback and "1.54" not in feedback
    assert first.breakdown["outcomes"][1]["name"] == "test_hidden_edge"  # the trainers' record has it
    second = submission_create(user=student, exercise=exercise, code=SOLUTION, kind=SubmissionKind.SUBMIT)
    second.refresh_from_db()
    assert second.attempt == 2 and second.points == 3
    with pytest.raises(SubmissionRefused):
        submission_create(user=student, exercise=exercise, code=SOLUTION, kind=SubmissionKind.SUBMIT)
    assert Submission.objects.filter(kind=SubmissionKind.SUBMIT).count() == 2


def test_two_submits_at_once_get_two_attempt_numbers(exercise, student, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}  # numbering only
    barrier, errors = threading.Barrier(2), []

    def submit():
        try:
            barrier.wait()
            submission_create(user=student, exercise=exercise, code=SOLUTION, kind=SubmissionKind.SUBMIT)
        except Exception as error:  # recorded, so the test fails with it
            errors.append(error)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    assert sorted(Submission.objects.values_list("attempt", flat=True)) == [1, 2]


def test_the_database_worker_takes_a_grade_before_work_queued_ahead_of_it(exercise, student, settings):
    """On the database backend grades stay on the one queue that `db_worker` serves, with a higher priority."""
    from django_tasks_db.models import DBTaskResult

    from tracking.tasks import deliver_statements

    settings.TASKS = {"default": settings.TASK_BACKENDS["database"]}
    for _ in range(3):
        deliver_statements.enqueue()
    submission_create(user=student, exercise=exercise, code=SOLUTION, kind=SubmissionKind.SUBMIT)
    ready = DBTaskResult.objects.ready()  # what db_worker reads, in its order
    assert ready.count() >= 4 and {task.queue_name for task in ready} == {"default"}
    assert ready.first().task_path == "exercises.tasks.grade_submission"
    # A trainer's regrade of the whole exercise is nobody's wait: it queues with the rest, not ahead.
    DBTaskResult.objects.all().delete()
    Submission.objects.update(status=SubmissionStatus.GRADED, points=1)
    assert regrade_exercise(exercise) == 1
    (regrade,) = DBTaskResult.objects.filter(task_path="exercises.tasks.grade_submission")
    assert regrade.priority == 0 and regrade.queue_name == "default"


def test_a_worker_killed_mid_grade_is_graded_again_without_a_second_attempt(exercise, student, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    submission = submission_create(user=student, exercise=exercise, code=SOLUTION, kind=SubmissionKind.SUBMIT)
    # The worker marked it as being graded, then died.
    Submission.objects.filter(pk=submission.pk).update(
        status=SubmissionStatus.GRADING, grading_started_at=timezone.now() - timedelta(minutes=10)
    )
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    assert requeue_stale() == 1
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.GRADED and submission.points == 3 and submission.attempt == 1
    assert Submission.objects.count() == 1


def test_the_runner_down_then_back_loses_nothing(exercise, student, settings, kernel_host):
    socket = settings.PANLEARN_RUNNER_SOCKET
    settings.PANLEARN_RUNNER_SOCKET = "/nonexistent/runner.sock"
    submission = submission_create(user=student, exercise=exercise, code=SOLUTION, kind=SubmissionKind.SUBMIT)
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.QUEUED and "restarting" in submission.message
    settings.PANLEARN_RUNNER_SOCKET = socket
    assert requeue_stale(now=timezone.now() + timedelta(minutes=10)) == 1
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.GRADED and submission.points == 3


def test_the_same_code_reuses_its_result(exercise, student):
    first = submission_create(user=student, exercise=exercise, code=STARTER, kind=SubmissionKind.CHECK)
    again = submission_create(user=student, exercise=exercise, code=STARTER, kind=SubmissionKind.CHECK)
    first.refresh_from_db()
    again.refresh_from_db()
    assert first.points == again.points == 0 and again.breakdown["outcomes"] == first.breakdown["outcomes"]


def test_the_requeue_command_grades_what_was_left(exercise, student, settings):
    from io import StringIO

    from django.core.management import call_command

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    submission = submission_create(user=student, exercise=exercise, code=SOLUTION, kind=SubmissionKind.CHECK)
    Submission.objects.filter(pk=submission.pk).update(submitted_at=timezone.now() - timedelta(minutes=10))
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    out = StringIO()
    call_command("exercises", "requeue", stdout=out)
    assert "1 submission(s) queued again" in out.getvalue()
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.GRADED and submission.points == 1


def test_a_regrade_after_the_tests_change_reports_who_went_up(exercise, student, client):
    from django.contrib.auth.models import Permission

    from exercises.submissions import exercise_validate, regrade_changes

    wrong = "def q_from(two_theta_deg, wavelength):\n    return 8.8857658763\n"
    other = UserFactory(username="pierre")
    exercise_validate(exercise)  # as saving it in the admin does: version 1 graded
    submission_create(user=student, exercise=exercise, code=SOLUTION, kind=SubmissionKind.SUBMIT)
    submission_create(user=other, exercise=exercise, code=wrong, kind=SubmissionKind.SUBMIT)
    exercise.tests.filter(name="test_public").update(points=3)
    exercise_validate(exercise)
    assert exercise.version == 2
    trainer = UserFactory(username="trainer")
    trainer.user_permissions.add(*Permission.objects.filter(codename__in=["access_admin", "change_exercise"]))
    Exercise.objects.filter(pk=exercise.pk).update(owner=trainer)  # its author; no course uses it
    client.force_login(trainer)
    response = client.post(f"/admin/exercises/{exercise.pk}/regrade", follow=True)
    assert "2 submission(s)" in response.text
    changes = {item.user.username: (item.previous_points, item.points) for item in regrade_changes(exercise)}
    assert changes == {"marie": (3, 5), "pierre": (1, 3)}
    assert "up" in response.text and Submission.objects.filter(exercise_version=2).count() == 2
    assert Submission.objects.get(user=other).attempt == 1  # no attempt counted again


def test_the_exercise_policy_decays_points_and_locks_after_the_deadline(exercise, student):
    exercise.max_attempts, exercise.decay_per_attempt, exercise.min_factor = None, 0.25, 0.5
    exercise.save()
    first = submission_create(user=student, exercise=exercise, code=STARTER, kind=SubmissionKind.SUBMIT)
    second = submission_create(user=student, exercise=exercise, code=SOLUTION, kind=SubmissionKind.SUBMIT)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.points == 0 and second.raw_points == 3 and second.points == 2.25  # attempt 2 keeps 75 %
    exercise.deadline, exercise.late = timezone.now() - timedelta(hours=1), "lock"
    exercise.save()
    with pytest.raises(SubmissionRefused):
        submission_create(user=student, exercise=exercise, code=SOLUTION, kind=SubmissionKind.SUBMIT)
    assert Submission.objects.filter(kind=SubmissionKind.SUBMIT).count() == 2
