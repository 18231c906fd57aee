"""nbgrader source notebooks in and out: import them as exercises, export the student version and the grades.

Pure module (no Django). It follows nbgrader's own semantics, read from its preprocessors and metadata schema:

* Cell metadata lives under ``cell.metadata["nbgrader"]`` (schema version 3; 4 only adds ``duplicate``, which
  nbgrader sets while autograding). The keys are ``grade``, ``solution``, ``locked``, ``task``, ``grade_id``,
  ``points`` and ``schema_version`` (``checksum`` and ``cell_type`` are added by ``generate_assignment``).
* Kinds of cells, as the "Create Assignment" toolbar writes them:

  ==========================  ===========================================  ==========================
  nbgrader cell               metadata                                     here
  ==========================  ===========================================  ==========================
  Autograded answer           code, ``solution``                           starts an ``ExerciseSpec``
  Autograder tests            code, ``grade`` (+ ``points``), locked       ``TestSpec`` of that exercise
  Read-only                   ``locked`` only                              setup code / prompt text
  Manually graded answer      ``grade`` + ``solution`` (+ ``points``)      ``FreeResponseSpec``
  Manually graded task        markdown, ``task`` (+ ``points``)            ``FreeResponseSpec``
  ==========================  ===========================================  ==========================

* Regions: a line containing ``BEGIN SOLUTION`` ... ``END SOLUTION`` (conventionally ``### BEGIN SOLUTION``) is
  replaced by the stub ``# YOUR CODE HERE`` / ``raise NotImplementedError()`` indented like the BEGIN line (text
  cells get ``YOUR ANSWER HERE``); a solution cell without a region is replaced whole. ``BEGIN HIDDEN TESTS`` ...
  ``END HIDDEN TESTS`` regions are removed from autograder test cells, ``BEGIN MARK SCHEME`` ... ``END MARK SCHEME``
  from task cells. nbgrader matches the marker text anywhere in a line; so does this module.

Grades identical to ``nbgrader autograde``
-------------------------------------------
``nbgrader autograde`` puts each autograder test cell back as it is in the *source* notebook (hidden tests
included), runs the notebook top to bottom, and gives a test cell all its points unless it raised an error or wrote
to stderr (``utils.determine_grade``); when the cell's last line is an expression whose value reads as a number
between 0 and the points, that number is the (partial) score. It is all or nothing per cell: the public and the
hidden lines of a cell must all pass. Hence the mapping of one test cell worth P points:

* no hidden region: one public test ``test_<grade_id>`` worth P;
* with a hidden region: a public test ``test_<grade_id>`` with the public lines only, worth 0 (it gives feedback on
  "Check" and never changes a score), and a hidden test ``test_<grade_id>_hidden`` with the whole cell (public and
  hidden lines, in their order), worth P. Splitting P between the two would award points nbgrader does not (public
  part passes, hidden part fails), so the cell's points stay on the combined test, which is hidden.

Each test carries ``fail_on_stderr`` and ``partial_credit`` so the grader can reproduce ``determine_grade``;
``nbgrader_cell_score`` is that rule as a pure function. A test function runs the cell's lines in a function body
instead of at the notebook's top level; names that the cell reads before assigning are declared ``global`` so they
still resolve to the setup's values, as in the notebook.

The module raises ``NotebookFormatError`` (a ``ValueError``) with a message naming the cell and what to change.
"""

from __future__ import annotations

import ast
import csv
import hashlib
import io
import json
import math
import re
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from numbers import Real
from typing import Literal

import nbformat
from nbconvert.preprocessors import ClearOutputPreprocessor, Preprocessor

__all__ = [
    "CODE_STUB",
    "GRADES_CSV_COLUMNS",
    "TEXT_STUB",
    "ExerciseSpec",
    "FreeResponseSpec",
    "ImportedAssignment",
    "NotebookFormatError",
    "TestSpec",
    "export_student_notebook",
    "grades_csv",
    "import_source_notebook",
    "nbgrader_cell_score",
]

CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
TEXT_STUB = "YOUR ANSWER HERE"

BEGIN_SOLUTION, END_SOLUTION = "BEGIN SOLUTION", "END SOLUTION"
BEGIN_HIDDEN_TESTS, END_HIDDEN_TESTS = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"
BEGIN_MARK_SCHEME, END_MARK_SCHEME = "BEGIN MARK SCHEME", "END MARK SCHEME"
ALL_MARKERS = (BEGIN_SOLUTION, END_SOLUTION, BEGIN_HIDDEN_TESTS, END_HIDDEN_TESTS, BEGIN_MARK_SCHEME, END_MARK_SCHEME)

