"""The nbgrader format: import a source notebook as exercises, export the student version and the grades."""

import copy
import csv
import io
import json
import re
import traceback
from pathlib import Path

import nbformat
import pytest

from exercises.nbgrader import (
    CODE_STUB,
    GRADES_CSV_COLUMNS,
    TEXT_STUB,
    NotebookFormatError,
    compute_checksum,
    export_student_notebook,
    grades_csv,
    import_source_notebook,
    nbgrader_cell_score,
)

NOTEBOOKS = Path(__file__).parent / "notebooks"
SOURCE = NOTEBOOKS / "momentum_transfer.ipynb"
HIDDEN_TEXT = ("HIDDEN-SENTINEL-SI111", "3.1356, rel_tol=1e-3", "2 * THERMAL_NEUTRONS", "HIDDEN TESTS")
SOLUTION_TEXT = (
    "math.sin(theta)",
    "theta = math.radians",
    'raise ValueError("Q must be positive")',
    "SOLUTION-SENTINEL",
)
MARK_SCHEME_TEXT = ("MARK-SCHEME-SENTINEL", "MARK SCHEME")

# Cells of the realistic notebook, by index.
SETUP, ANSWER1, TESTS1, ANSWER2, TESTS2, TASK, ANSWER4 = 1, 3, 4, 6, 7, 8, 10


def source_notebook() -> nbformat.NotebookNode:
    return nbformat.read(SOURCE, as_version=4)


def dump(notebook) -> str:
    return nbformat.writes(notebook)


def mutated(change) -> str:
    notebook = source_notebook()
    change(notebook)
    return dump(notebook)


# --- import ------------------------------------------------------------------------------------------------------


def test_import_gives_the_exercises_points_and_items():
    assignment = import_source_notebook(SOURCE.read_bytes())

    assert assignment.title == "Momentum transfer in a diffraction experiment"
    assert assignment.warnings == []
    assert [e.grade_id for e in assignment.exercises] == ["momentum_transfer", "d_spacing"]
    assert [e.points for e in assignment.exercises] == [2.0, 3.0]
    assert [(f.grade_id, f.kind, f.points) for f in assignment.free_response] == [
        ("resolution", "task", 1.0),
        ("probe_choice", "text_answer", 2.0),
    ]
    assert assignment.total_points == 8.0

    first, second = assignment.exercises
    assert first.prompt_markdown.startswith("# Momentum transfer")
    assert "## 1. Q from the angle" in first.prompt_markdown
    assert second.prompt_markdown.startswith("## 2. Lattice spacing")
    assert first.setup_code.startswith("import math\n") and "CU_K_ALPHA1 = 1.5406" in first.setup_code
    assert second.setup_code == first.setup_code  # the read-only cell only: no answers, no tests
    assert first.cell_number == 4 and second.cell_number == 7

    # Starter code as nbgrader's ClearSolutions makes it: the region becomes the stub, indented like the marker.
    assert first.starter_code == (
        "def momentum_transfer(two_theta_deg, wavelength):\n"
        '    """Momentum transfer Q (1/Å) for a scattering angle 2θ (degrees) and a wavelength (Å)."""\n'
        "    # YOUR CODE HERE\n"
        "    raise NotImplementedError()"
    )
    assert "BEGIN SOLUTION" not in first.reference_solution and "END SOLUTION" not in first.reference_solution
    assert "return 4 * math.pi * math.sin(theta) / wavelength" in first.reference_solution

    task, answer = assignment.free_response
    assert task.prompt_markdown.startswith("## 3. Resolution")
    assert "MARK-SCHEME-SENTINEL" not in task.prompt_markdown and "MARK SCHEME" not in task.prompt_markdown
    assert "MARK-SCHEME-SENTINEL" in task.marking_scheme
    assert answer.prompt_markdown.startswith("## 4. Choosing a probe")
    assert answer.starter == TEXT_STUB
    assert "SOLUTION-SENTINEL-HYDRIDE" in answer.reference_answer and "BEGIN SOLUTION" not in answer.reference_answer


