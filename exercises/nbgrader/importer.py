"""Import an nbgrader source notebook (the trainer's version, with solutions) as exercises."""

from __future__ import annotations

import ast
import re

from .cells import (
    BEGIN_HIDDEN_TESTS,
    BEGIN_MARK_SCHEME,
    BEGIN_SOLUTION,
    END_HIDDEN_TESTS,
    END_MARK_SCHEME,
    END_SOLUTION,
    CellInfo,
    cell_error,
)
from .reading import load_notebook
from .regions import keep_lines, scan_regions, student_answer
from .specs import ExerciseSpec, FreeResponseSpec, ImportedAssignment, TestSpec
from .testfunctions import all_loads, as_test_function, parse_cell_code, test_function_name, top_level_bindings


def _title(notebook) -> str:
    for cell in notebook.cells:
        if cell.cell_type != "markdown":
            continue
        fenced = False
        for line in cell.source.split("\n"):
            if line.lstrip().startswith(("```", "~~~")):
                fenced = not fenced
                continue
            match = None if fenced else re.match(r"^ {0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$", line)
            if match and match.group(1):
                return match.group(1)
    return ""


def import_source_notebook(data: bytes | str) -> ImportedAssignment:
    """Read an nbgrader *source* notebook (the trainer's version, with solutions) into exercises.

    Raises ``NotebookFormatError`` for anything nbgrader itself would refuse and for what cannot be imported
    faithfully; ``ImportedAssignment.warnings`` lists what was imported with a caveat.
    """
    notebook, infos, notes = load_notebook(data)
    title = _title(notebook)
    if not title:
        notes.append("The notebook has no markdown heading, so the assignment has no title; add one after importing.")
    assignment = ImportedAssignment(title=title, warnings=notes)

    pending_markdown: list[str] = []
    setup_cells: list[str] = []
    current: ExerciseSpec | None = None
    current_pre_test: list[str] = []
    used_names: dict[str, set[str]] = {}
    test_names: set[str] = set()

    def unique(name: str) -> str:
        candidate, n = name, 2
        while candidate in test_names:
            candidate, n = f"{name}_{n}", n + 1
        test_names.add(candidate)
        return candidate

    for info in infos:
        cell, kind = info.cell, info.kind
        if kind == "autograded_answer":
            current = ExerciseSpec(
                grade_id=info.grade_id,
                prompt_markdown="\n\n".join(pending_markdown),
                starter_code=student_answer(info, "code", cell.source),
                reference_solution=keep_lines(info, cell.source, BEGIN_SOLUTION, END_SOLUTION, {"text", "region"}),
                setup_code="\n\n".join(setup_cells),
                cell_number=info.number,
            )
            parse_cell_code(info, current.reference_solution, "answer cell", notes)
            assignment.exercises.append(current)
            used_names[current.grade_id] = all_loads(current.reference_solution)
            pending_markdown, current_pre_test = [], []
        elif kind == "autograder_tests":
            if current is None:
                raise cell_error(
                    info,
                    'this "Autograder tests" cell comes before any "Autograded answer" cell, so there is nothing '
                    "for it to test; move it below the answer cell it checks.",
                )
            _add_tests(info, current, current_pre_test, unique)
            for test in current.public_tests + current.hidden_tests:
                used_names[current.grade_id] |= all_loads(test.source)
        elif kind in ("task", "manual_answer"):
            assignment.free_response.append(_free_response(info, pending_markdown))
            pending_markdown = []
        elif cell.cell_type == "markdown":
            pending_markdown.append(cell.source)
        elif cell.cell_type == "code":
            if not cell.source.strip():
                continue
            if kind == "plain":
                notes.append(
                    f"{info.where} has no nbgrader metadata; students may edit it in nbgrader, here it runs as "
                    "read-only setup code before the exercises below it."
                )
            setup_cells.append(cell.source)
            if current is not None:
                current_pre_test.append(cell.source)
        else:
            notes.append(f"{info.where} is a raw cell and was ignored.")

    for exercise in assignment.exercises:
        if not exercise.public_tests and not exercise.hidden_tests:
            notes.append(
                f'Exercise "{exercise.grade_id}" (cell {exercise.cell_number}) has no "Autograder tests" cell after '
                "it, so it scores 0 points; add tests before students submit."
            )
    _warn_cross_exercise(assignment, used_names)
    return assignment