SCHEMA_VERSIONS = (3, 4)
KNOWN_KEYS = frozenset(
    {
        "schema_version",
        "grade",
        "solution",
        "locked",
        "task",
        "grade_id",
        "points",
        "checksum",
        "cell_type",
        "duplicate",
    }
)
GRADE_ID_RE = re.compile(r"^[A-Za-z0-9_\-]+$")
MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024

#: The columns of ``nbgrader export`` (``CsvExportPlugin``), in its order.
GRADES_CSV_COLUMNS = (
    "assignment",
    "duedate",
    "timestamp",
    "student_id",
    "last_name",
    "first_name",
    "email",
    "raw_score",
    "late_submission_penalty",
    "score",
    "max_score",
)
_SCORE_COLUMNS = frozenset({"raw_score", "late_submission_penalty", "score", "max_score"})
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


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


# --- nbgrader's cell predicates and checksum (nbgrader/utils.py) -------------------------------------------------


def _meta(cell) -> dict:
    value = cell.get("metadata", {}).get("nbgrader")
    return value if isinstance(value, Mapping) else {}


def is_grade(cell) -> bool:
    return bool(_meta(cell).get("grade", False))


def is_solution(cell) -> bool:
    return bool(_meta(cell).get("solution", False))


def is_task(cell) -> bool:
    return bool(_meta(cell).get("task", False))


def is_locked(cell) -> bool:
    """As nbgrader: solution cells are never locked, grade cells always are, others when marked read-only."""
    if not _meta(cell) or is_solution(cell):
        return False
    return True if is_grade(cell) else bool(_meta(cell).get("locked", False))


def compute_checksum(cell) -> str:
    """nbgrader's checksum of a cell (``utils.compute_checksum``), so exported notebooks work with nbgrader."""
    digest = hashlib.md5(usedforsecurity=False)
    for part in (cell.source, cell.cell_type, str(is_grade(cell)), str(is_solution(cell)), str(is_locked(cell))):
        digest.update(part.encode("utf-8"))
    digest.update(_meta(cell)["grade_id"].encode("utf-8"))
    if is_grade(cell):
        digest.update(str(float(_meta(cell)["points"])).encode("utf-8"))
    return digest.hexdigest()


def nbgrader_cell_score(points: float, *, errored: bool, wrote_stderr: bool, result_repr: str | None) -> float:
    """The score ``nbgrader autograde`` gives an autograder test cell (``utils.determine_grade``).

    ``result_repr`` is the text/plain form of the cell's last expression (``repr()`` for numbers and strings), or
    None when there was none. An error or any stderr output scores 0. A value that reads as a float in [0, points]
    is the score; any other value, or none, scores full points. nbgrader aborts on a value above the points; here it
    scores 0.
    """
    if errored or wrote_stderr:
        return 0.0
    if result_repr is None:
        return float(points)
    try:
        value = float(result_repr)
    except ValueError:
        return float(points)
    if value >= 0.0:
        return value if value <= points else 0.0
    return float(points)  # negative or NaN: nbgrader warns and gives full points


# --- reading and checking ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _CellInfo:
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
        return _where(self.index, self.cell, self.grade_id)

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


def _where(index: int, cell, grade_id: str = "") -> str:
    if grade_id:
        return f'Cell {index + 1} (grade_id "{grade_id}")'
    first = next((line.strip() for line in cell.get("source", "").splitlines() if line.strip()), "")
    if len(first) > 40:
        first = first[:37] + "..."
    return f'Cell {index + 1} ({cell.get("cell_type", "?")} cell starting "{first}")' if first else f"Cell {index + 1}"


def _error(info_or_where, message: str) -> NotebookFormatError:
    if isinstance(info_or_where, _CellInfo):
        return NotebookFormatError(
            f"{info_or_where.where}: {message}",
            cell_number=info_or_where.number,
            grade_id=info_or_where.grade_id or None,
        )
    return NotebookFormatError(f"{info_or_where}: {message}")