def test_hidden_tests_are_separated_and_carry_the_cells_points():
    first, second = import_source_notebook(SOURCE.read_text(encoding="utf-8")).exercises

    (public,) = first.public_tests
    (hidden,) = first.hidden_tests
    assert public.name == "test_momentum_transfer" and public.source.startswith("def test_momentum_transfer():\n")
    assert (public.points, public.hidden) == (0.0, False)  # feedback only: nbgrader grades the whole cell
    assert (hidden.name, hidden.points, hidden.hidden) == ("test_momentum_transfer_hidden", 2.0, True)
    assert public.grade_id == hidden.grade_id == "test_momentum_transfer"
    for text in HIDDEN_TEXT[:3]:
        assert text not in public.source
        assert text in hidden.source
    # The hidden test runs the whole cell, public lines included, in the cell's order; no marker lines.
    assert "momentum_transfer(180, 2.0)" in hidden.source
    assert "HIDDEN TESTS" not in hidden.source
    assert public.fail_on_stderr and hidden.fail_on_stderr

    (only,) = second.public_tests
    assert second.hidden_tests == []
    assert (only.name, only.points, only.hidden, only.partial_credit) == ("test_d_spacing", 3.0, False, False)


def run_tests(exercise, student_code: str) -> float:
    """Our side: setup, then the student's code, then every test function; scores per nbgrader_cell_score."""
    namespace: dict = {}
    exec(compile(exercise.setup_code, "<setup>", "exec"), namespace)
    try:
        exec(compile(student_code, "<student>", "exec"), namespace)
    except Exception:
        traceback.print_exc()
    score = 0.0
    for test in exercise.public_tests + exercise.hidden_tests:
        exec(compile(test.source, f"<{test.name}>", "exec"), namespace)
        try:
            value = namespace[test.name]()
        except Exception:
            errored, value = True, None
        else:
            errored = False
        shown = repr(value) if test.partial_credit and value is not None else None
        score += nbgrader_cell_score(test.points, errored=errored, wrote_stderr=False, result_repr=shown)
    return score


def run_like_nbgrader(answers: dict[str, str]) -> dict[str, float]:
    """What `nbgrader autograde` does: the source's test cells (hidden tests included) and the student's answers,
    run top to bottom in one namespace; a test cell scores its points unless it raises."""
    notebook = source_notebook()
    namespace: dict = {}
    scores = {}
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code":
            continue
        source = answers.get(meta.get("grade_id"), cell.source)
        try:
            exec(compile(source, "<cell>", "exec"), namespace)
        except Exception:
            errored = True
        else:
            errored = False
        if meta.get("grade"):
            scores[meta["grade_id"]] = 0.0 if errored else float(meta["points"])
    return scores


CORRECT_Q = """def momentum_transfer(two_theta_deg, wavelength):
    return 4 * math.pi * math.sin(math.radians(two_theta_deg / 2)) / wavelength"""
# Passes the public checks by special-casing their inputs, fails the hidden ones.
GAMED_Q = """def momentum_transfer(two_theta_deg, wavelength):
    return {0: 0.0, 180: 4 * math.pi / wavelength}.get(two_theta_deg, 1.0)"""
WRONG_Q = """def momentum_transfer(two_theta_deg, wavelength):
    return 4 * math.pi * math.sin(math.radians(two_theta_deg)) / wavelength"""
CORRECT_D = "def d_spacing(q):\n    if q <= 0:\n        raise ValueError(q)\n    return 2 * math.pi / q"
UNGUARDED_D = "def d_spacing(q):\n    return 2 * math.pi / q if q else float('inf')"


