"""Check and submit: the submission row first, then grading in a task (`exercises.grading`).

1. `submission_create` commits the student's code, its hash, the exercise version and (for a
   submit) the attempt number, under a lock on the student's progress row: two submits at once
   get attempts n and n+1, never the same number, and never more than the policy allows.
2. After the commit a task is queued (django-tasks; the database backend by default).
3. The task runs `exercises.grading.pipeline.grade`: the code in a fresh sandbox, then points,
   policy and the feedback a student may see; the full breakdown stays on the row for trainers.

Grading is idempotent: a row already graded is left alone, and one whose worker died while
grading is queued again by `requeue_stale` (its attempt is not counted twice: the number was
given when the row was made). When the runner is down the row goes back to the queue and the
task is queued again for later.
"""

import hashlib
import time
from datetime import timedelta

from django.db import OperationalError, transaction
from django.db.models import F, Q
from django.utils import timezone

from runner.exceptions import RunnerError
from tracking import interface as tracking

from . import policy_rules, quiz_specs, scoring
from .grading.pipeline import run, store
from .grading.specs import stored_questions, test_specs
from .models import Exercise, ExerciseKind, ExerciseProgress, Submission, SubmissionKind, SubmissionStatus
from .policy_lookup import policy_for
from .tasks import enqueue_grading

STALE_AFTER = timedelta(minutes=5)


class SubmissionRefused(Exception):
    """The policy does not allow this submit; the message says why in plain words."""


class NothingAnswered(SubmissionRefused):
    """A quiz sent without a single answer: refused before an attempt is taken, so it costs none."""

    def __init__(self):
        super().__init__("Answer at least one question before submitting: no attempt was used.")


