"""The gradebook: scores, overrides with an audit trail, who is stuck, a CSV spreadsheets import safely."""

import csv
import io

import pytest
from django.contrib.auth.models import Permission

from exercises.models import Exercise, ExerciseProgress, GradeOverride, Submission, SubmissionKind, SubmissionStatus
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def graded(exercise, user, attempt, points, possible=3):
    return Submission.objects.create(exercise=exercise, user=user, kind=SubmissionKind.SUBMIT, attempt=attempt,
                                     code="x", content_hash="h", exercise_version=1, status=SubmissionStatus.GRADED,
                                     points=points, possible=possible, raw_points=points)  # fmt: skip


@pytest.fixture
def book(client):
    trainer = UserFactory(username="trainer")  # its author: no course uses it yet (exercises/access.py)
    exercise = Exercise.objects.create(title="Momentum transfer", solution_code="x = 1", owner=trainer)
    ada, eve = UserFactory(username="ada", email="ada@example.org"), UserFactory(username="=HYPERLINK(1)")
    for attempt, points in ((1, 1), (2, 3)):
        graded(exercise, ada, attempt, points)
    for attempt in (1, 2, 3):
        graded(exercise, eve, attempt, 1)
    ExerciseProgress.objects.create(user=ada, exercise=exercise, attempts_used=2)
    ExerciseProgress.objects.create(user=eve, exercise=exercise, attempts_used=3)
    trainer.user_permissions.add(*Permission.objects.filter(codename__in=["access_admin", "change_exercise"]))
    client.force_login(trainer)
    return exercise, ada, eve, trainer


def test_scores_are_the_best_attempt_and_the_stuck_are_listed(client, book):
    page = client.get("/admin/exercises/gradebook/")
    assert page.status_code == 200 and "<td>ada" in page.text and "3.00 of 3.00" in page.text
    stuck = client.get("/admin/exercises/gradebook/", {"stuck": "1"}).text
    assert "=HYPERLINK(1) <strong>stuck</strong>" in stuck and "<td>ada" not in stuck


def test_an_override_needs_a_reason_and_keeps_the_trail(client, book):
    exercise, _ada, eve, trainer = book
    url = "/admin/exercises/gradebook/override"
    refused = client.post(url, {"exercise": exercise.pk, "user": eve.pk, "points": "2", "comment": " "}, follow=True)
    assert "Say why the grade is overridden" in refused.text and not GradeOverride.objects.exists()
    client.post(url, {"exercise": exercise.pk, "user": eve.pk, "points": "2", "comment": "Units were right"})
    client.post(url, {"exercise": exercise.pk, "user": eve.pk, "points": "2.5", "comment": "Second look"})
    assert list(GradeOverride.objects.values_list("points", "set_by")) == [(2.5, trainer.pk), (2, trainer.pk)]
    rows = list(csv.DictReader(io.StringIO(client.get("/admin/exercises/gradebook/", {"format": "csv"})
                                           .content.decode("utf-8-sig"))))  # fmt: skip
    by_user = {row["username"]: row for row in rows}
    assert by_user["ada"]["score"] == "3.0" and by_user["ada"]["overridden"] == "no"
    assert by_user["'=HYPERLINK(1)"]["score"] == "2.5"  # the formula is text in a spreadsheet
    assert by_user["'=HYPERLINK(1)"]["override_comment"] == "Second look"


def test_students_do_not_reach_the_gradebook(client, book):
    client.force_login(UserFactory(username="student"))
    assert client.get("/admin/exercises/gradebook/").status_code == 302


def test_grades_in_nbgraders_layout(client, book):
    import csv as csv_module

    response = client.get("/admin/exercises/gradebook/", {"format": "nbgrader"})
    rows = list(csv_module.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert list(rows[0]) == ["assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email",
                             "raw_score", "late_submission_penalty", "score", "max_score"]  # fmt: skip
    ada = next(row for row in rows if row["student_id"] == "ada")
    assert ada["score"] == "3.0" and ada["max_score"] == "3.0" and ada["email"] == "ada@example.org"
    assert any(row["student_id"] == "'=HYPERLINK(1)" for row in rows)


def test_exports_show_only_confirmed_addresses(client, book):
    """Review of 2026-12-05: the exports showed the address typed at sign-up, so a squatter of
    alice@facility.example appeared under Alice's address in the CSVs a trainer hands on."""
    exercise = book[0]
    squatter = UserFactory(username="mallory", email="alice@facility.example", confirmed=False)
    graded(exercise, squatter, 1, 3)
    plain = client.get("/admin/exercises/gradebook/", {"format": "csv"}).content.decode("utf-8-sig")
    nbgrader = client.get("/admin/exercises/gradebook/", {"format": "nbgrader"}).content.decode("utf-8-sig")
    by_user = {row["username"]: row for row in csv.DictReader(io.StringIO(plain))}
    by_student = {row["student_id"]: row for row in csv.DictReader(io.StringIO(nbgrader))}
    assert by_user["mallory"]["email"] == "" and by_student["mallory"]["email"] == ""
    assert by_user["ada"]["email"] == "ada@example.org" and by_student["ada"]["email"] == "ada@example.org"
    assert "alice@facility.example" not in plain + nbgrader


def test_a_tie_counts_the_earliest_submit_as_policies_say(client, book):
    """The gradebook took the newest of equal scores (the rows' order); `policies.best_score`, the rule
    the pass uses too, takes the earliest submitted."""
    from datetime import timedelta

    from django.utils import timezone

    exercise = book[0]
    tied = UserFactory(username="tied")
    later = graded(exercise, tied, 2, 2, possible=4)
    earlier = graded(exercise, tied, 1, 2, possible=3)
    Submission.objects.filter(pk=earlier.pk).update(submitted_at=timezone.now() - timedelta(hours=1))
    rows = list(csv.DictReader(io.StringIO(client.get("/admin/exercises/gradebook/", {"format": "csv"})
                                           .content.decode("utf-8-sig"))))  # fmt: skip
    row = next(row for row in rows if row["username"] == "tied")
    assert later.pk < earlier.pk and row["possible"] == "3.0", row