def _read_notebook(data: bytes | str) -> nbformat.NotebookNode:
    if isinstance(data, bytes | bytearray | memoryview):
        raw = bytes(data)
        if len(raw) > MAX_NOTEBOOK_BYTES:
            raise NotebookFormatError(f"The notebook is larger than {MAX_NOTEBOOK_BYTES // (1024 * 1024)} MB.")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise NotebookFormatError(
                f"The file is not UTF-8 text (byte {exc.start}); a Jupyter notebook (.ipynb) is UTF-8 JSON."
            ) from None
    elif isinstance(data, str):
        text = data.removeprefix("\ufeff")
        if len(text) > MAX_NOTEBOOK_BYTES:
            raise NotebookFormatError(f"The notebook is larger than {MAX_NOTEBOOK_BYTES // (1024 * 1024)} MB.")
    else:
        raise TypeError(f"expected the notebook as bytes or str, not {type(data).__name__}")

    if not text.strip():
        raise NotebookFormatError("The file is empty; expected a Jupyter notebook (.ipynb).")
    try:
        raw_json = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NotebookFormatError(
            f"The file is not a Jupyter notebook: it is not valid JSON (line {exc.lineno}, column {exc.colno}: "
            f"{exc.msg})."
        ) from None
    if not isinstance(raw_json, dict) or "nbformat" not in raw_json:
        raise NotebookFormatError('The file is JSON but not a Jupyter notebook: it has no top-level "nbformat" field.')
    version = raw_json.get("nbformat")
    if version != 4:
        raise NotebookFormatError(
            f"The notebook uses notebook format version {version!r}; only version 4 (Jupyter Notebook 4.0 and later, "
            "JupyterLab) is supported. Open it in a current Jupyter and save it to convert it."
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # nbformat warns about missing cell ids, which it adds itself
        try:
            notebook = nbformat.reads(text, as_version=4)
            nbformat.validate(notebook)
        except nbformat.ValidationError as exc:
            path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in getattr(exc, "absolute_path", []))
            location = f" at {path.lstrip('.')}" if path else ""
            raise NotebookFormatError(
                f"The notebook does not follow the Jupyter notebook format 4{location}: {exc.message}."
            ) from None
        except Exception as exc:  # nbformat raises assorted errors on odd input
            raise NotebookFormatError(f"The notebook could not be read as a Jupyter notebook: {exc}.") from None
    return notebook


def _check_language(notebook) -> None:
    metadata = notebook.get("metadata", {})
    language = (metadata.get("kernelspec") or {}).get("language") or (metadata.get("language_info") or {}).get("name")
    if language and str(language).lower() != "python":
        raise NotebookFormatError(
            f"The notebook is written for the {language!r} kernel; only Python notebooks can be imported."
        )


def _cell_info(index: int, cell, warnings_out: list[str]) -> _CellInfo:
    raw = cell.get("metadata", {}).get("nbgrader")
    if raw is None:
        return _CellInfo(index, cell)
    where = _where(index, cell, raw.get("grade_id", "") if isinstance(raw, Mapping) else "")
    if not isinstance(raw, Mapping):
        raise _error(where, 'its "nbgrader" metadata is not an object.')
    version = raw.get("schema_version")
    if version is None or isinstance(version, bool) or not isinstance(version, int):
        raise _error(
            where,
            "its nbgrader metadata has no schema_version, so it was written by an old nbgrader. "
            "Run `nbgrader update` on the notebook (or re-save it with the Create Assignment toolbar) and try again.",
        )
    if version < min(SCHEMA_VERSIONS):
        raise _error(
            where,
            f"its nbgrader metadata uses schema version {version}, which is outdated (expected 3). "
            "Run `nbgrader update` on the notebook and try again.",
        )
    if version > max(SCHEMA_VERSIONS):
        raise _error(where, f"its nbgrader metadata uses schema version {version}, which is newer than supported (3).")
    flags = {}
    for key in ("grade", "solution", "locked", "task"):
        value = raw.get(key, False)
        if not isinstance(value, bool):
            raise _error(where, f'nbgrader "{key}" must be true or false, not {value!r}.')
        flags[key] = value
    unknown = sorted(set(raw) - KNOWN_KEYS)
    if unknown:
        warnings_out.append(f"{where}: unknown nbgrader metadata key(s) {', '.join(unknown)} ignored.")

    grade_id = raw.get("grade_id", "")
    if any(flags.values()):
        if not isinstance(grade_id, str) or not grade_id:
            raise _error(where, "it is an nbgrader cell but has no grade_id; give it a unique id in the toolbar.")
        if not GRADE_ID_RE.match(grade_id):
            raise _error(
                where, f'grade_id "{grade_id}" may only contain letters, digits, "_" and "-" (no spaces or dots).'
            )
    elif not isinstance(grade_id, str):
        grade_id = ""

    points = None
    if flags["grade"] or flags["task"]:
        if "points" not in raw:
            label = "manually graded task" if flags["task"] else "graded cell"
            raise _error(where, f"it is a {label} but has no points; set its points (a number, 0 or more).")
        points = raw["points"]
        if isinstance(points, bool) or not isinstance(points, int | float) or not math.isfinite(points) or points < 0:
            raise _error(where, f"its points must be a number, 0 or more; got {points!r}.")
        points = float(points)

    info = _CellInfo(index, cell, grade_id=grade_id, points=points, **flags)
    cell_type = cell.cell_type
    if flags["task"]:
        if cell_type != "markdown":
            raise _error(info, "a manually graded task must be a markdown cell.")
        if flags["grade"] or flags["solution"]:
            raise _error(info, "a manually graded task cannot also be an answer or a graded cell; pick one type.")
    elif cell_type == "markdown" and flags["grade"] and not flags["solution"]:
        raise _error(info, 'a graded markdown cell must also be a solution cell ("Manually graded answer").')
    elif cell_type == "markdown" and flags["solution"] and not flags["grade"]:
        raise _error(info, 'a markdown solution cell must also be graded ("Manually graded answer") and have points.')
    elif cell_type == "raw" and (flags["grade"] or flags["solution"]):
        raise _error(info, "raw cells cannot be answer or graded cells; make it a code or markdown cell.")
    return info