@pytest.mark.parametrize(
    ("q_answer", "d_answer"),
    [(CORRECT_Q, CORRECT_D), (GAMED_Q, CORRECT_D), (WRONG_Q, UNGUARDED_D), (CORRECT_Q, "x = ")],
    ids=["correct", "gamed-public-tests", "wrong", "syntax-error"],
)
def test_scores_are_identical_to_nbgrader_autograde(q_answer, d_answer):
    first, second = import_source_notebook(SOURCE.read_bytes()).exercises
    expected = run_like_nbgrader({"momentum_transfer": q_answer, "d_spacing": d_answer})

    assert run_tests(first, q_answer) == expected["test_momentum_transfer"]
    assert run_tests(second, d_answer) == expected["test_d_spacing"]


def test_reference_solutions_score_full_marks_and_starters_none():
    for exercise in import_source_notebook(SOURCE.read_bytes()).exercises:
        assert run_tests(exercise, exercise.reference_solution) == exercise.points
        assert run_tests(exercise, exercise.starter_code) == 0.0


def test_the_gamed_answer_passes_check_but_not_submit():
    first = import_source_notebook(SOURCE.read_bytes()).exercises[0]
    namespace: dict = {}
    exec(first.setup_code + "\n" + GAMED_Q + "\n" + first.public_tests[0].source, namespace)
    namespace["test_momentum_transfer"]()  # Check: the public part passes
    assert run_tests(first, GAMED_Q) == 0.0  # Submit: the hidden part fails, the cell earns nothing


def with_test_cell(source: str, points: float = 2):
    def change(nb):
        nb.cells[TESTS1].source = source
        nb.cells[TESTS1].metadata.nbgrader.points = points

    return mutated(change)


def test_a_cells_last_expression_is_nbgraders_partial_credit():
    exercise = import_source_notebook(
        with_test_cell("result = momentum_transfer(180, 2.0)\n1.5 if result else 0")
    ).exercises[0]
    (test,) = exercise.public_tests
    assert test.partial_credit and "    return 1.5 if result else 0" in test.source
    assert run_tests(exercise, exercise.reference_solution) == 1.5

    # A trailing ";" hides the value in IPython: full points, as in nbgrader.
    exercise = import_source_notebook(with_test_cell("momentum_transfer(180, 2.0);")).exercises[0]
    assert not exercise.public_tests[0].partial_credit
    assert run_tests(exercise, exercise.reference_solution) == 2.0


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"errored": True, "wrote_stderr": False, "result_repr": None}, 0.0),
        ({"errored": False, "wrote_stderr": True, "result_repr": None}, 0.0),
        ({"errored": False, "wrote_stderr": False, "result_repr": None}, 3.0),
        ({"errored": False, "wrote_stderr": False, "result_repr": "1.5"}, 1.5),
        ({"errored": False, "wrote_stderr": False, "result_repr": "'1.5'"}, 3.0),  # a string: not a number
        ({"errored": False, "wrote_stderr": False, "result_repr": "True"}, 3.0),
        ({"errored": False, "wrote_stderr": False, "result_repr": "-1.0"}, 3.0),
        ({"errored": False, "wrote_stderr": False, "result_repr": "nan"}, 3.0),
        ({"errored": False, "wrote_stderr": False, "result_repr": "7"}, 0.0),  # above the points
    ],
)
def test_nbgrader_cell_score_follows_determine_grade(kwargs, expected):
    assert nbgrader_cell_score(3.0, **kwargs) == expected


def test_test_functions_keep_module_semantics():
    # Read before it is rebound: at the notebook's top level that is the setup's value, so it must stay global.
    source = "CU_K_ALPHA1 *= 1.0\nassert momentum_transfer(180, CU_K_ALPHA1) > 8\nlocal = 1\nlocal += 1"
    exercise = import_source_notebook(with_test_cell(source)).exercises[0]
    assert exercise.public_tests[0].source.startswith("def test_momentum_transfer():\n    global CU_K_ALPHA1\n")
    assert run_tests(exercise, exercise.reference_solution) == 2.0
    # A multi-line string cannot be indented without changing it: the body is rebuilt from the syntax tree.
    text = '"""first line\nsecond line"""\nassert momentum_transfer(0, 1.0) == 0.0\nassert text.count("line") == 2'
    exercise = import_source_notebook(with_test_cell(f"text = {text}")).exercises[0]
    assert run_tests(exercise, exercise.reference_solution) == 2.0


