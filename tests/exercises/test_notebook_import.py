"""Import an nbgrader source notebook in the admin: exercises with their tests, validated by real runs."""

from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile

from exercises.models import Exercise
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
    exercises = list(Exercise.objects.prefetch_related("tests"))
    assert exercises, response.text
    for exercise in exercises:
        assert exercise.is_valid, (exercise.title, exercise.validation.get("message"))
        assert exercise.solution_code and exercise.starter_code != exercise.solution_code
    assert any(test.hidden for exercise in exercises for test in exercise.tests.all())
    assert "Validated" in response.text


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