def _scan(info_or_where, source: str, begin: str, end: str) -> list[tuple[str, str]]:
    """Tag each line "text", "begin", "region" or "end", as nbgrader's region preprocessors read them."""
    tagged: list[tuple[str, str]] = []
    opened_at = 0
    for number, line in enumerate(source.split("\n"), start=1):
        if begin in line:
            if opened_at:
                raise _error(
                    info_or_where,
                    f'line {number} opens a "### {begin}" region inside the one opened on line {opened_at}; '
                    f'close the first with "### {end}" (regions cannot be nested).',
                )
            opened_at = number
            tagged.append(("begin", line))
        elif end in line:
            if not opened_at:
                raise _error(info_or_where, f'line {number} has "### {end}" without a "### {begin}" line before it.')
            opened_at = 0
            tagged.append(("end", line))
        else:
            tagged.append(("region" if opened_at else "text", line))
    if opened_at:
        raise _error(
            info_or_where,
            f'the "### {begin}" region opened on line {opened_at} is never closed; add a "### {end}" line after it.',
        )
    return tagged


def _has_marker(source: str, begin: str, end: str) -> bool:
    return begin in source or end in source


def _check_markers(info: _CellInfo) -> None:
    source = info.cell.source
    kind = info.kind
    if _has_marker(source, BEGIN_SOLUTION, END_SOLUTION):
        if not info.solution:
            raise _error(
                info,
                'it has "### BEGIN SOLUTION" / "### END SOLUTION" lines but is not a solution cell; mark it '
                '"Autograded answer" (or "Manually graded answer") or remove the markers.',
            )
        _scan(info, source, BEGIN_SOLUTION, END_SOLUTION)
    if _has_marker(source, BEGIN_HIDDEN_TESTS, END_HIDDEN_TESTS):
        if kind != "autograder_tests":
            raise _error(
                info,
                'it has "### BEGIN HIDDEN TESTS" / "### END HIDDEN TESTS" lines but is not an "Autograder tests" '
                "cell; hidden tests are only allowed in autograder test cells (otherwise they would reach students).",
            )
        _scan(info, source, BEGIN_HIDDEN_TESTS, END_HIDDEN_TESTS)
    if _has_marker(source, BEGIN_MARK_SCHEME, END_MARK_SCHEME):
        if kind != "task":
            raise _error(
                info,
                'it has "### BEGIN MARK SCHEME" / "### END MARK SCHEME" lines but is not a "Manually graded task" '
                "cell; mark schemes are only allowed in task cells (otherwise they would reach students).",
            )
        _scan(info, source, BEGIN_MARK_SCHEME, END_MARK_SCHEME)
    if kind == "autograder_tests" and re.search(r"^\s*#+\s*(HASHED\s+)?AUTOTEST\b", source, re.MULTILINE):
        raise _error(
            info,
            "it uses nbgrader's AUTOTEST templates, which are expanded by running a kernel. Expand them first with "
            "`nbgrader generate_source_with_tests` and import the result.",
        )


def _load(data: bytes | str) -> tuple[nbformat.NotebookNode, list[_CellInfo], list[str]]:
    notebook = _read_notebook(data)
    _check_language(notebook)
    notes: list[str] = []
    infos = [_cell_info(index, cell, notes) for index, cell in enumerate(notebook.cells)]
    seen: dict[str, _CellInfo] = {}
    for info in infos:
        if not (info.grade or info.solution or info.locked or info.task):
            continue
        if info.grade_id in seen:
            first = seen[info.grade_id]
            raise _error(
                info,
                f'grade_id "{info.grade_id}" is already used by cell {first.number}; every nbgrader cell needs its '
                "own grade_id.",
            )
        seen[info.grade_id] = info
    for info in infos:
        _check_markers(info)
    return notebook, infos, notes


