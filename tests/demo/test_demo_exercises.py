"""The demo's graded exercises and its invitation-only course, loaded as scripts/demo.sh loads them.

The exercises are validated by real sandboxed grades on the bundled data: each reference solution
scores full marks, each starter does not, and a half-right answer earns part of the points.
"""

import re

import pytest
from django.core import mail
from django.core.management import call_command

from content.bundled import BUNDLED_DATASETS
from content.services import dataset_install, dataset_sync_bundled
from courses.models import CourseInvitation, CoursePage, Enrolment, LessonPage
from demo.material.assignment import NBGRADER_ASSIGNMENT
from demo.material.exercises import CODE_EXERCISES, CRITICAL_EDGE, GUINIER
from demo.material.masterclass import MASTERCLASS_COURSE
from exercises import scoring
from exercises.grading.pipeline import run as _run
from exercises.grading.specs import test_specs as exercise_test_specs
from exercises.models import Exercise, Submission, SubmissionKind
from exercises.selectors import page_exercise_ids
from tests.exercises.conftest import runner_settings  # noqa: F401  (fixture)
from tests.factories import UserFactory
from tests.runner.conftest import kernel_host  # noqa: F401  (a session fixture)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def media_on_disk(settings, tmp_path):
    """Files on disk, as the demo keeps them: Wagtail serves a document from its storage's path."""
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def demo(media_on_disk, runner_settings, kernel_host):  # noqa: F811
    needed = {slug for spec in CODE_EXERCISES for slug in spec["datasets"]}
    for dataset in dataset_sync_bundled(BUNDLED_DATASETS):
        if dataset.slug in needed:
            assert dataset_install(dataset, root=kernel_host.tmp / "datasets").ok
    call_command("load_demo_content", verbosity=0)


def grade(exercise: Exercise, code: str) -> tuple[float, float, list[dict]]:
    outcomes = _run(Submission(exercise=exercise, kind=SubmissionKind.SUBMIT, code=code))
    breakdown = scoring.score(outcomes, exercise_test_specs(exercise))
    return float(breakdown.total), float(breakdown.possible), outcomes


def test_every_demo_exercise_is_validated_in_its_lesson_with_public_and_hidden_tests(demo):
    for spec in CODE_EXERCISES:
        exercise = Exercise.objects.get(title=spec["title"])
        assert exercise.is_valid, exercise.validation["message"]
        assert exercise.validation["solution"]["points"] == exercise.validation["solution"]["possible"]
        assert exercise.validation["starter"]["points"] < exercise.validation["starter"]["possible"]
        tests = list(exercise.tests.all())
        assert any(test.hidden for test in tests) and any(not test.hidden for test in tests)
        assert set(exercise.datasets.values_list("slug", flat=True)) == set(spec["datasets"])
        assert exercise.deadline is not None and exercise.max_attempts
        lesson = LessonPage.objects.get(slug=spec["lesson"])
        assert exercise.pk in page_exercise_ids(lesson)


def test_a_half_right_answer_earns_part_of_the_points(demo):
    guinier = Exercise.objects.get(title=GUINIER["title"])
    # Fits every point below 0.02 Å⁻¹ once, without the Q·Rg ≤ 1.3 refinement: near, not on, the reference.
    rough = GUINIER["solution_code"].replace("    for _ in range(50):", "    for _ in range(1):")
    points, possible, outcomes = grade(guinier, rough)
    assert 0 < points < possible, outcomes

    edge = Exercise.objects.get(title=CRITICAL_EDGE["title"])
    # The first point below one half, not interpolated: half credit on that hidden test.
    coarse = CRITICAL_EDGE["solution_code"].replace(
        "    return float(q[k - 1] + (0.5 - r[k - 1]) * (q[k] - q[k - 1]) / (r[k] - r[k - 1]))",
        "    return float(q[k])",
    )
    points, possible, outcomes = grade(edge, coarse)
    by_name = {outcome["name"]: outcome for outcome in outcomes}
    assert by_name["test_measured_edge"]["status"] == "partial", by_name["test_measured_edge"]["message"]
    assert 0 < points < possible


def test_the_passed_deadline_releases_its_solution_in_the_lesson(demo, client):
    released = [spec for spec in CODE_EXERCISES if spec["policy"]["deadline_days"] < 0]
    assert released
    client.login(username="student", password="panlearn-student")
    course = CoursePage.objects.get(slug="facility-data-analysis")
    client.post(f"/learn/courses/{course.pk}/enrol/")
    for spec in released:
        html = client.get(LessonPage.objects.get(slug=spec["lesson"]).url).text
        assert f"Reference solution of {spec['title']}" in html
    for spec in CODE_EXERCISES:
        if spec not in released:  # before the deadline, nothing of the solution reaches the page
            html = client.get(LessonPage.objects.get(slug=spec["lesson"]).url).text
            assert f"Reference solution of {spec['title']}" not in html


