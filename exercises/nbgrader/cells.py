"""nbgrader's cells: its metadata predicates and checksum (nbgrader/utils.py), the stubs that replace solutions,
the region markers, and the location of a cell in a message."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

import nbformat

from .specs import NotebookFormatError

CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
TEXT_STUB = "YOUR ANSWER HERE"

BEGIN_SOLUTION, END_SOLUTION = "BEGIN SOLUTION", "END SOLUTION"
BEGIN_HIDDEN_TESTS, END_HIDDEN_TESTS = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"
BEGIN_MARK_SCHEME, END_MARK_SCHEME = "BEGIN MARK SCHEME", "END MARK SCHEME"
ALL_MARKERS = (BEGIN_SOLUTION, END_SOLUTION, BEGIN_HIDDEN_TESTS, END_HIDDEN_TESTS, BEGIN_MARK_SCHEME, END_MARK_SCHEME)


def nbgrader_metadata(cell) -> dict:
    value = cell.get("metadata", {}).get("nbgrader")
    return value if isinstance(value, Mapping) else {}


def is_grade(cell) -> bool:
    return bool(nbgrader_metadata(cell).get("grade", False))


def is_solution(cell) -> bool:
    return bool(nbgrader_metadata(cell).get("solution", False))


def is_task(cell) -> bool:
    return bool(nbgrader_metadata(cell).get("task", False))


def is_locked(cell) -> bool:
    """As nbgrader: solution cells are never locked, grade cells always are, others when marked read-only."""
    if not nbgrader_metadata(cell) or is_solution(cell):
        return False
    return True if is_grade(cell) else bool(nbgrader_metadata(cell).get("locked", False))


def compute_checksum(cell) -> str:
    """nbgrader's checksum of a cell (``utils.compute_checksum``), so exported notebooks work with nbgrader."""
    digest = hashlib.md5(usedforsecurity=False)
    for part in (cell.source, cell.cell_type, str(is_grade(cell)), str(is_solution(cell)), str(is_locked(cell))):
        digest.update(part.encode("utf-8"))
    digest.update(nbgrader_metadata(cell)["grade_id"].encode("utf-8"))
    if is_grade(cell):
        digest.update(str(float(nbgrader_metadata(cell)["points"])).encode("utf-8"))
    return digest.hexdigest()


@dataclass(frozen=True)
class CellInfo:
    index: int
    cell: nbformat.NotebookNode
    grade: bool = False
    solution: bool = False
    locked: bool = False
    task: bool = False
    grade_id: str = ""
    points: float | None = None

    @property
    def number(self) -> int:
        return self.index + 1

    @property
    def where(self) -> str:
        return cell_location(self.index, self.cell, self.grade_id)

    @property
    def kind(self) -> str:
        cell_type = self.cell.cell_type
        if self.task:
            return "task"
        if self.grade and self.solution:
            return "manual_answer"
        if self.solution and cell_type == "code":
            return "autograded_answer"
        if self.grade and cell_type == "code":
            return "autograder_tests"
        if self.locked:
            return "read_only"
        return "plain"


def cell_location(index: int, cell, grade_id: str = "") -> str:
    if grade_id:
        return f'Cell {index + 1} (grade_id "{grade_id}")'
    first = next((line.strip() for line in cell.get("source", "").splitlines() if line.strip()), "")
    if len(first) > 40:
        first = first[:37] + "..."
    return f'Cell {index + 1} ({cell.get("cell_type", "?")} cell starting "{first}")' if first else f"Cell {index + 1}"


def cell_error(info_or_where, message: str) -> NotebookFormatError:
    if isinstance(info_or_where, CellInfo):
        return NotebookFormatError(
            f"{info_or_where.where}: {message}",
            cell_number=info_or_where.number,
            grade_id=info_or_where.grade_id or None,
        )
    return NotebookFormatError(f"{info_or_where}: {message}")


def location_of(index: int, cell) -> str:
    """Where a cell is, named by its grade_id when it has one (for preprocessors, which see no CellInfo)."""
    return cell_location(index, cell, nbgrader_metadata(cell).get("grade_id", ""))


def drop_unused_attachments(cell) -> None:
    """Images attached to a cell stay only if the student version still shows them (they may show the answer)."""
    attachments = cell.get("attachments")
    if attachments is None:
        return
    for name in list(attachments):
        if f"attachment:{name}" not in cell.source:
            del attachments[name]
    if not attachments:
        del cell["attachments"]
