"""The gradebook: each student's counting score per exercise, overrides, "who is stuck", CSV.

A student's score on an exercise is the best of their graded submits under the exercise's policy
(`policy_rules.best_score`), unless a trainer overrode it: the newest override counts.
"""

import csv
import io
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import QuerySet

from accounts.selectors import reportable_emails
from tracking import interface as tracking

from .models import Exercise, ExerciseProgress, GradeOverride, Submission, SubmissionKind, SubmissionStatus
from .nbgrader import spreadsheet_value
from .policy_lookup import policy_for
from .policy_rules import best_score

STUCK_ATTEMPTS = 3


@dataclass
class GradeRow:
    exercise: Exercise
    user: object
    attempts: int
    best: Decimal | None  # from the submits
    possible: Decimal | None
    override: GradeOverride | None
    course: object = None  # of the counting submission: its policy (deadline) is the one that applied
    to_grade: Submission | None = None  # a free response waiting for a trainer (the oldest)

    @property
    def needs_grading(self) -> bool:
        return self.to_grade is not None

    @property
    def deadline(self):
        return policy_for(self.exercise, self.course).deadline

    @property
    def score(self) -> Decimal | None:
        return self.override.points if self.override else self.best

    @property
    def passed(self) -> bool:
        return self.score is not None and self.possible is not None and self.score >= self.possible

    @property
    def stuck(self) -> bool:
        return self.attempts >= STUCK_ATTEMPTS and not self.passed


def grade_rows(exercises: QuerySet[Exercise], *, username: str = "") -> list[GradeRow]:
    rows = []
    for exercise in exercises:
        submits = Submission.objects.filter(
            exercise=exercise, kind=SubmissionKind.SUBMIT, status=SubmissionStatus.GRADED
        ).select_related("user", "course")
        by_user: dict[int, list[Submission]] = {}
        for submission in submits:
            by_user.setdefault(submission.user_id, []).append(submission)
        best = {user_id: best_score(theirs) for user_id, theirs in by_user.items()}
        best = {user_id: submission for user_id, submission in best.items() if submission is not None}
        attempts = dict(ExerciseProgress.objects.filter(exercise=exercise).values_list("user_id", "attempts_used"))
        overrides: dict[int, GradeOverride] = {}
        for override in GradeOverride.objects.filter(exercise=exercise).select_related("user", "set_by"):
            overrides.setdefault(override.user_id, override)  # newest first
        waiting: dict[int, Submission] = {}
        for submission in (
            Submission.objects.filter(exercise=exercise, status=SubmissionStatus.AWAITING)
            .select_related("user", "course")
            .order_by("submitted_at")
        ):
            waiting.setdefault(submission.user_id, submission)
        users = {submission.user_id: submission.user for submission in best.values()}
        users.update({submission.user_id: submission.user for submission in waiting.values()})
        users.update({override.user_id: override.user for override in overrides.values()})
        for user_id, user in sorted(users.items(), key=lambda item: item[1].username):
            if username and username.lower() not in user.username.lower():
                continue
            submission, pending = best.get(user_id), waiting.get(user_id)
            counted = submission or pending
            rows.append(GradeRow(exercise=exercise, user=user, attempts=attempts.get(user_id, 0),
                                 best=submission.points if submission else None,
                                 possible=counted.possible if counted else None,
                                 override=overrides.get(user_id),
                                 course=counted.course if counted else None, to_grade=pending))  # fmt: skip
    return rows


def override_set(*, exercise: Exercise, user, points, comment: str, by) -> GradeOverride:
    if not comment.strip():
        raise ValueError("Say why the grade is overridden: the comment is the audit trail.")
    with transaction.atomic():
        previous = GradeOverride.objects.filter(exercise=exercise, user=user).order_by("-set_at").first()
        submits = Submission.objects.filter(exercise=exercise, user=user, kind=SubmissionKind.SUBMIT)
        best = None if previous else best_score(submits)
        latest = submits.exclude(course=None).order_by("-submitted_at").first()
        override = GradeOverride.objects.create(exercise=exercise, user=user, points=points, comment=comment, set_by=by)
        tracking.grade_overridden(override, previous.points if previous else (best.points if best else None),
                                  course=latest.course if latest else None)  # fmt: skip
    return override


CSV_COLUMNS = ["exercise", "exercise_version", "username", "email", "attempts", "score", "possible", "overridden",
               "override_comment", "needs_grading"]  # fmt: skip


def nbgrader_rows(rows: list[GradeRow]) -> list[dict]:
    """The gradebook in `nbgrader export`'s columns, one row per student and exercise."""
    emails = reportable_emails(row.user for row in rows)
    return [
        {
            "assignment": row.exercise.title,
            "duedate": row.deadline,
            "timestamp": None,
            "student_id": row.user.username,
            "last_name": row.user.last_name,
            "first_name": row.user.first_name,
            "email": emails.get(row.user.pk, ""),
            "raw_score": row.best or 0.0,
            "late_submission_penalty": 0.0,
            "score": row.score or 0.0,
            "max_score": row.possible,
        }
        for row in rows
    ]


def gradebook_csv(rows: list[GradeRow]) -> str:
    """RFC 4180, UTF-8; text a spreadsheet would run as a formula is neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    emails = reportable_emails(row.user for row in rows)
    for row in rows:
        values = [row.exercise.title, row.exercise.version, row.user.username, emails.get(row.user.pk, ""),
                  row.attempts, row.score, row.possible, "yes" if row.override else "no",
                  row.override.comment if row.override else "", "yes" if row.needs_grading else "no"]  # fmt: skip
        writer.writerow([spreadsheet_value(name, value) for name, value in zip(CSV_COLUMNS, values, strict=True)])
    return buffer.getvalue()