def content_hash(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8", errors="replace")).hexdigest()


def submission_create(
    *, user, exercise: Exercise, code: str = "", kind: str, course=None, answers: dict | None = None
) -> Submission:
    """Commit the submission (see the module's docstring). `course` is the course of the lesson it
    comes from: its grading policy applies. A quiz (`answers`, by question id) is graded at once, in
    this transaction; a free response (its text in `code`) waits for a trainer. Only code exercises
    have checks. SQLite refuses a write while another transaction holds the table instead of
    waiting, so a locked database is tried again briefly."""
    if exercise.kind != ExerciseKind.CODE and kind != SubmissionKind.SUBMIT:
        raise SubmissionRefused("Only code exercises can be checked; submit your answers.")
    if exercise.kind == ExerciseKind.QUIZ and not quiz_specs.answered_any(stored_questions(exercise), answers or {}):
        raise NothingAnswered()
    for delay in (0.05, 0.1, 0.2, 0.4, 0.8, None):
        try:
            return _submission_create(user=user, exercise=exercise, code=code, kind=kind, course=course,
                                      answers=answers or {})  # fmt: skip
        except OperationalError as error:
            if delay is None or "locked" not in str(error):
                raise
            time.sleep(delay)
    raise AssertionError("unreachable")


@transaction.atomic
def _submission_create(*, user, exercise: Exercise, code: str, kind: str, course, answers: dict) -> Submission:
    attempt = None
    if kind == SubmissionKind.SUBMIT:
        progress, _ = ExerciseProgress.objects.get_or_create(user=user, exercise=exercise)
        # One UPDATE takes the number: the row is write-locked until commit (PostgreSQL and SQLite
        # alike), so two submits at once get n and n+1. A refused submit rolls the number back.
        ExerciseProgress.objects.filter(pk=progress.pk).update(attempts_used=F("attempts_used") + 1)
        attempt = ExerciseProgress.objects.values_list("attempts_used", flat=True).get(pk=progress.pk)
        allowed, reason = policy_rules.can_submit(policy_for(exercise, course), attempt - 1, timezone.now())
        if not allowed:
            raise SubmissionRefused(reason)
    submission = Submission.objects.create(
        exercise=exercise,
        user=user,
        course=course,
        kind=kind,
        attempt=attempt,
        code=code,
        answers=answers,
        content_hash=content_hash(code),
        exercise_version=exercise.version,
        status=SubmissionStatus.AWAITING if exercise.kind == ExerciseKind.FREE_RESPONSE else SubmissionStatus.QUEUED,
        possible=exercise.response_points if exercise.kind == ExerciseKind.FREE_RESPONSE else None,
    )
    with tracking.batch():  # a quiz records answered (the quiz, each question), scored and passed/failed: one write
        if exercise.kind == ExerciseKind.QUIZ:
            submission.exercise = exercise
            questions = stored_questions(exercise)
            outcomes = quiz_specs.grade_answers(questions, answers)
            tracking.exercise_answered(submission, questions=quiz_specs.interactions(questions, answers, outcomes))
            return store(submission, test_specs(exercise), outcomes)
        tracking.exercise_answered(submission)
    if exercise.kind == ExerciseKind.CODE:
        transaction.on_commit(lambda: enqueue_grading(submission.pk))
    return submission


def requeue_stale(*, now=None) -> int:
    """Rows left 'grading' by a worker that died, or left queued while the runner was down: graded
    again (their attempt stays as it was)."""
    cutoff = (now or timezone.now()) - STALE_AFTER
    stale = list(
        Submission.objects.filter(
            Q(status=SubmissionStatus.GRADING, grading_started_at__lt=cutoff)
            | Q(status=SubmissionStatus.QUEUED, submitted_at__lt=cutoff)
        ).values_list("pk", flat=True)
    )
    for submission_id in stale:
        Submission.objects.filter(pk=submission_id).exclude(status=SubmissionStatus.GRADED).update(
            status=SubmissionStatus.QUEUED, message="Graded again: the first try was interrupted."
        )
        enqueue_grading(submission_id)
    return len(stale)


# -- validating an exercise by real runs -----------------------------------------------------------


def graded_digest(exercise: Exercise) -> str:
    """What grading depends on: a change to any of it makes a new exercise version."""
    parts = [exercise.kind, exercise.solution_code, exercise.setup_code]
    parts += [f"{question.kind}\0{question.spec}\0{question.points}" for question in exercise.questions.all()]
    parts += [
        f"{test.name}\0{test.source}\0{test.points}\0{test.hidden}\0{test.timeout}" for test in exercise.tests.all()
    ]
    return hashlib.sha256("\0\0".join(parts).encode()).hexdigest()


def exercise_validate(exercise: Exercise, *, client=None) -> dict:
    """Grade the reference solution and the starter code with every test; store and return the report.

    The solution must score full marks and the starter must not (an exercise the starter already
    passes tests nothing). A change to what grading depends on bumps the exercise's version.
    """
    digest = graded_digest(exercise)
    if digest != exercise.graded_digest:
        if exercise.graded_digest:
            exercise.version += 1
        exercise.graded_digest = digest
    specs = test_specs(exercise)
    report: dict = {"ok": False, "message": ""}
    if exercise.kind != ExerciseKind.CODE:
        report = _validate_without_runs(exercise)
    elif not specs:
        report["message"] = "Add at least one test."
    else:
        try:
            for label, code in (("solution", exercise.solution_code), ("starter", exercise.starter_code)):
                probe = Submission(exercise=exercise, kind=SubmissionKind.SUBMIT, code=code)
                outcomes = run(probe, client=client)
                breakdown = scoring.score(outcomes, specs)
                report[label] = {"points": float(breakdown.total), "possible": float(breakdown.possible),
                                 "tests": outcomes}  # fmt: skip
            full = report["solution"]["points"] == report["solution"]["possible"]
            starter_full = report["starter"]["points"] == report["starter"]["possible"]
            report["ok"] = full and not starter_full
            if not full:
                report["message"] = "The reference solution does not score full marks: see its test results."
            elif starter_full:
                report["message"] = "The starter code already scores full marks: the tests do not test the task."
            else:
                report["message"] = "Validated: the reference solution scores full marks and the starter does not."
        except RunnerError as error:
            report["message"] = f"Could not validate now: {error.message} Save again when the code service is back."
    exercise.validation = report
    Exercise.objects.filter(pk=exercise.pk).update(
        version=exercise.version, graded_digest=exercise.graded_digest, validation=report
    )
    return report


def _validate_without_runs(exercise: Exercise) -> dict:
    """A quiz is valid when it has questions and each one builds (the admin has checked them on save);
    a free response when it has a prompt."""
    if exercise.kind == ExerciseKind.FREE_RESPONSE:
        if not exercise.prompt.strip():
            return {"ok": False, "message": "Write the prompt the student answers."}
        return {"ok": True, "message": "Ready: students' answers will wait in the gradebook for you to grade."}
    questions = list(exercise.questions.all())
    if not questions:
        return {"ok": False, "message": "Add at least one quiz question."}
    for number, question in enumerate(questions, 1):
        try:
            quiz_specs.build_question(question.kind, question.spec)
        except quiz_specs.QuestionSpecError as error:
            return {"ok": False, "message": f"Question {number}: {error}"}
    return {"ok": True, "message": f"Validated: {len(questions)} question(s), graded as soon as a student submits."}


@transaction.atomic
def response_grade(*, submission: Submission, points, comment: str, by) -> Submission:
    """A trainer grades a free response: the points (at most the exercise's) under the course's policy
    (attempt decay, late penalty), and the comment the student sees."""
    from .scoring import to_decimal

    raw = to_decimal(points)
    possible = submission.exercise.response_points
    if not 0 <= raw <= possible:
        raise ValueError(f"The points must be between 0 and {possible}.")
    policy = policy_for(submission.exercise, submission.course)
    adjusted = policy_rules.final_points(raw, possible, policy, submission.attempt or 1, submission.submitted_at)
    submission.status, submission.graded_at, submission.graded_by = SubmissionStatus.GRADED, timezone.now(), by
    submission.raw_points, submission.points, submission.possible = adjusted.raw_points, adjusted.points, possible
    submission.message = comment.strip()
    submission.feedback = [{"kind": "comment", "message": submission.message}] if submission.message else []
    submission.feedback += [{"kind": "policy", "message": line} for line in adjusted.explanations]
    submission.save(update_fields=["status", "graded_at", "graded_by", "raw_points", "points", "possible",
                                   "message", "feedback"])  # fmt: skip
    tracking.exercise_graded(submission)
    return submission


# -- regrading ----------------------------------------------------------------------------------------


def regrade_exercise(exercise: Exercise) -> int:
    """Grade every submit again against the exercise as it is now; the old points are kept to compare.

    Each submission is its own task, so as many workers as run grade them side by side (and the
    runner grades each in its own fresh sandbox). Attempts are not touched.
    """
    if exercise.kind == ExerciseKind.FREE_RESPONSE:
        return 0  # graded by hand: nothing to run again
    submits = list(
        Submission.objects.filter(exercise=exercise, kind=SubmissionKind.SUBMIT, status=SubmissionStatus.GRADED)
    )
    for submission in submits:
        Submission.objects.filter(pk=submission.pk).update(
            previous_points=submission.points,
            status=SubmissionStatus.QUEUED,
            exercise_version=exercise.version,
            message="Being graded again after the tests changed.",
        )
        transaction.on_commit(lambda pk=submission.pk: enqueue_grading(pk, waited_for=False))
    return len(submits)


def regrade_changes(exercise: Exercise) -> list[Submission]:
    """Submissions whose points moved at the last regrade, biggest change first."""
    moved = [
        submission
        for submission in Submission.objects.filter(exercise=exercise, previous_points__isnull=False).select_related(
            "user"
        )
        if submission.points != submission.previous_points
    ]
    return sorted(moved, key=lambda item: abs((item.points or 0) - (item.previous_points or 0)), reverse=True)