def test_locked_cells_between_an_answer_and_its_tests_run_before_each_test():
    def change(nb):
        helper = nbformat.v4.new_code_cell(
            "q_si = momentum_transfer(28.442, CU_K_ALPHA1)",
            metadata={
                "nbgrader": {
                    "grade": False,
                    "grade_id": "helper",
                    "locked": True,
                    "schema_version": 3,
                    "solution": False,
                }
            },
        )
        nb.cells.insert(TESTS1, helper)
        nb.cells[TESTS1 + 1].source = "assert abs(q_si - 2.0038) < 1e-3"

    first, second = import_source_notebook(mutated(change)).exercises
    assert first.public_tests[0].source.startswith("def test_momentum_transfer():\n    q_si = momentum_transfer(")
    assert run_tests(first, first.reference_solution) == 2.0
    assert "q_si = momentum_transfer" in second.setup_code


def test_test_names_are_identifiers_and_unique():
    def change(nb):
        nb.cells[TESTS1].metadata.nbgrader.grade_id = "q-tests"
        nb.cells[TESTS2].metadata.nbgrader.grade_id = "q_tests"

    first, second = import_source_notebook(mutated(change)).exercises
    assert [t.name for t in first.public_tests + first.hidden_tests] == ["test_q_tests", "test_q_tests_hidden"]
    assert second.public_tests[0].name == "test_q_tests_2"


def test_manually_graded_code_answer_becomes_a_free_response_item():
    def change(nb):
        nb.cells[ANSWER4] = nbformat.v4.new_code_cell(
            "### BEGIN SOLUTION\nplt.plot(q, intensity)\n### END SOLUTION",
            metadata={
                "nbgrader": {
                    "grade": True,
                    "grade_id": "plot",
                    "locked": False,
                    "points": 2,
                    "schema_version": 3,
                    "solution": True,
                }
            },
        )

    item = import_source_notebook(mutated(change)).free_response[-1]
    assert (item.kind, item.starter, item.reference_answer) == ("code_answer", CODE_STUB, "plt.plot(q, intensity)")


def test_warnings_name_what_nbgrader_would_do_differently():
    def change(nb):
        nb.cells.insert(2, nbformat.v4.new_code_cell("wavelengths = [1.0, 1.5406]"))  # no nbgrader metadata
        nb.cells[ANSWER2 + 1].source = "def d_spacing(q):\n    return 2 * math.pi / q if momentum_transfer else 0"
        del nb.cells[TESTS2 + 1]  # the second exercise loses its tests
        nb.cells[0].source = "Some text without a heading."

    assignment = import_source_notebook(mutated(change))
    notes = "\n".join(assignment.warnings)
    assert 'Cell 3 (code cell starting "wavelengths = [1.0, 1.5406]") has no nbgrader metadata' in notes
    assert 'Exercise "d_spacing" (cell 8) has no "Autograder tests" cell' in notes
    assert (
        "Exercise \"d_spacing\" uses momentum_transfer, defined by the answer to exercise 'momentum_transfer'" in notes
    )
    assert assignment.title == "1. Q from the angle and the wavelength"  # the first heading there is
    assert "wavelengths = [1.0, 1.5406]" in assignment.exercises[0].setup_code


def test_a_notebook_without_headings_has_no_title_and_says_so():
    def change(nb):
        nb.cells[:] = [nb.cells[SETUP], nb.cells[ANSWER1], nb.cells[TESTS1]]

    assignment = import_source_notebook(mutated(change))
    assert assignment.title == ""
    assert assignment.warnings == [
        "The notebook has no markdown heading, so the assignment has no title; add one after importing."
    ]
    assert assignment.exercises[0].prompt_markdown == ""


