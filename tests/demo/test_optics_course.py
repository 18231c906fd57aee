"""The demo course *X-ray beamline optics by ray tracing* (issue 21): loaded by the demo, its live cells run
in a real sandboxed kernel at the default limits, and its exercises graded by the real grader.

The kernel host preloads shadow4 in its grading parents, as tests/runner/test_shadow4.py's grading host
does: a grading job mounts a private /tmp, which hides a virtualenv that lives under /tmp (a worktree's).
"""

import os
import re
import time

import pytest
from django.core.management import call_command

from courses.models import CoursePage, LessonPage
from demo.material.optics_course import (
    LESSON_SLUGS,
    MIRROR_EXERCISE,
    OPTICS_COURSE,
    OPTICS_EXERCISES,
    SLIT_EXERCISE,
    SOURCE_EXERCISE,
)
from exercises.models import Exercise
from exercises.selectors import page_exercise_ids
from runner.host_config import HostConfig
from tests.demo.test_demo_exercises import grade, media_on_disk  # noqa: F401  (fixture)
from tests.exercises.conftest import runner_settings  # noqa: F401  (fixture)
from tests.runner.conftest import text_of
from tests.runner.test_shadow4 import SHADOW4_MODULES, host_at_default_limits

MAX_RAYS = 100_000  # docs/trainer.md, "Virtual experiments"
SECONDS_PER_CELL = 15.0  # generous: the slowest cell takes about 2 s on a quiet machine

db = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(scope="module")
def kernel_host(tmp_path_factory):
    preload = ",".join((*HostConfig().preload, *SHADOW4_MODULES))
    host = host_at_default_limits(
        tmp_path_factory.mktemp("optics"),
        PANLEARN_RUNNER_PRELOAD=preload,
        PANLEARN_RUNNER_CGROUP_NAME=f"panlearn-optics-{os.getpid()}",  # apart from other tests' hosts
    )
    yield host
    host.stop()


@pytest.fixture
def demo(media_on_disk, runner_settings, kernel_host):  # noqa: F811
    call_command("load_demo_content", verbosity=0)


def lesson_spec(slug: str) -> dict:
    return next(lesson for lesson in OPTICS_COURSE["lessons"] if lesson["slug"] == slug)


def cells(slug: str) -> list[str]:
    return [value["code"] for name, value in lesson_spec(slug)["body"] if name == "code_cell"]


# --- The material itself ----------------------------------------------------------------------------


def test_each_lesson_has_maths_plotting_cells_and_a_graded_exercise_with_hidden_tests():
    assert [lesson["slug"] for lesson in OPTICS_COURSE["lessons"]] == list(LESSON_SLUGS)
    for exercise in OPTICS_EXERCISES:
        assert exercise["lesson"] in LESSON_SLUGS and exercise["datasets"] == ()
        assert any(test.get("hidden") for test in exercise["tests"])
        assert any(not test.get("hidden") for test in exercise["tests"])
        assert "$" in exercise["prompt"]  # notebook-style maths
    for slug in LESSON_SLUGS:
        names = [name for name, _ in lesson_spec(slug)["body"]]
        assert "maths" in names and names.count("code_cell") >= 2 and names[-1] == "exercise", slug
        assert all("plt.show()" in code for code in cells(slug)[:1]), slug
        for code in cells(slug):
            compile(code, slug, "exec")
            rays = [int(number.replace("_", "")) for number in re.findall(r"nrays\s*=\s*([\d_]+)", code)]
            assert all(10_000 <= number <= MAX_RAYS for number in rays), (slug, rays)


# --- Live cells in a real kernel --------------------------------------------------------------------


@pytest.mark.parametrize("slug", LESSON_SLUGS)
def test_every_live_cell_runs_and_plots_in_a_sandboxed_kernel(kernel_host, slug):
    user = f"optics-{slug}"[:60]
    timings = []
    with kernel_host.client() as client:
        session_id = client.create_session(user=user, context=slug)["session_id"]
        try:
            for number, code in enumerate(cells(slug), start=1):
                started = time.monotonic()
                reply = client.execute(session_id, user=user, code=code)
                timings.append(round(time.monotonic() - started, 2))
                assert reply.status == "ok", f"{slug} cell {number}: {text_of(reply)[-3000:]}"
                images = [out for out in reply.outputs if "image/png" in out.get("data", {})]
                assert images, f"{slug} cell {number} shows no plot"
                assert timings[-1] < SECONDS_PER_CELL, (slug, number, timings)
                stderr = [out["text"] for out in reply.outputs if out.get("name") == "stderr"]
                assert not [text for text in stderr if "Error" in text], stderr
        finally:
            client.shutdown(session_id, user=user)
    print(f"{slug}: cell seconds {timings}")


# --- In the demo, graded --------------------------------------------------------------------------


