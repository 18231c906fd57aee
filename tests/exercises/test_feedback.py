"""Feedback after a real grade: a public test shows why it failed, and nothing only a hidden test knows.

An imported nbgrader cell with hidden lines becomes a public test (its public lines) and a hidden test (the whole
cell), so a student's error in the public lines fails both with the same message: that message is the student's,
not the hidden test's, and must reach the student.
"""

import json

import nbformat
import pytest

from exercises.importing import exercises_from_notebook
from exercises.models import Exercise, ExerciseTest, SubmissionKind
from exercises.scoring import REDACTED
from exercises.submissions import submission_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

ANSWER = """def photon_energy_kev(wavelength):
    ### BEGIN SOLUTION
    return HC_KEV_ANGSTROM / wavelength
    ### END SOLUTION

### BEGIN SOLUTION
energy_mev = photon_energy_kev(0.0124) / 1000
### END SOLUTION
"""
HIDDEN_SENTINEL = "HIDDEN-SENTINEL-MO-KALPHA"
HIDDEN_ONLY = (HIDDEN_SENTINEL, "0.7293", "17.48", "test_energy_hidden", "test_mev_hidden")
TEST_CELLS = {
    "test_energy_positive": "assert photon_energy_kev(1.0) > 0",  # no hidden lines: one public test
    "test_energy": (
        "assert math.isclose(photon_energy_kev(1.0), 12.398, rel_tol=1e-3)\n"
        "### BEGIN HIDDEN TESTS\n"
        "assert math.isclose(photon_energy_kev(0.7293), 17.48, rel_tol=1e-3), "
        f"'expected 17.48 keV ({HIDDEN_SENTINEL})'\n"
        "### END HIDDEN TESTS"
    ),
    "test_mev": (
        "assert 0.9 < energy_mev < 1.1\n"
        "### BEGIN HIDDEN TESTS\n"
        "assert math.isclose(energy_mev, photon_energy_kev(0.0124) / 1000)\n"
        "### END HIDDEN TESTS"
    ),
}


def source_notebook() -> bytes:
    def meta(grade_id: str, **flags) -> dict:
        nbgrader = {"grade": False, "solution": False, "locked": False, "grade_id": grade_id, "schema_version": 3}
        return {"nbgrader": {**nbgrader, **flags}}

    cells = [
        nbformat.v4.new_markdown_cell("# Photon energies"),
        nbformat.v4.new_code_cell("import math\nHC_KEV_ANGSTROM = 12.3984198", metadata=meta("setup", locked=True)),
        nbformat.v4.new_code_cell(ANSWER, metadata=meta("energy", solution=True)),
    ]
    for grade_id, source in TEST_CELLS.items():
        cells.append(nbformat.v4.new_code_cell(source, metadata=meta(grade_id, grade=True, locked=True, points=1)))
    return nbformat.writes(nbformat.v4.new_notebook(cells=cells)).encode()


@pytest.fixture
def imported(runner_settings) -> Exercise:
    _assignment, (exercise,) = exercises_from_notebook(source_notebook())
    return exercise


def submit(exercise: Exercise, code: str) -> tuple[dict, str]:
    """The public tests' messages by name, and the whole feedback as the student's browser gets it."""
    submission = submission_create(user=UserFactory(), exercise=exercise, code=code, kind=SubmissionKind.SUBMIT)
    submission.refresh_from_db()
    messages = {item["name"]: item["message"] for item in submission.feedback if item["kind"] == "test"}
    return messages, json.dumps(submission.feedback, ensure_ascii=False)


def assert_nothing_hidden(text: str) -> None:
    for secret in HIDDEN_ONLY:
        assert secret not in text, secret


def test_an_unfinished_stub_says_not_implemented_even_when_another_cells_hidden_test_says_it_too(imported):
    """The starter's stub raises NotImplementedError in every test; test_energy_positive has no hidden twin, the
    identical message comes from the hidden tests of the other cells."""
    messages, text = submit(imported, imported.starter_code)
    assert set(messages) == {"test_energy_positive", "test_energy", "test_mev"}
    assert messages["test_energy_positive"].startswith("NotImplementedError")
    assert messages["test_energy"].startswith("NotImplementedError")
    assert REDACTED not in text
    assert_nothing_hidden(text)


def test_a_name_the_students_code_never_set_is_named(imported):
    """The student's energy cell timed out in the lesson, so the code they submit never sets energy_mev."""
    code = "def photon_energy_kev(wavelength):\n    return HC_KEV_ANGSTROM / wavelength\n"
    messages, text = submit(imported, code)
    assert messages["test_mev"] == "NameError: name 'energy_mev' is not defined"
    assert messages["test_energy"] == ""  # passed
    assert REDACTED not in text
    assert_nothing_hidden(text)


def test_a_memory_bomb_says_the_memory_limit_was_hit(imported):
    code = (
        "def photon_energy_kev(wavelength):\n"
        "    blocks = []\n"
        "    while True:\n"
        "        blocks.append(bytearray(16 << 20))\n"
        "energy_mev = 1.0\n"
    )
    messages, text = submit(imported, code)
    for name in ("test_energy_positive", "test_energy"):
        assert "MemoryError" in messages[name] and "MiB of memory" in messages[name], messages[name]
    assert REDACTED not in text
    assert_nothing_hidden(text)


def test_a_hidden_tests_message_and_inputs_stay_hidden(imported):
    """Right on the public inputs only: the hidden line fails with its own message, naming its expected value."""
    gamed = (
        "def photon_energy_kev(wavelength):\n"
        "    if wavelength != 1.0:\n"
        "        raise ValueError(f'no energy for {wavelength} Å')\n"
        "    return HC_KEV_ANGSTROM\n"
        "energy_mev = photon_energy_kev(1.0) / 12.398\n"
    )
    submission = submission_create(user=UserFactory(), exercise=imported, code=gamed, kind=SubmissionKind.SUBMIT)
    submission.refresh_from_db()
    recorded = {outcome["name"]: outcome for outcome in submission.breakdown["outcomes"]}
    assert recorded["test_energy_hidden"]["message"] == "ValueError: no energy for 0.7293 Å"  # for trainers
    assert submission.points < submission.possible
    assert_nothing_hidden(json.dumps(submission.feedback, ensure_ascii=False))


def test_a_student_function_cannot_echo_a_hidden_tests_inputs_into_a_public_test(runner_settings):
    """A hidden test sorted before a public one: the student's function keeps its inputs and raises them later."""
    exercise = Exercise.objects.create(title="Energies", solution_code="", starter_code="")
    ExerciseTest.objects.create(exercise=exercise, name="test_secret_inputs", hidden=True, points=1, sort_order=0,
                                source="def test_secret_inputs():\n    assert energy(0.7293) == 17.0\n")  # fmt: skip
    ExerciseTest.objects.create(exercise=exercise, name="test_shown", points=1, sort_order=1,
                                source="def test_shown():\n    assert energy(1.0) == 12.4\n")  # fmt: skip
    spy = (
        "seen = []\n"
        "def energy(wavelength):\n"
        "    seen.append(wavelength)\n"
        "    raise ValueError(f'inputs so far: {seen}')\n"
    )
    messages, text = submit(exercise, spy)
    assert messages["test_shown"] == "ValueError: inputs so far: [1.0]"
    assert "0.7293" not in text