# --- export ------------------------------------------------------------------------------------------------------


def test_exported_student_notebook_is_valid_and_leaks_nothing():
    exported = export_student_notebook(SOURCE.read_bytes())
    notebook = nbformat.reads(exported.decode("utf-8"), as_version=4)
    nbformat.validate(notebook)

    text = exported.decode("utf-8")
    for secret in HIDDEN_TEXT + SOLUTION_TEXT + MARK_SCHEME_TEXT:
        assert secret not in text  # the whole file: sources, outputs, cell and notebook metadata
        for cell in notebook.cells:
            assert secret not in cell.source
            assert secret not in json.dumps(cell.metadata)
            assert secret not in json.dumps(cell.get("outputs", []))
    assert "celltoolbar" not in notebook.metadata

    cells = notebook.cells
    assert cells[ANSWER1].source.endswith("    # YOUR CODE HERE\n    raise NotImplementedError()")
    assert cells[ANSWER4].source == TEXT_STUB
    assert cells[TESTS1].source == (
        "# Forward scattering transfers no momentum; back-scattering transfers the most.\n"
        "assert math.isclose(momentum_transfer(0, CU_K_ALPHA1), 0.0, abs_tol=1e-12)\n"
        "assert math.isclose(momentum_transfer(180, 2.0), 2 * math.pi, rel_tol=1e-9)"
    )
    for cell in cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


def test_exported_notebook_keeps_nbgrader_metadata_like_generate_assignment():
    source = source_notebook()
    notebook = nbformat.reads(export_student_notebook(dump(source)).decode("utf-8"), as_version=4)

    for before, after in zip(source.cells, notebook.cells, strict=True):
        assert before.get("id") == after.get("id")
        if "nbgrader" not in before.metadata:
            assert "nbgrader" not in after.metadata
            continue
        meta = after.metadata.nbgrader
        for key, value in before.metadata.nbgrader.items():
            assert meta[key] == value
        assert meta.cell_type == after.cell_type
        assert re.fullmatch(r"[0-9a-f]{32}", meta.checksum) and meta.checksum == compute_checksum(after)
        assert after.metadata.deletable is False
    assert notebook.cells[TESTS1].metadata.editable is False  # grade and read-only cells are locked
    assert notebook.cells[SETUP].metadata.editable is False
    assert "editable" not in notebook.cells[ANSWER1].metadata  # answers stay editable

    # The test cell's checksum is of what students get: nothing about the hidden lines.
    with_hidden = copy.deepcopy(notebook.cells[TESTS1])
    with_hidden.source = source.cells[TESTS1].source
    assert compute_checksum(with_hidden) != notebook.cells[TESTS1].metadata.nbgrader.checksum


def test_export_does_not_change_its_input_and_is_stable():
    data = SOURCE.read_bytes()
    first = export_student_notebook(data)
    assert SOURCE.read_bytes() == data
    assert export_student_notebook(data) == first


# --- malformed notebooks -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("not_json.ipynb", r"^The file is not a Jupyter notebook: it is not valid JSON \(line 2, column 1: "),
        ("nbformat3.ipynb", r"^The notebook uses notebook format version 3; only version 4 .* is supported"),
        (
            "duplicate_grade_id.ipynb",
            r'^Cell 8 \(grade_id "test_momentum_transfer"\): grade_id "test_momentum_transfer" is already used by '
            r"cell 5; every nbgrader cell needs its own grade_id\.$",
        ),
        (
            "grade_cell_without_points.ipynb",
            r'^Cell 8 \(grade_id "test_d_spacing"\): it is a graded cell but has no points; set its points',
        ),
        (
            "unbalanced_solution_markers.ipynb",
            r'^Cell 7 \(grade_id "d_spacing"\): the "### BEGIN SOLUTION" region opened on line 2 is never closed; '
            r'add a "### END SOLUTION" line after it\.$',
        ),
        (
            "hidden_tests_in_non_grade_cell.ipynb",
            r'^Cell 7 \(grade_id "d_spacing"\): it has "### BEGIN HIDDEN TESTS" / "### END HIDDEN TESTS" lines but '
            r'is not an "Autograder tests" cell',
        ),
    ],
)
def test_malformed_notebooks_raise_clear_errors(name, message):
    data = (NOTEBOOKS / name).read_bytes()
    with pytest.raises(NotebookFormatError, match=message):
        import_source_notebook(data)
    with pytest.raises(NotebookFormatError, match=message):
        export_student_notebook(data)