@db
def test_the_demo_loads_the_course_once_with_its_validated_exercises_in_their_lessons(demo, client):
    course = CoursePage.objects.get(slug=OPTICS_COURSE["slug"])
    assert course.live and course.title == OPTICS_COURSE["title"] and course.owner.username == "trainer"
    lessons = LessonPage.objects.child_of(course).live()
    assert [lesson.slug for lesson in lessons] == list(LESSON_SLUGS)
    for spec in OPTICS_EXERCISES:
        exercise = Exercise.objects.get(title=spec["title"])
        assert exercise.is_valid, exercise.validation["message"]
        assert exercise.validation["solution"]["points"] == exercise.validation["solution"]["possible"]
        assert exercise.validation["starter"]["points"] < exercise.validation["starter"]["possible"]
        assert exercise.pk in page_exercise_ids(lessons.get(slug=spec["lesson"]))

    client.login(username="student", password="panlearn-student")
    client.post(f"/learn/courses/{course.pk}/enrol/")
    for lesson in lessons:  # rendered with its maths, its live cells and its exercise's prompt
        html = client.get(lesson.url).text
        assert 'data-display="block"' in html and 'data-display="inline"' in html, lesson.slug
        spec = next(spec for spec in OPTICS_EXERCISES if spec["lesson"] == lesson.slug)
        assert spec["title"] in html, lesson.slug

    call_command("load_demo_content", verbosity=0)  # idempotent
    assert CoursePage.objects.filter(slug=OPTICS_COURSE["slug"]).count() == 1
    assert LessonPage.objects.child_of(course).count() == len(LESSON_SLUGS)
    assert Exercise.objects.filter(title__in=[spec["title"] for spec in OPTICS_EXERCISES]).count() == 3


_SIZE_H, _SIZE_V = "math.hypot(SIGMA_H, SIGMA_H_PRIME * d)", "math.hypot(SIGMA_V, SIGMA_V_PRIME * d)"

# Per exercise, wrong answers (the replacements that make them from the reference solution) and the tests
# each must fail.
WRONG_ANSWERS = {
    SOURCE_EXERCISE["title"]: {
        "sizes added linearly": (
            (("return math.hypot(sigma0, sigma_prime * d)", "return sigma0 + sigma_prime * d"),),
            {"test_sizes_add_in_quadrature", "test_against_a_trace", "test_sigma_h_at_1m"},
        ),
        "the divergence alone, σ′·d": (
            (("return math.hypot(sigma0, sigma_prime * d)", "return sigma_prime * d"),),
            {"test_sizes_add_in_quadrature", "test_against_a_trace", "test_sigma_h_at_1m"},
        ),
    },
    SLIT_EXERCISE["title"]: {
        "the source's size at the slit": (
            (("SIGMA_H_PRIME * d)", "0 * d)"), ("SIGMA_V_PRIME * d)", "0 * d)")),
            {"test_against_traced_slits", "test_fraction"},
        ),
        "the divergence alone, σ′·d": (
            ((_SIZE_H, "SIGMA_H_PRIME * d"), (_SIZE_V, "SIGMA_V_PRIME * d")),
            {"test_against_traced_slits", "test_fraction"},
        ),
        "sizes added linearly": (
            ((_SIZE_H, "SIGMA_H + SIGMA_H_PRIME * d"), (_SIZE_V, "SIGMA_V + SIGMA_V_PRIME * d")),
            {"test_against_traced_slits", "test_fraction"},
        ),
    },
    MIRROR_EXERCISE["title"]: {
        "the sagittal radius": (
            (("2 * p * q / ((p + q) * math.sin(theta))", "2 * p * q * math.sin(theta) / (p + q)"),),
            {"test_one_to_one", "test_radius_exactly"},
        ),
        "θ for sin θ": (
            (("(p + q) * math.sin(theta))", "(p + q) * theta)"),),
            {"test_one_to_one", "test_radius_exactly"},  # by 1.5e-6 at 3 mrad, 4e-4 at the hidden 0.05 rad
        ),
    },
}


def wrong_answer(spec: dict, replacements) -> str:
    code = spec["solution_code"]
    for old, new in replacements:
        assert old in code, old
        code = code.replace(old, new)
    return code


@db
@pytest.mark.parametrize("spec", OPTICS_EXERCISES, ids=lambda spec: spec["lesson"])
def test_the_reference_solution_scores_full_marks_and_wrong_answers_less(demo, spec):
    exercise = Exercise.objects.get(title=spec["title"])
    points, possible, outcomes = grade(exercise, spec["solution_code"])
    assert points == possible > 0, outcomes

    for mistake, (replacements, failing) in WRONG_ANSWERS[spec["title"]].items():
        points, possible, outcomes = grade(exercise, wrong_answer(spec, replacements))
        assert points < possible, (mistake, outcomes)
        failed = {outcome["name"] for outcome in outcomes if outcome.get("status") == "failed"}
        assert failed == failing, (mistake, outcomes)
        if mistake == "θ for sin θ":  # the visible test says why
            message = next(outcome.get("message", "") for outcome in outcomes if outcome["name"] == "test_one_to_one")
            assert "use sin θ, not θ" in message, outcomes


@db
def test_the_spot_within_ten_percent_of_the_trace_earns_its_points_and_one_not_demagnified_does_not(demo):
    exercise = Exercise.objects.get(title=MIRROR_EXERCISE["title"])
    unfocused = MIRROR_EXERCISE["solution_code"].replace(" * 10.0 / 20.0", "")  # the source's own FWHM
    points, possible, outcomes = grade(exercise, unfocused)
    by_name = {outcome["name"]: outcome for outcome in outcomes}
    assert by_name["test_spot_against_a_trace"]["status"] == "failed", by_name
    assert by_name["test_radius_exactly"]["status"] == "passed", by_name
    assert 0 < points < possible
