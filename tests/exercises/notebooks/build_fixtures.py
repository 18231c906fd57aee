"""Writes the nbgrader fixture notebooks next to this file: `python tests/exercises/notebooks/build_fixtures.py`.

`momentum_transfer.ipynb` is a realistic nbgrader *source* notebook (schema version 3, as the Create Assignment
toolbar writes it); the others are malformed on purpose, each in one way.
"""

import copy
import json
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).parent


def nbgrader(grade_id, *, grade=False, solution=False, locked=False, task=False, points=None):
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3, "solution": solution}
    if task:
        meta["task"] = True
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def cell_id(index):
    return f"cell-{index:02d}"


INTRO = """# Momentum transfer in a diffraction experiment

In elastic scattering a photon or neutron of wavelength $\\lambda$ leaves the sample at the scattering angle $2\\theta$.
The momentum transfer is

$$Q = \\frac{4\\pi \\sin\\theta}{\\lambda}$$

and Bragg's law links it to the spacing $d$ of the lattice planes: $Q = 2\\pi / d$."""

SETUP = """import math

CU_K_ALPHA1 = 1.5406  # Å, the Cu Kα1 line of a laboratory X-ray tube
THERMAL_NEUTRONS = 1.8  # Å, a typical thermal-neutron wavelength"""

PART1 = """## 1. Q from the angle and the wavelength

Write `momentum_transfer(two_theta_deg, wavelength)` that returns $Q$ in Å⁻¹ for a scattering angle $2\\theta$
in degrees and a wavelength in Å."""

ANSWER1 = '''def momentum_transfer(two_theta_deg, wavelength):
    """Momentum transfer Q (1/Å) for a scattering angle 2θ (degrees) and a wavelength (Å)."""
    ### BEGIN SOLUTION
    theta = math.radians(two_theta_deg) / 2
    return 4 * math.pi * math.sin(theta) / wavelength
    ### END SOLUTION'''

TESTS1 = """# Forward scattering transfers no momentum; back-scattering transfers the most.
assert math.isclose(momentum_transfer(0, CU_K_ALPHA1), 0.0, abs_tol=1e-12)
assert math.isclose(momentum_transfer(180, 2.0), 2 * math.pi, rel_tol=1e-9)
### BEGIN HIDDEN TESTS
# Si (111) with Cu Kα1: 2θ = 28.442°, d = 3.1356 Å, so Q = 2π/d (HIDDEN-SENTINEL-SI111)
assert math.isclose(momentum_transfer(28.442, CU_K_ALPHA1), 2 * math.pi / 3.1356, rel_tol=1e-3)
assert momentum_transfer(90, THERMAL_NEUTRONS) > momentum_transfer(90, 2 * THERMAL_NEUTRONS)
### END HIDDEN TESTS"""

PART2 = """## 2. Lattice spacing from Q

Write `d_spacing(q)` that returns the lattice spacing $d = 2\\pi / Q$ in Å and raises `ValueError` when $Q \\le 0$."""

ANSWER2 = """def d_spacing(q):
    ### BEGIN SOLUTION
    if q <= 0:
        raise ValueError("Q must be positive")
    return 2 * math.pi / q
    ### END SOLUTION"""

TESTS2 = """assert math.isclose(d_spacing(2 * math.pi), 1.0)
assert math.isclose(d_spacing(2.0038), 3.1356, rel_tol=1e-4)
try:
    d_spacing(0)
except ValueError:
    pass
else:
    raise AssertionError("d_spacing(0) should raise ValueError")"""

TASK = """## 3. Resolution

Explain in two or three sentences why diffractometers for large unit cells (proteins, for example) use longer
wavelengths. Write your answer in a new cell below.

### BEGIN MARK SCHEME
1 point: a longer wavelength spreads small Q over larger angles 2θ (MARK-SCHEME-SENTINEL), so neighbouring peaks
separate better for the same angular resolution.
### END MARK SCHEME"""

PART4 = """## 4. Choosing a probe

Would you use X-rays or neutrons to locate the hydrogen atoms in a metal hydride? Say why."""

ANSWER4 = """### BEGIN SOLUTION
Neutrons: X-rays scatter from electrons, and hydrogen has only one, while the neutron scattering length of
hydrogen (deuterium, better) is comparable to that of metals (SOLUTION-SENTINEL-HYDRIDE).
### END SOLUTION"""


def realistic():
    cells = [
        new_markdown_cell(INTRO),
        new_code_cell(SETUP, metadata=nbgrader("setup", locked=True)),
        new_markdown_cell(PART1),
        new_code_cell(ANSWER1, metadata=nbgrader("momentum_transfer", solution=True)),
        new_code_cell(TESTS1, metadata=nbgrader("test_momentum_transfer", grade=True, locked=True, points=2)),
        new_markdown_cell(PART2),
        new_code_cell(ANSWER2, metadata=nbgrader("d_spacing", solution=True)),
        new_code_cell(TESTS2, metadata=nbgrader("test_d_spacing", grade=True, locked=True, points=3)),
        new_markdown_cell(TASK, metadata=nbgrader("resolution", locked=True, task=True, points=1)),
        new_markdown_cell(PART4),
        new_markdown_cell(ANSWER4, metadata=nbgrader("probe_choice", grade=True, solution=True, points=2)),
    ]
    # The trainer ran the notebook: outputs that must not reach students.
    cells[4].outputs = [nbformat.v4.new_output("stream", name="stdout", text="Si (111) HIDDEN-SENTINEL-SI111\n")]
    cells[4].execution_count = 3
    for index, cell in enumerate(cells):
        cell["id"] = cell_id(index)
    notebook = new_notebook(cells=cells)
    notebook.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python", "version": "3.11"},
        "celltoolbar": "Create Assignment",
    }
    return notebook


def variant(change):
    notebook = copy.deepcopy(realistic())
    change(notebook)
    return notebook


def write(name, notebook):
    nbformat.validate(notebook)
    (HERE / name).write_text(nbformat.writes(notebook) + "\n", encoding="utf-8")


def main():
    write("momentum_transfer.ipynb", realistic())

    def duplicate(nb):
        nb.cells[7].metadata.nbgrader.grade_id = "test_momentum_transfer"

    def no_points(nb):
        del nb.cells[7].metadata.nbgrader["points"]

    def unbalanced(nb):
        nb.cells[6].source = ANSWER2.replace("    ### END SOLUTION", "")

    def hidden_in_answer(nb):
        nb.cells[6].source = ANSWER2 + "\n### BEGIN HIDDEN TESTS\nassert d_spacing(1.0) > 6\n### END HIDDEN TESTS"

    write("duplicate_grade_id.ipynb", variant(duplicate))
    write("grade_cell_without_points.ipynb", variant(no_points))
    write("unbalanced_solution_markers.ipynb", variant(unbalanced))
    write("hidden_tests_in_non_grade_cell.ipynb", variant(hidden_in_answer))
    (HERE / "not_json.ipynb").write_text('{"cells": [{"cell_type": "code", "source": "x = 1"\n', encoding="utf-8")
    nbformat3 = {
        "metadata": {"name": "momentum_transfer"},
        "nbformat": 3,
        "nbformat_minor": 0,
        "worksheets": [{"cells": [{"cell_type": "markdown", "metadata": {}, "source": ["# Old notebook"]}]}],
    }
    (HERE / "nbformat3.ipynb").write_text(json.dumps(nbformat3, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