def meta(index, **changes):
    def change(nb):
        nb.cells[index].metadata.nbgrader.update(changes)
        for key, value in changes.items():
            if value is None:
                del nb.cells[index].metadata.nbgrader[key]

    return change


def source_of(index, text):
    def change(nb):
        nb.cells[index].source = text

    return change


def notebook_meta(**changes):
    def change(nb):
        nb.metadata.update(changes)

    return change


def move_tests_first(nb):
    nb.cells.insert(0, nb.cells.pop(TESTS1))


def _without_outputs() -> str:
    raw = json.loads(SOURCE.read_text(encoding="utf-8"))
    del raw["cells"][SETUP]["outputs"]
    return json.dumps(raw)


IMPORT_ONLY = ("comes before", "IPython syntax", "cannot run inside", "syntax error")
TESTS1_TEXT = source_notebook().cells[TESTS1].source
ANSWER2_TEXT = source_notebook().cells[ANSWER2].source


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (source_of(TESTS1, TESTS1_TEXT.replace("### END HIDDEN TESTS", "")),
         r'Cell 5 \(grade_id "test_momentum_transfer"\): the "### BEGIN HIDDEN TESTS" region opened on line 4 '
         r"is never closed"),
        (source_of(TESTS1, TESTS1_TEXT.replace("### BEGIN HIDDEN TESTS", "")),
         r'Cell 5 .*: line 8 has "### END HIDDEN TESTS" without a "### BEGIN HIDDEN TESTS" line before it\.'),
        (source_of(ANSWER2, ANSWER2_TEXT.replace("  ### END SOLUTION", "  ### BEGIN SOLUTION\n  ### END SOLUTION")),
         r'Cell 7 .*: line 6 opens a "### BEGIN SOLUTION" region inside the one opened on line 2'),
        (source_of(SETUP, "### BEGIN SOLUTION\nimport math\n### END SOLUTION"),
         r'Cell 2 \(grade_id "setup"\): it has "### BEGIN SOLUTION" / "### END SOLUTION" lines but is not a solution'),
        (source_of(ANSWER4, "### BEGIN MARK SCHEME\nNeutrons.\n### END MARK SCHEME"),
         r'Cell 11 \(grade_id "probe_choice"\): it has "### BEGIN MARK SCHEME" .* not a "Manually graded task" cell'),
        (meta(TESTS2, points=-1),
         r'Cell 8 \(grade_id "test_d_spacing"\): its points must be a number, 0 or more; got -1\.'),
        (meta(TESTS2, points="3"), r"its points must be a number, 0 or more; got '3'\."),
        (meta(TASK, points=None), r'Cell 9 \(grade_id "resolution"\): it is a manually graded task but has no points'),
        (meta(TESTS2, grade_id="test d spacing"), r'grade_id "test d spacing" may only contain letters, digits'),
        (meta(TESTS2, grade_id=None), r"^Cell 8 \(code cell starting .*\): it is an nbgrader cell but has no grade_id"),
        (meta(TESTS2, schema_version=None),
         r"Cell 8 .*: its nbgrader metadata has no schema_version.*`nbgrader update`"),
        (meta(TESTS2, schema_version=2), r"uses schema version 2, which is outdated \(expected 3\)"),
        (meta(TESTS2, schema_version=5), r"uses schema version 5, which is newer than supported"),
        (meta(TESTS2, grade="yes"), r'nbgrader "grade" must be true or false, not \'yes\''),
        (meta(ANSWER4, solution=False), r"Cell 11 .*: a graded markdown cell must also be a solution cell"),
        (meta(TASK, task=False, locked=False, solution=True),
         r"Cell 9 .*: a markdown solution cell must also be graded"),
        (meta(SETUP, task=True, points=1), r"Cell 2 .*: a manually graded task must be a markdown cell\."),
        (move_tests_first, r'Cell 1 \(grade_id "test_momentum_transfer"\): this "Autograder tests" cell comes before '
                           r'any "Autograded answer" cell'),
        (source_of(TESTS2, "%timeit d_spacing(1.0)"),
         r"Cell 8 .*: line 1 of the autograder test cell is IPython syntax"),
        (source_of(TESTS2, "from math import *\nassert d_spacing(pi)"),
         r"Cell 8 .*: the autograder test cell cannot run inside a test function: import \* only allowed"),
        (source_of(TESTS2, "assert d_spacing(1.0) > 6 +"),
         r"Cell 8 .*: the autograder test cell has a Python syntax error on line 1"),
        (source_of(ANSWER2, "def d_spacing(q:\n    ### BEGIN SOLUTION\n    pass\n    ### END SOLUTION"),
         r"Cell 7 .*: the answer cell has a Python syntax error on line 1"),
        (source_of(TESTS2, "### AUTOTEST d_spacing(1.0)"), r"uses nbgrader's AUTOTEST templates"),
        (notebook_meta(kernelspec={"name": "ir", "language": "R", "display_name": "R"}),
         r"^The notebook is written for the 'R' kernel; only Python notebooks can be imported\.$"),
        (_without_outputs,
         r"^The notebook does not follow the Jupyter notebook format 4 at cells\[1\]: 'outputs' is a required"),
    ],
)  # fmt: skip
def test_malformed_cells_raise_errors_naming_the_cell(change, message):
    data = change() if change is _without_outputs else mutated(change)
    with pytest.raises(NotebookFormatError, match=message) as raised:
        import_source_notebook(data)
    if not any(text in message for text in IMPORT_ONLY):
        # The same checks as nbgrader generate_assignment; broken test code is only an import error.
        with pytest.raises(NotebookFormatError, match=message):
            export_student_notebook(data)
    if raised.value.cell_number is not None:
        assert f"Cell {raised.value.cell_number} " in str(raised.value)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", r"^The file is empty"),
        (b"\xff\xfe{}", r"^The file is not UTF-8 text"),
        ('{"cells": []}', r'^The file is JSON but not a Jupyter notebook: it has no top-level "nbformat" field\.$'),
        ("[1, 2]", r"^The file is JSON but not a Jupyter notebook"),
    ],
)
def test_files_that_are_not_notebooks_raise_clear_errors(data, message):
    with pytest.raises(NotebookFormatError, match=message):
        import_source_notebook(data)