# --- source transformations shared by import and export ----------------------------------------------------------


def _strip_solution(info_or_where, cell_type: str, source: str) -> tuple[str, bool]:
    """nbgrader's ClearSolutions on one cell: (student source, whether a region was replaced)."""
    stub = (CODE_STUB if cell_type == "code" else TEXT_STUB).split("\n")
    out: list[str] = []
    replaced = False
    for tag, line in _scan(info_or_where, source, BEGIN_SOLUTION, END_SOLUTION):
        if tag == "begin":
            replaced = True
            indent = re.match(r"\s*", line).group(0)
            out.extend(indent + stub_line for stub_line in stub)
        elif tag == "text":
            out.append(line)
    return "\n".join(out), replaced


def _student_answer(info_or_where, cell_type: str, source: str) -> str:
    stripped, replaced = _strip_solution(info_or_where, cell_type, source)
    return stripped if replaced else (CODE_STUB if cell_type == "code" else TEXT_STUB)


def _keep(info_or_where, source: str, begin: str, end: str, tags: set[str]) -> str:
    return "\n".join(line for tag, line in _scan(info_or_where, source, begin, end) if tag in tags)


# --- test functions ----------------------------------------------------------------------------------------------


class _ScopeNames(ast.NodeVisitor):
    """Names read and bound in the scope being visited, not in nested functions, lambdas or classes."""

    def __init__(self):
        self.loads: set[str] = set()
        self.stores: set[str] = set()

    def visit_Name(self, node: ast.Name):
        (self.loads if isinstance(node.ctx, ast.Load) else self.stores).add(node.id)

    def visit_AugAssign(self, node: ast.AugAssign):
        if isinstance(node.target, ast.Name):
            self.loads.add(node.target.id)
        self.generic_visit(node)

    def _definition(self, node):
        for item in [*node.decorator_list, *getattr(node, "bases", []), *getattr(node, "keywords", [])]:
            self.visit(item)
        if hasattr(node, "args"):
            for default in [*node.args.defaults, *[d for d in node.args.kw_defaults if d is not None]]:
                self.visit(default)
        self.stores.add(node.name)

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _definition

    def visit_Lambda(self, node: ast.Lambda):
        for default in [*node.args.defaults, *[d for d in node.args.kw_defaults if d is not None]]:
            self.visit(default)

    def _comprehension(self, node):
        self.visit(node.generators[0].iter)  # the only part evaluated in the enclosing scope

    visit_ListComp = visit_SetComp = visit_GeneratorExp = visit_DictComp = _comprehension

    def visit_Import(self, node):
        for alias in node.names:
            self.stores.add(alias.asname or alias.name.split(".")[0])

    visit_ImportFrom = visit_Import

    def visit_ExceptHandler(self, node: ast.ExceptHandler):
        if node.name:
            self.stores.add(node.name)
        self.generic_visit(node)

    def visit_Global(self, node: ast.Global):
        self.stores.update(node.names)


def _scope_names(nodes) -> _ScopeNames:
    names = _ScopeNames()
    for node in nodes:
        names.visit(node)
    return names


def _needs_global(tree: ast.Module) -> list[str]:
    """Names the cell binds but reads before binding: in a function they would be unbound locals."""
    bound_anywhere = _scope_names(tree.body).stores
    bound: set[str] = set()
    needed: set[str] = set()
    for statement in tree.body:
        names = _scope_names([statement])
        needed |= (names.loads - bound) & bound_anywhere
        bound |= names.stores
    return sorted(needed)


def _all_loads(source: str) -> set[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}


def _top_level_bindings(source: str) -> set[str]:
    try:
        return _scope_names(ast.parse(source).body).stores
    except SyntaxError:
        return set()


def _parse_cell_code(info: _CellInfo, source: str, label: str, notes: list[str] | None = None) -> ast.Module | None:
    """Parse a cell's code; IPython magics are an error, or only a warning in ``notes`` when that is given."""
    try:
        return ast.parse(source)
    except SyntaxError as exc:
        line = source.split("\n")[exc.lineno - 1].lstrip() if exc.lineno else ""
        if line[:1] in ("%", "!"):
            message = (
                f"line {exc.lineno} of the {label} is IPython syntax ({line[:20]!r}), not Python; tests and answers "
                "run as plain Python, so replace magics and shell commands with Python code."
            )
            if notes is None:
                raise _error(info, message) from None
            notes.append(f"{info.where}: {message}")
            return None
        raise _error(info, f"the {label} has a Python syntax error on line {exc.lineno}: {exc.msg}.") from None


