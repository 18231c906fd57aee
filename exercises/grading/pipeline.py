"""The grading pipeline of one submission, in the order it runs:

1. `claim` the row (a row graded already is left alone: a duplicate task, a requeue);
2. `reuse` the outcomes of the same code graded against the same exercise version, if any;
3. `run` the code and the tests in a fresh sandbox through the runner's grading mode (the tests,
   hidden ones only on submit, are added here and never leave the server);
4. `score` the per-test outcomes;
5. `apply_policy`: the course's attempt decay and late penalty;
6. `store` the points, the breakdown and the feedback a student may see;
7. `record` the grade as a learning record.

When the runner is down the row goes back to the queue and `grade` says when to try again; the task
queues itself (`exercises.tasks`). A quiz is graded at once at submit with `store` alone.
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from runner.exceptions import RunnerError, RunnerUnavailable
from tracking import interface as tracking

from .. import policy_rules, quiz_specs, scoring
from ..models import ExerciseKind, Submission, SubmissionKind, SubmissionStatus
from ..policy_lookup import policy_for
from .specs import runner_tests, stored_questions, test_specs

RETRY_AFTER = timedelta(seconds=30)


@dataclass
class Graded:
    submission: Submission
    retry_after: timedelta | None = None  # the runner was down: grade again this much later


def grade(submission_id: int, *, client=None) -> Graded:
    submission = claim(submission_id)
    if submission is None:
        return Graded(Submission.objects.get(pk=submission_id))
    exercise = submission.exercise
    specs = test_specs(exercise)
    if exercise.kind == ExerciseKind.QUIZ:  # a regrade: the stored answers against the questions as they are
        return Graded(
            store(submission, specs, quiz_specs.grade_answers(stored_questions(exercise), submission.answers))
        )
    outcomes = reuse(submission)
    if outcomes is None:
        try:
            outcomes = run(submission, client=client)
        except RunnerUnavailable as error:
            Submission.objects.filter(pk=submission.pk).update(status=SubmissionStatus.QUEUED, message=error.message)
            return Graded(Submission.objects.get(pk=submission.pk), retry_after=RETRY_AFTER)
        except RunnerError as error:
            Submission.objects.filter(pk=submission.pk).update(status=SubmissionStatus.FAILED, message=error.message)
            return Graded(Submission.objects.get(pk=submission.pk))
    return Graded(store(submission, specs, outcomes))


def claim(submission_id: int) -> Submission | None:
    """Mark the row as being graded, unless it is graded already (a duplicate task, a requeue)."""
    with transaction.atomic():
        submission = (
            Submission.objects.select_for_update(of=("self",))
            .select_related("exercise", "course")
            .get(pk=submission_id)
        )
        if submission.status in (SubmissionStatus.GRADED, SubmissionStatus.AWAITING):
            return None
        submission.status, submission.grading_started_at = SubmissionStatus.GRADING, timezone.now()
        submission.save(update_fields=["status", "grading_started_at"])
    return submission


def reuse(submission: Submission) -> list[dict] | None:
    """The outcomes of the same code, graded against the same exercise version and the same tests: they hold."""
    previous = (
        Submission.objects.filter(
            exercise=submission.exercise,
            kind=submission.kind,
            content_hash=submission.content_hash,
            exercise_version=submission.exercise_version,
            status=SubmissionStatus.GRADED,
        )
        .exclude(pk=submission.pk)
        .order_by("-graded_at")
        .first()
    )
    return None if previous is None else previous.breakdown.get("outcomes", [])


def run(submission: Submission, *, client=None) -> list[dict]:
    from runner.backends import get_client

    exercise = submission.exercise
    tests = runner_tests(exercise, submission.kind)
    code = f"{exercise.setup_code}\n\n{submission.code}" if exercise.setup_code.strip() else submission.code
    datasets = [dataset.slug for dataset in exercise.datasets.filter(is_public=True)]
    own = client is None
    client = client or get_client()
    try:
        result = client.grade(code=code, tests=tests, datasets=datasets)
    finally:
        if own:
            client.close()
    return list(result.get("tests", []))


def score(submission: Submission, specs, outcomes: list[dict]) -> scoring.ScoreBreakdown:
    """Points per test; a check is scored on the public tests only."""
    checked = [spec for spec in specs if submission.kind == SubmissionKind.SUBMIT or not spec.hidden]
    return scoring.score(outcomes, checked)


def apply_policy(submission: Submission, breakdown: scoring.ScoreBreakdown, policy) -> Decimal:
    """A submit's points after the course's attempt decay and late penalty; a check keeps its raw points."""
    if submission.kind != SubmissionKind.SUBMIT:
        return Decimal(breakdown.total)
    adjusted = policy_rules.final_points(breakdown.total, breakdown.possible, policy, submission.attempt,
                                     submission.submitted_at)  # fmt: skip
    return Decimal(adjusted.points)


@transaction.atomic
def store(submission: Submission, specs, outcomes: list[dict]) -> Submission:
    policy = policy_for(submission.exercise, submission.course)
    breakdown = score(submission, specs, outcomes)
    feedback = scoring.feedback_for(
        breakdown, specs, mode=submission.kind, default_disclosure=policy.disclosure_default
    )
    submission.status, submission.graded_at, submission.message = SubmissionStatus.GRADED, timezone.now(), ""
    submission.exercise_version = submission.exercise.version
    submission.raw_points, submission.points = breakdown.total, apply_policy(submission, breakdown, policy)
    submission.possible = breakdown.possible
    submission.breakdown = {**breakdown.as_dict(), "outcomes": outcomes}
    submission.feedback = feedback
    submission.save(update_fields=["status", "graded_at", "message", "raw_points", "points", "possible",
                                   "breakdown", "feedback", "exercise_version"])  # fmt: skip
    record(submission)
    return submission


def record(submission: Submission) -> None:
    if submission.kind == SubmissionKind.SUBMIT:  # a check is practice, not a grade
        tracking.exercise_graded(submission)