def test_a_malformed_notebook_error_is_a_value_error_with_the_cell():
    with pytest.raises(ValueError) as raised:
        import_source_notebook((NOTEBOOKS / "duplicate_grade_id.ipynb").read_bytes())
    assert (raised.value.cell_number, raised.value.grade_id) == (8, "test_momentum_transfer")


# --- grades ------------------------------------------------------------------------------------------------------


def test_grades_csv_has_nbgraders_columns_and_round_trips():
    rows = [
        {"assignment": "ps1", "duedate": "2024-05-01 12:00:00", "timestamp": "2024-04-30 09:15:00",
         "student_id": "bitdiddle", "last_name": "Bitdiddle", "first_name": "Ben", "email": "ben@example.org",
         "raw_score": 6.5, "late_submission_penalty": 0, "max_score": 8},
        {"assignment": "ps1", "student_id": "hacker", "last_name": 'Hacker, "Alyssa"', "first_name": "Alyssa P.\nJr",
         "email": "alyssa@example.org", "max_score": 8},  # no submission
        {"assignment": "ps1", "student_id": "müller", "last_name": "Müller-Łukasiewicz", "first_name": "Zoë",
         "raw_score": 3, "late_submission_penalty": 4.0, "max_score": 8},
    ]  # fmt: skip
    text = grades_csv(rows)

    assert text.startswith(",".join(GRADES_CSV_COLUMNS) + "\r\n")
    parsed = list(csv.DictReader(io.StringIO(text.encode("utf-8").decode("utf-8"), newline="")))
    assert list(parsed[0]) == list(GRADES_CSV_COLUMNS)
    assert parsed[0]["raw_score"] == "6.5" and parsed[0]["score"] == "6.5" and parsed[0]["max_score"] == "8.0"
    assert parsed[0]["late_submission_penalty"] == "0.0"
    assert (parsed[1]["timestamp"], parsed[1]["raw_score"], parsed[1]["score"]) == ("", "0.0", "0.0")
    assert parsed[1]["last_name"] == 'Hacker, "Alyssa"' and parsed[1]["first_name"] == "Alyssa P.\nJr"
    assert parsed[2]["last_name"] == "Müller-Łukasiewicz" and parsed[2]["score"] == "0.0"  # never below zero