def _last_expression_shown(tree: ast.Module, source: str) -> bool:
    """Whether IPython would display the value of the cell's last line (a bare expression not ending in ';')."""
    if not tree.body or not isinstance(tree.body[-1], ast.Expr):
        return False
    last = tree.body[-1]
    line = source.split("\n")[last.end_lineno - 1]
    rest = line.encode("utf-8")[last.end_col_offset :].decode("utf-8", "replace")
    return not rest.lstrip().startswith(";")


def _test_function(info: _CellInfo, name: str, source: str, label: str) -> tuple[str, bool]:
    """``def <name>():`` running ``source`` (a cell's lines); returns (function source, whether it returns a value)."""
    tree = _parse_cell_code(info, source, label)
    returns = _last_expression_shown(tree, source)
    expected = list(tree.body)
    if returns:
        expected[-1] = ast.Return(value=expected[-1].value)
    globals_needed = _needs_global(tree)

    header = [f"def {name}():"]
    if globals_needed:
        header.append(f"    global {', '.join(globals_needed)}")
    lines = source.split("\n")
    if returns:
        row, col = tree.body[-1].lineno - 1, tree.body[-1].col_offset
        # `a; b` on one line cannot take a `return` in place: the check below then rebuilds the body.
        if lines[row][:col].strip() == "":
            lines[row] = lines[row][:col] + "return " + lines[row][col:]
    body = "\n".join(("    " + line) if line.strip() else "" for line in lines).rstrip() if tree.body else ""
    candidate = "\n".join(header) + "\n" + (body or "    pass") + "\n"
    if not _same_body(candidate, expected):
        # Indenting changed a multi-line string or similar: rebuild the body from the syntax tree (drops comments).
        module = ast.Module(body=expected or [ast.Pass()], type_ignores=[])
        rebuilt = ast.unparse(ast.fix_missing_locations(module))
        candidate = "\n".join(header) + "\n" + "\n".join("    " + line for line in rebuilt.split("\n")) + "\n"
    try:
        compile(candidate, f"<{name}>", "exec")
    except SyntaxError as exc:
        raise _error(
            info,
            f"the {label} cannot run inside a test function: {exc.msg} (line {exc.lineno}). "
            "For example, replace `from module import *` with explicit imports.",
        ) from None
    return candidate, returns


def _same_body(function_source: str, expected: list[ast.stmt]) -> bool:
    try:
        function = ast.parse(function_source).body[0]
    except SyntaxError:
        return False
    body = [node for node in function.body if not isinstance(node, ast.Global)]
    if not expected:
        return len(body) == 1 and isinstance(body[0], ast.Pass)
    return [ast.dump(node) for node in body] == [ast.dump(node) for node in expected]


def _identifier(grade_id: str) -> str:
    name = re.sub(r"\W", "_", grade_id)
    return name if name.startswith("test_") else f"test_{name}"


# --- import ------------------------------------------------------------------------------------------------------


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
    notebook, infos, notes = _load(data)
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
                starter_code=_student_answer(info, "code", cell.source),
                reference_solution=_keep(info, cell.source, BEGIN_SOLUTION, END_SOLUTION, {"text", "region"}),
                setup_code="\n\n".join(setup_cells),
                cell_number=info.number,
            )
            _parse_cell_code(info, current.reference_solution, "answer cell", notes)
            assignment.exercises.append(current)
            used_names[current.grade_id] = _all_loads(current.reference_solution)
            pending_markdown, current_pre_test = [], []
        elif kind == "autograder_tests":
            if current is None:
                raise _error(
                    info,
                    'this "Autograder tests" cell comes before any "Autograded answer" cell, so there is nothing '
                    "for it to test; move it below the answer cell it checks.",
                )
            _add_tests(info, current, current_pre_test, unique)
            for test in current.public_tests + current.hidden_tests:
                used_names[current.grade_id] |= _all_loads(test.source)
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


