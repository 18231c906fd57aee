"""Import an nbgrader source notebook in the admin: exercises with their tests, validated by real runs."""

from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile

from exercises.models import Exercise, ExerciseKind
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
NOTEBOOKS = Path(__file__).parent / "notebooks"


@pytest.fixture
def trainer_client(client, runner_settings):
    trainer = UserFactory(username="trainer")
    trainer.user_permissions.add(*Permission.objects.filter(codename__in=["access_admin", "add_exercise"]))
    client.force_login(trainer)
    return client


def upload(client, name):
    data = (NOTEBOOKS / name).read_bytes()
    return client.post("/admin/exercises/import-notebook/", {"notebook": SimpleUploadedFile(name, data)}, follow=True)


def test_a_source_notebook_becomes_validated_exercises(trainer_client):
    response = upload(trainer_client, "momentum_transfer.ipynb")
    exercises = list(Exercise.objects.filter(kind=ExerciseKind.CODE).prefetch_related("tests"))
    assert exercises, response.text
    for exercise in exercises:
        assert exercise.is_valid, (exercise.title, exercise.validation.get("message"))
        assert exercise.solution_code and exercise.starter_code != exercise.solution_code
    assert any(test.hidden for exercise in exercises for test in exercise.tests.all())
    assert "Validated" in response.text


def test_manually_graded_cells_become_free_responses_for_the_gradebook(trainer_client):
    upload(trainer_client, "momentum_transfer.ipynb")
    responses = {e.title.rsplit(": ", 1)[-1]: e for e in Exercise.objects.filter(kind=ExerciseKind.FREE_RESPONSE)}
    assert set(responses) == {"resolution", "probe_choice"}
    task, answer = responses["resolution"], responses["probe_choice"]
    assert (task.response_points, answer.response_points) == (1, 2)
    # The student reads the question, not the marking scheme or the model answer (released only by the policy).
    assert "large unit cells" in task.prompt and "MARK-SCHEME-SENTINEL" not in task.prompt
    assert "MARK-SCHEME-SENTINEL" in task.solution_code
    assert "metal hydride" in answer.prompt and "SOLUTION-SENTINEL-HYDRIDE" in answer.solution_code
    assert "SOLUTION-SENTINEL" not in answer.prompt
    assert task.is_valid and answer.is_valid


@pytest.mark.parametrize("name", ["not_json.ipynb", "duplicate_grade_id.ipynb", "unbalanced_solution_markers.ipynb"])
def test_a_malformed_notebook_says_what_is_wrong_and_imports_nothing(trainer_client, name):
    response = upload(trainer_client, name)
    assert "could not be imported" in response.text
    assert not Exercise.objects.exists()


def test_the_student_version_has_no_solution_and_no_hidden_test(trainer_client):
    import nbformat

    data = (NOTEBOOKS / "momentum_transfer.ipynb").read_bytes()
    response = trainer_client.post("/admin/exercises/import-notebook/", {
        "notebook": SimpleUploadedFile("momentum_transfer.ipynb", data), "student_version": "1"})  # fmt: skip
    assert response["Content-Disposition"] == 'attachment; filename="momentum_transfer-student.ipynb"'
    student = nbformat.reads(response.content.decode(), as_version=4)
    nbformat.validate(student)
    text = response.content.decode()
    assert "BEGIN HIDDEN TESTS" not in text and "BEGIN SOLUTION" not in text
    assert "raise NotImplementedError()" in text
    assert not Exercise.objects.exists()  # converting imports nothing


def _graded_points(exercise, code: str) -> float:
    from exercises.grading.specs import runner_tests
    from runner.backends import get_client

    with get_client() as client:
        result = client.grade(code=f"{exercise.setup_code}\n\n{code}", tests=runner_tests(exercise, "submit"))
    return result["points"]


@pytest.mark.parametrize(
    ("cell", "points_for_solution"),
    [
        ("result = momentum_transfer(180, 2.0)\n1.5 if result else 0", 1.5),  # partial credit: the shown number
        ("result = momentum_transfer(180, 2.0)\n7 if result else 0", 0.0),  # above the cell's points: 0
        ("import sys\nprint('careful', file=sys.stderr)\nassert momentum_transfer(180, 2.0)", 0.0),  # stderr: 0
        ("assert momentum_transfer(180, 2.0)", 2.0),
    ],
    ids=["partial-credit", "above-the-points", "stderr", "plain"],
)
def test_imported_tests_score_in_the_sandbox_as_nbgrader_autograde(runner_settings, cell, points_for_solution):
    """nbgrader's determine_grade, reproduced by the imported test functions in the real grader."""
    from exercises.importing import exercises_from_notebook
    from tests.exercises.test_nbgrader_format import with_test_cell

    _assignment, exercises = exercises_from_notebook(with_test_cell(cell).encode())
    first = exercises[0]
    public = [test for test in first.tests.all() if not test.hidden]
    first.tests.exclude(pk__in=[test.pk for test in public]).delete()  # this cell alone
    assert _graded_points(first, first.solution_code) == points_for_solution


def test_a_warning_from_the_students_code_fails_an_nbgrader_cell(runner_settings):
    """In nbgrader a warning the student's function prints (to stderr) during a test cell scores it 0."""
    from exercises.importing import exercises_from_notebook
    from tests.exercises.test_nbgrader_format import with_test_cell

    _assignment, (first, *_rest) = exercises_from_notebook(
        with_test_cell("assert momentum_transfer(180, 2.0)").encode()
    )
    first.tests.filter(hidden=True).delete()
    noisy = (
        first.solution_code
        + "\nimport warnings\n_q = momentum_transfer\n"
        + ("def momentum_transfer(*args):\n    warnings.warn('noisy')\n    return _q(*args)")
    )
    assert _graded_points(first, first.solution_code) == 2.0
    assert _graded_points(first, noisy) == 0.0
