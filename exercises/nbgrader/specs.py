"""What an nbgrader source notebook imports as: exercises with their tests, free-response items, and the error
that names the cell to fix."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


class NotebookFormatError(ValueError):
    """The notebook or one of its cells is not a usable nbgrader source notebook; the message says why."""

    def __init__(self, message: str, *, cell_number: int | None = None, grade_id: str | None = None):
        super().__init__(message)
        self.cell_number = cell_number  # 1-based, as Jupyter users count cells
        self.grade_id = grade_id


@dataclass
class TestSpec:
    """One test function.

    ``source`` defines ``def <name>():``. ``partial_credit``: the function returns the value of the cell's last
    expression, which ``nbgrader_cell_score`` turns into a score. ``fail_on_stderr``: output on stderr fails the
    test, as in nbgrader.
    """

    __test__ = False  # not a pytest test class

    name: str
    source: str
    points: float
    grade_id: str
    hidden: bool = False
    partial_credit: bool = False
    fail_on_stderr: bool = True


@dataclass
class ExerciseSpec:
    """A code exercise made of one autograded answer cell and the autograder test cells after it.

    ``setup_code``: the read-only (and unmarked) code cells above the answer cell, in order; nbgrader runs them
    before the student's code. ``reference_solution``: the answer cell as the trainer wrote it, without the marker
    lines. ``starter_code``: the answer cell as ``nbgrader generate_assignment`` gives it to students.
    """

    grade_id: str
    prompt_markdown: str
    starter_code: str
    reference_solution: str
    public_tests: list[TestSpec] = field(default_factory=list)
    hidden_tests: list[TestSpec] = field(default_factory=list)
    setup_code: str = ""
    cell_number: int = 0

    @property
    def points(self) -> float:
        return sum(test.points for test in self.public_tests + self.hidden_tests)


@dataclass
class FreeResponseSpec:
    """A manually graded item: a task cell (``kind="task"``) or a manually graded answer cell (text or code)."""

    grade_id: str
    kind: Literal["task", "text_answer", "code_answer"]
    prompt_markdown: str
    points: float
    starter: str = ""
    reference_answer: str = ""
    marking_scheme: str = ""
    cell_number: int = 0


@dataclass
class ImportedAssignment:
    title: str
    exercises: list[ExerciseSpec] = field(default_factory=list)
    free_response: list[FreeResponseSpec] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def total_points(self) -> float:
        return sum(e.points for e in self.exercises) + sum(f.points for f in self.free_response)