def test_the_masterclass_is_by_invitation_with_one_waiting_for_the_demo_student(demo, client):
    course = CoursePage.objects.get(slug=MASTERCLASS_COURSE["slug"])
    assert course.enrolment_policy == "invitation" and course.live
    invitation = CourseInvitation.objects.get(course=course)
    assert invitation.email == "student@example.org" and invitation.accepted_at is None
    assert any(invitation.token.hex in message.body.replace("-", "") for message in mail.outbox)
    call_command("load_demo_content", verbosity=0)
    assert CourseInvitation.objects.filter(course=course).count() == 1  # not invited twice

    other = UserFactory(username="someone-else")
    client.force_login(other)
    assert "This course is by invitation only" in client.get(course.url).text
    assert client.post(f"/learn/courses/{course.pk}/enrol/").status_code in (302, 403)
    assert not Enrolment.objects.filter(user=other, course=course, is_active=True).exists()

    client.login(username="student", password="panlearn-student")
    client.post(f"/learn/invitations/{invitation.token}/")
    assert Enrolment.objects.filter(user__username="student", course=course, is_active=True).exists()


def test_the_nbgrader_assignment_is_a_lesson_with_its_student_notebook(demo, client):
    import nbformat

    lesson = LessonPage.objects.get(slug=NBGRADER_ASSIGNMENT["lesson"]["slug"])
    assert lesson.get_parent().slug == "neutron-reflectometry" and lesson.live
    exercises = Exercise.objects.filter(pk__in=page_exercise_ids(lesson))
    assert sorted(exercises.values_list("kind", flat=True)) == ["code", "code", "free_response"]
    for exercise in exercises:
        assert exercise.is_valid, (exercise.title, exercise.validation["message"])
        assert exercise.max_attempts == NBGRADER_ASSIGNMENT["policy"]["max_attempts"] and exercise.deadline

    client.login(username="student", password="panlearn-student")
    html = client.get(lesson.url).text
    assert 'data-latex="Q_z" data-display="inline"' in html  # the notebook's markdown, maths included
    link = re.search(r'<a href="(/documents/\d+/[^"]+-student\.ipynb)">Download the student notebook</a>', html)
    assert link, "the lesson links the student notebook"
    response = client.get(link[1])
    assert response.status_code == 200
    handed_out = b"".join(response.streaming_content) if response.streaming else response.content
    notebook = nbformat.reads(handed_out.decode(), as_version=4)
    text = "\n".join(cell.source for cell in notebook.cells)
    assert "def wavelength_from_tof" in text and "NotImplementedError" in text
    for secret in ("BEGIN SOLUTION", "HIDDEN TESTS", "1.13030", "stitched into one curve"):
        assert secret not in text  # no solution, no hidden test, no model answer

    call_command("load_demo_content", verbosity=0)  # loading again imports nothing twice
    assert LessonPage.objects.filter(slug=lesson.slug).count() == 1
    assert Exercise.objects.filter(title__startswith="Time of flight and momentum transfer").count() == 3


def test_a_free_response_waits_in_the_owning_trainers_gradebook(demo, client):
    answer = Exercise.objects.get(kind="free_response", title__endswith="why_several_angles")
    waiting = Submission.objects.get(exercise=answer, user__username="student")
    assert waiting.status == "awaiting" and waiting.code == NBGRADER_ASSIGNMENT["student_answer"]

    client.login(username="trainer", password="panlearn-trainer")
    html = client.get("/admin/exercises/gradebook/", {"to_grade": "1"}).text
    assert "needs grading" in html and "Reflectivity drops very fast with Q" in html
    call_command("load_demo_content", verbosity=0)
    assert Submission.objects.filter(exercise=answer).count() == 1  # not submitted twice


def test_each_trainer_owns_some_courses_and_not_others(demo, client):
    owners = dict(CoursePage.objects.values_list("slug", "owner__username"))
    assert owners[MASTERCLASS_COURSE["slug"]] == "trainer2"
    assert owners["neutron-reflectometry"] == owners["facility-data-analysis"] == "trainer"

    for username, own, other in (("trainer", "Analysing real facility data", "masterclass"),
                                 ("trainer2", "masterclass", "Analysing real facility data")):  # fmt: skip
        client.login(username=username, password=f"panlearn-{username}")
        listed = client.get("/admin/tracking/dashboards/courses/").text
        assert own.lower() in listed.lower() and other.lower() not in listed.lower(), username
        course = CoursePage.objects.get(title__icontains=other)
        assert client.get(f"/admin/pages/{course.pk}/edit/").status_code in (302, 403), username


def test_the_demo_facility_staff_see_their_facility_dashboard_and_not_anothers(demo, client):
    from facilities.models import Facility

    own = Facility.objects.get(short_name="PDS")
    other = Facility.objects.get(short_name="ISIS")
    client.login(username="facility", password="panlearn-facility")
    assert own.name in client.get("/admin/tracking/dashboards/facilities/").text
    assert client.get(f"/admin/tracking/dashboards/facilities/{own.pk}/").status_code == 200
    assert client.get(f"/admin/tracking/dashboards/facilities/{other.pk}/").status_code == 404
    client.login(username="trainer", password="panlearn-trainer")  # a trainer is no facility's staff
    assert client.get(f"/admin/tracking/dashboards/facilities/{own.pk}/").status_code in (403, 404)