def _add_tests(info: _CellInfo, exercise: ExerciseSpec, pre_test: list[str], unique) -> None:
    """One autograder test cell: a public test, plus a hidden test when the cell has hidden lines (see module doc)."""
    source = info.cell.source
    prefix = "\n\n".join(pre_test)
    public_lines = _keep(info, source, BEGIN_HIDDEN_TESTS, END_HIDDEN_TESTS, {"text"})
    full_lines = _keep(info, source, BEGIN_HIDDEN_TESTS, END_HIDDEN_TESTS, {"text", "region"})
    has_hidden = any(tag == "begin" for tag, _ in _scan(info, source, BEGIN_HIDDEN_TESTS, END_HIDDEN_TESTS))

    def joined(text: str) -> str:
        return f"{prefix}\n\n{text}" if prefix else text

    name = unique(_identifier(info.grade_id))
    points = info.points or 0.0
    _parse_cell_code(info, source, "autograder test cell")  # errors with the cell's own line numbers
    try:
        public_tree = ast.parse(public_lines)
    except SyntaxError as exc:
        raise _error(
            info,
            f"without its hidden tests the cell is not valid Python ({exc.msg}, line {exc.lineno} of the public "
            "part); a hidden region must hold whole statements, e.g. not the only lines of an `if` block.",
        ) from None
    if not has_hidden or public_tree.body:  # a cell that is all hidden gets no (always passing) public test
        public_source, public_returns = _test_function(info, name, joined(public_lines), "autograder test cell")
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
        hidden_source, hidden_returns = _test_function(info, hidden_name, joined(full_lines), "autograder test cell")
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


def _free_response(info: _CellInfo, pending_markdown: list[str]) -> FreeResponseSpec:
    cell = info.cell
    prompt = list(pending_markdown)
    if info.kind == "task":
        prompt.append(_keep(info, cell.source, BEGIN_MARK_SCHEME, END_MARK_SCHEME, {"text"}).strip("\n"))
        scheme = _keep(info, cell.source, BEGIN_MARK_SCHEME, END_MARK_SCHEME, {"region"}).strip("\n")
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
        starter=_student_answer(info, cell.cell_type, cell.source),
        reference_answer=_keep(info, cell.source, BEGIN_SOLUTION, END_SOLUTION, {"text", "region"}),
        cell_number=info.number,
    )


def _warn_cross_exercise(assignment: ImportedAssignment, used_names: dict[str, set[str]]) -> None:
    """nbgrader runs the whole notebook in one kernel; here each exercise runs apart from the others."""
    defined_by: dict[str, str] = {}
    for exercise in assignment.exercises:
        own = _top_level_bindings(exercise.reference_solution) | _top_level_bindings(exercise.setup_code)
        borrowed = sorted(name for name in used_names.get(exercise.grade_id, set()) - own if name in defined_by)
        if borrowed:
            sources = sorted({defined_by[name] for name in borrowed})
            assignment.warnings.append(
                f'Exercise "{exercise.grade_id}" uses {", ".join(borrowed)}, defined by the answer to '
                f"{', '.join(f'exercise {s!r}' for s in sources)}. Exercises are graded apart here, so these "
                "names will be undefined: move them into a read-only cell or merge the exercises."
            )
        for name in _top_level_bindings(exercise.reference_solution):
            defined_by.setdefault(name, exercise.grade_id)


# --- export ------------------------------------------------------------------------------------------------------


def _drop_unused_attachments(cell) -> None:
    """Images attached to a cell stay only if the student version still shows them (they may show the answer)."""
    attachments = cell.get("attachments")
    if attachments is None:
        return
    for name in list(attachments):
        if f"attachment:{name}" not in cell.source:
            del attachments[name]
    if not attachments:
        del cell["attachments"]


class LockCells(Preprocessor):
    """nbgrader's LockCells: answer cells cannot be deleted; test and read-only cells cannot be edited either."""

    def preprocess_cell(self, cell, resources, index):
        if is_solution(cell):
            cell.metadata["deletable"] = False
        elif is_grade(cell) or is_locked(cell):
            cell.metadata["deletable"] = False
            cell.metadata["editable"] = False
        return cell, resources


class ClearSolutions(Preprocessor):
    """nbgrader's ClearSolutions: solution regions (or whole solution cells) become the stubs."""

    def preprocess_cell(self, cell, resources, index):
        if is_solution(cell):
            cell.source = _student_answer(
                _where(index, cell, _meta(cell).get("grade_id", "")), cell.cell_type, cell.source
            )
            _drop_unused_attachments(cell)
        return cell, resources

    def preprocess(self, nb, resources):
        nb, resources = super().preprocess(nb, resources)
        nb.metadata.pop("celltoolbar", None)
        return nb, resources


class ClearHiddenTests(Preprocessor):
    """nbgrader's ClearHiddenTests: hidden test regions are removed from autograder test cells."""

    def preprocess_cell(self, cell, resources, index):
        if is_grade(cell) and _has_marker(cell.source, BEGIN_HIDDEN_TESTS, END_HIDDEN_TESTS):
            where = _where(index, cell, _meta(cell).get("grade_id", ""))
            cell.source = _keep(where, cell.source, BEGIN_HIDDEN_TESTS, END_HIDDEN_TESTS, {"text"})
        return cell, resources


