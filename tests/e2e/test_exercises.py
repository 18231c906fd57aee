"""A student checks an exercise, fails, fixes the code, submits and sees the score (Chromium, uvicorn, kernel)."""

import re
from pathlib import Path

import pytest
from django.test import Client
from playwright.sync_api import expect

from exercises.models import Exercise, ExerciseTest
from exercises.submissions import exercise_validate
from tests.e2e.lessons import open_exercise_lesson
from tests.exercises.test_submissions import HIDDEN, PUBLIC, SOLUTION, STARTER
from tests.factories import UserFactory

# A transactional test flushes the database, Wagtail's root page included: serialized_rollback restores it.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def exercise_page(asgi_page, asgi_server, settings, kernel_host):
    exercise = Exercise.objects.create(title="Momentum transfer", prompt="Write q_from(two_theta_deg, wavelength).",
                                       solution_code=SOLUTION, starter_code=STARTER, max_attempts=3)  # fmt: skip
    ExerciseTest.objects.create(exercise=exercise, name="test_public", source=PUBLIC, points=1, sort_order=0)
    ExerciseTest.objects.create(exercise=exercise, name="test_hidden_edge", source=HIDDEN, points=2, hidden=True,
                                sort_order=1)  # fmt: skip
    assert exercise_validate(exercise)["ok"]
    return open_exercise_lesson(asgi_page, asgi_server, exercise, title="Q from angles", slug="q-from-angles")


def test_check_fail_fix_submit_and_see_the_score(exercise_page):
    page = exercise_page
    errors = []
    page.on("pageerror", lambda error: errors.append(error.stack or str(error)))
    exercise = page.locator("[data-exercise]")
    exercise.get_by_role("button", name=re.compile("^Check")).click()
    result = exercise.locator(".exercise-result")
    expect(result).to_contain_text("Check: 0 of 1 point")
    expect(result).to_contain_text("Q at 90 degrees")  # the public test's message

    exercise.locator(".cm-content").click()
    page.keyboard.press("Control+a")
    page.keyboard.type(SOLUTION)
    page.on("dialog", lambda dialog: dialog.accept())
    exercise.get_by_role("button", name=re.compile("^Submit")).click()
    expect(result).to_contain_text("3 of 3 points")
    expect(result).to_contain_text("Hidden tests: 1 of 1 passed")
    expect(exercise).to_contain_text(re.compile("1 of 3"))
    assert "test_hidden_edge" not in page.content()
    assert not errors, errors


def test_a_trainer_overrides_a_grade_and_downloads_the_csv(page, live_server):
    from django.contrib.auth.models import Permission

    from exercises.models import Submission, SubmissionKind, SubmissionStatus

    trainer = UserFactory(username="grace")  # its author: no course uses it yet (exercises/access.py)
    exercise = Exercise.objects.create(title="Momentum transfer", solution_code=SOLUTION, owner=trainer)
    student = UserFactory(username="lise")
    Submission.objects.create(exercise=exercise, user=student, kind=SubmissionKind.SUBMIT, attempt=1, code="x",
                              content_hash="h", exercise_version=1, status=SubmissionStatus.GRADED, points=1,
                              possible=3, raw_points=1)  # fmt: skip
    trainer.user_permissions.add(*Permission.objects.filter(codename__in=["access_admin", "change_exercise"]))
    client = Client()
    client.force_login(trainer)
    page.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value,
                               "url": live_server.url}])  # fmt: skip
    page.goto("/admin/exercises/gradebook/")
    expect(page.get_by_role("cell", name="lise")).to_be_visible()
    page.get_by_label("Points for lise").fill("2.5")
    page.get_by_label("Reason for lise").fill("The units were right; the test was too strict.")
    page.get_by_role("button", name="Override").click()
    expect(page.get_by_text("lise's grade for “Momentum transfer” is now 2.5.")).to_be_visible()
    expect(page.get_by_text("The units were right")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert "lise" in text and "2.5" in text and "The units were right" in text