def test_grades_csv_neutralises_formulas():
    rows = [
        {"assignment": "=HYPERLINK(\"http://evil\")", "student_id": "+1", "last_name": "-2+3", "first_name": "@SUM(A1)",
         "email": "\tcmd", "raw_score": 5.0, "max_score": 8.0},
    ]  # fmt: skip
    (row,) = list(csv.reader(io.StringIO(grades_csv(rows), newline="")))[1:]
    values = dict(zip(GRADES_CSV_COLUMNS, row, strict=True))
    assert values["assignment"] == '\'=HYPERLINK("http://evil")'
    assert (values["student_id"], values["last_name"], values["first_name"]) == ("'+1", "'-2+3", "'@SUM(A1)")
    assert values["email"] == "'\tcmd"
    assert values["raw_score"] == "5.0"  # numbers are numbers, not text
    for value in row:
        assert not value.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_grades_csv_rejects_unknown_columns():
    with pytest.raises(ValueError, match="grades row 1: unknown column"):
        grades_csv([{"assignment": "ps1", "student_id": "x", "grade": 3}])


def test_a_cell_with_only_hidden_tests_gets_no_public_test():
    exercise = import_source_notebook(
        with_test_cell("### BEGIN HIDDEN TESTS\nassert momentum_transfer(60, 1.0) > 0\n### END HIDDEN TESTS")
    ).exercises[0]
    assert exercise.public_tests == []
    assert [(t.name, t.points) for t in exercise.hidden_tests] == [("test_momentum_transfer_hidden", 2.0)]


def test_a_hidden_region_that_breaks_the_public_code_is_refused():
    source = (
        "if CU_K_ALPHA1:\n    ### BEGIN HIDDEN TESTS\n    assert momentum_transfer(60, 1.0)\n    ### END HIDDEN TESTS"
    )
    with pytest.raises(NotebookFormatError, match=r"Cell 5 .*: without its hidden tests the cell is not valid Python"):
        import_source_notebook(with_test_cell(source))


def test_attachments_that_could_show_the_answer_are_not_exported():
    def change(nb):
        nb.cells[ANSWER4].source = nb.cells[ANSWER4].source.replace(
            "### END SOLUTION", "![sketch](attachment:answer.png)\n### END SOLUTION"
        )
        nb.cells[ANSWER4]["attachments"] = {"answer.png": {"image/png": "aGlkZGVu"}}

    exported = export_student_notebook(mutated(change))
    cell = nbformat.reads(exported.decode("utf-8"), as_version=4).cells[ANSWER4]
    assert "attachments" not in cell and b"aGlkZGVu" not in exported