class ClearMarkScheme(Preprocessor):
    """nbgrader's ClearMarkScheme: mark scheme regions are removed from task cells."""

    def preprocess_cell(self, cell, resources, index):
        if is_task(cell) and _has_marker(cell.source, BEGIN_MARK_SCHEME, END_MARK_SCHEME):
            where = _where(index, cell, _meta(cell).get("grade_id", ""))
            cell.source = _keep(where, cell.source, BEGIN_MARK_SCHEME, END_MARK_SCHEME, {"text"})
            _drop_unused_attachments(cell)
        return cell, resources


class ComputeChecksums(Preprocessor):
    """nbgrader's ComputeChecksums, run after the hidden tests are gone (so no checksum depends on them)."""

    def preprocess_cell(self, cell, resources, index):
        if is_grade(cell) or is_solution(cell) or is_locked(cell):
            cell.metadata.nbgrader["checksum"] = compute_checksum(cell)
            cell.metadata.nbgrader["cell_type"] = cell.cell_type
        return cell, resources


def export_student_notebook(data: bytes | str) -> bytes:
    """The student version of an nbgrader source notebook, as ``nbgrader generate_assignment`` makes it.

    Solutions become stubs, hidden tests and mark schemes are removed, outputs are cleared, nbgrader metadata is
    kept with checksums added and cells locked. Returns UTF-8 ``.ipynb`` bytes. Raises ``NotebookFormatError``.
    """
    notebook, _infos, _notes = _load(data)
    resources: dict = {}
    clear_output = ClearOutputPreprocessor(remove_metadata_fields={"collapsed", "scrolled", "execution", "ExecuteTime"})
    for preprocessor in (
        LockCells(),
        ClearSolutions(),
        clear_output,
        ClearHiddenTests(),
        ClearMarkScheme(),
        ComputeChecksums(),
    ):
        notebook, resources = preprocessor.preprocess(notebook, resources)
    notebook.metadata.pop("widgets", None)  # saved widget state is output too
    for index, cell in enumerate(notebook.cells):
        leftover = [marker for marker in ALL_MARKERS if marker in cell.source]
        if leftover:  # defence in depth: the checks in _load make this unreachable
            raise NotebookFormatError(f"{_where(index, cell)}: {leftover[0]} is still present after export.")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        nbformat.validate(notebook)
    return nbformat.writes(notebook).encode("utf-8")


# --- grades ------------------------------------------------------------------------------------------------------


def spreadsheet_value(column: str, value: object) -> str:
    """A value as CSV cell text that spreadsheet tools import cleanly and never run as a formula."""
    return _csv_value(column, value)


def _csv_value(column: str, value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, Real | Decimal) and not isinstance(value, bool):
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(f"{column} must be a finite number, not {value!r}")
        return str(number) if column in _SCORE_COLUMNS else (str(value) if isinstance(value, int) else str(number))
    if isinstance(value, datetime | date):
        return str(value)  # nbgrader writes str(timestamp), e.g. "2024-05-01 12:00:00"
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_PREFIXES) else text


def grades_csv(rows: Iterable[Mapping[str, object]]) -> str:
    """Grades as CSV in ``nbgrader export``'s column layout (``GRADES_CSV_COLUMNS``), one row per student and
    assignment.

    Rows are mappings with those keys; missing keys are empty, except that (as nbgrader does for a missing
    submission) ``raw_score`` and ``late_submission_penalty`` default to 0.0 and ``score`` to
    ``max(0, raw_score - late_submission_penalty)``. Scores are written like nbgrader (``5.0``). Text that a
    spreadsheet would run as a formula (starting with = + - @, tab or carriage return) gets a leading ``'``.
    RFC 4180: CRLF line ends, fields quoted when needed. Encode the result as UTF-8 (with ``utf-8-sig`` for Excel).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(GRADES_CSV_COLUMNS)
    for number, row in enumerate(rows, start=1):
        unknown = sorted(set(row) - set(GRADES_CSV_COLUMNS))
        if unknown:
            raise ValueError(f"grades row {number}: unknown column(s) {', '.join(unknown)}")
        values = dict(row)
        raw = values.get("raw_score")
        penalty = values.get("late_submission_penalty")
        values["raw_score"] = 0.0 if raw is None else raw
        values["late_submission_penalty"] = 0.0 if penalty is None else penalty
        if values.get("score") is None:
            raw_number, penalty_number = values["raw_score"], values["late_submission_penalty"]
            if isinstance(raw_number, Real | Decimal) and isinstance(penalty_number, Real | Decimal):
                values["score"] = max(0.0, float(raw_number) - float(penalty_number))
        writer.writerow([_csv_value(column, values.get(column)) for column in GRADES_CSV_COLUMNS])
    return buffer.getvalue()