def _add_tests(info: CellInfo, exercise: ExerciseSpec, pre_test: list[str], unique) -> None:
    """One autograder test cell: a public test, plus a hidden test when the cell has hidden lines (see module doc)."""
    source = info.cell.source
    prefix = "\n\n".join(pre_test)
    public_lines = keep_lines(info, source, BEGIN_HIDDEN_TESTS, END_HIDDEN_TESTS, {"text"})
    full_lines = keep_lines(info, source, BEGIN_HIDDEN_TESTS, END_HIDDEN_TESTS, {"text", "region"})
    has_hidden = any(tag == "begin" for tag, _ in scan_regions(info, source, BEGIN_HIDDEN_TESTS, END_HIDDEN_TESTS))

    def joined(text: str) -> str:
        return f"{prefix}\n\n{text}" if prefix else text

    name = unique(test_function_name(info.grade_id))
    points = info.points or 0.0
    parse_cell_code(info, source, "autograder test cell")  # errors with the cell's own line numbers
    try:
        public_tree = ast.parse(public_lines)
    except SyntaxError as exc:
        raise cell_error(
            info,
            f"without its hidden tests the cell is not valid Python ({exc.msg}, line {exc.lineno} of the public "
            "part); a hidden region must hold whole statements, e.g. not the only lines of an `if` block.",
        ) from None
    if not has_hidden or public_tree.body:  # a cell that is all hidden gets no (always passing) public test
        public_source, public_returns = as_test_function(info, name, joined(public_lines), "autograder test cell")
        exercise.public_tests.append(
            TestSpec(
                name=name,
                source=public_source,
                points=0.0 if has_hidden else points,
                grade_id=info.grade_id,
                partial_credit=public_returns and not has_hidden,
            )
        )
    if has_hidden:
        hidden_name = unique(f"{name}_hidden")
        hidden_source, hidden_returns = as_test_function(info, hidden_name, joined(full_lines), "autograder test cell")
        exercise.hidden_tests.append(
            TestSpec(
                name=hidden_name,
                source=hidden_source,
                points=points,
                grade_id=info.grade_id,
                hidden=True,
                partial_credit=hidden_returns,
            )
        )


def _free_response(info: CellInfo, pending_markdown: list[str]) -> FreeResponseSpec:
    cell = info.cell
    prompt = list(pending_markdown)
    if info.kind == "task":
        prompt.append(keep_lines(info, cell.source, BEGIN_MARK_SCHEME, END_MARK_SCHEME, {"text"}).strip("\n"))
        scheme = keep_lines(info, cell.source, BEGIN_MARK_SCHEME, END_MARK_SCHEME, {"region"}).strip("\n")
        return FreeResponseSpec(
            grade_id=info.grade_id,
            kind="task",
            prompt_markdown="\n\n".join(prompt),
            points=info.points or 0.0,
            marking_scheme=scheme,
            cell_number=info.number,
        )
    return FreeResponseSpec(
        grade_id=info.grade_id,
        kind="code_answer" if cell.cell_type == "code" else "text_answer",
        prompt_markdown="\n\n".join(prompt),
        points=info.points or 0.0,
        starter=student_answer(info, cell.cell_type, cell.source),
        reference_answer=keep_lines(info, cell.source, BEGIN_SOLUTION, END_SOLUTION, {"text", "region"}),
        cell_number=info.number,
    )


def _warn_cross_exercise(assignment: ImportedAssignment, used_names: dict[str, set[str]]) -> None:
    """nbgrader runs the whole notebook in one kernel; here each exercise runs apart from the others."""
    defined_by: dict[str, str] = {}
    for exercise in assignment.exercises:
        own = top_level_bindings(exercise.reference_solution) | top_level_bindings(exercise.setup_code)
        borrowed = sorted(name for name in used_names.get(exercise.grade_id, set()) - own if name in defined_by)
        if borrowed:
            sources = sorted({defined_by[name] for name in borrowed})
            assignment.warnings.append(
                f'Exercise "{exercise.grade_id}" uses {", ".join(borrowed)}, defined by the answer to '
                f"{', '.join(f'exercise {s!r}' for s in sources)}. Exercises are graded apart here, so these "
                "names will be undefined: move them into a read-only cell or merge the exercises."
            )
        for name in top_level_bindings(exercise.reference_solution):
            defined_by.setdefault(name, exercise.grade_id)
