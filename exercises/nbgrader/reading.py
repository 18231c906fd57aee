"""Reading a source notebook and checking it as nbgrader would, with a message that names the cell to fix."""

from __future__ import annotations

import json
import math
import re
import warnings
from collections.abc import Mapping

import nbformat

from .cells import (
    BEGIN_HIDDEN_TESTS,
    BEGIN_MARK_SCHEME,
    BEGIN_SOLUTION,
    END_HIDDEN_TESTS,
    END_MARK_SCHEME,
    END_SOLUTION,
    CellInfo,
    cell_error,
    cell_location,
)
from .regions import has_marker, scan_regions
from .specs import NotebookFormatError

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


def _cell_info(index: int, cell, warnings_out: list[str]) -> CellInfo:
    raw = cell.get("metadata", {}).get("nbgrader")
    if raw is None:
        return CellInfo(index, cell)
    where = cell_location(index, cell, raw.get("grade_id", "") if isinstance(raw, Mapping) else "")
    if not isinstance(raw, Mapping):
        raise cell_error(where, 'its "nbgrader" metadata is not an object.')
    version = raw.get("schema_version")
    if version is None or isinstance(version, bool) or not isinstance(version, int):
        raise cell_error(
            where,
            "its nbgrader metadata has no schema_version, so it was written by an old nbgrader. "
            "Run `nbgrader update` on the notebook (or re-save it with the Create Assignment toolbar) and try again.",
        )
    if version < min(SCHEMA_VERSIONS):
        raise cell_error(
            where,
            f"its nbgrader metadata uses schema version {version}, which is outdated (expected 3). "
            "Run `nbgrader update` on the notebook and try again.",
        )
    if version > max(SCHEMA_VERSIONS):
        raise cell_error(
            where, f"its nbgrader metadata uses schema version {version}, which is newer than supported (3)."
        )
    flags = {}
    for key in ("grade", "solution", "locked", "task"):
        value = raw.get(key, False)
        if not isinstance(value, bool):
            raise cell_error(where, f'nbgrader "{key}" must be true or false, not {value!r}.')
        flags[key] = value
    unknown = sorted(set(raw) - KNOWN_KEYS)
    if unknown:
        warnings_out.append(f"{where}: unknown nbgrader metadata key(s) {', '.join(unknown)} ignored.")

    grade_id = raw.get("grade_id", "")
    if any(flags.values()):
        if not isinstance(grade_id, str) or not grade_id:
            raise cell_error(where, "it is an nbgrader cell but has no grade_id; give it a unique id in the toolbar.")
        if not GRADE_ID_RE.match(grade_id):
            raise cell_error(
                where, f'grade_id "{grade_id}" may only contain letters, digits, "_" and "-" (no spaces or dots).'
            )
    elif not isinstance(grade_id, str):
        grade_id = ""

    points = None
    if flags["grade"] or flags["task"]:
        if "points" not in raw:
            label = "manually graded task" if flags["task"] else "graded cell"
            raise cell_error(where, f"it is a {label} but has no points; set its points (a number, 0 or more).")
        points = raw["points"]
        if isinstance(points, bool) or not isinstance(points, int | float) or not math.isfinite(points) or points < 0:
            raise cell_error(where, f"its points must be a number, 0 or more; got {points!r}.")
        points = float(points)

    info = CellInfo(index, cell, grade_id=grade_id, points=points, **flags)
    cell_type = cell.cell_type
    if flags["task"]:
        if cell_type != "markdown":
            raise cell_error(info, "a manually graded task must be a markdown cell.")
        if flags["grade"] or flags["solution"]:
            raise cell_error(info, "a manually graded task cannot also be an answer or a graded cell; pick one type.")
    elif cell_type == "markdown" and flags["grade"] and not flags["solution"]:
        raise cell_error(info, 'a graded markdown cell must also be a solution cell ("Manually graded answer").')
    elif cell_type == "markdown" and flags["solution"] and not flags["grade"]:
        raise cell_error(
            info, 'a markdown solution cell must also be graded ("Manually graded answer") and have points.'
        )
    elif cell_type == "raw" and (flags["grade"] or flags["solution"]):
        raise cell_error(info, "raw cells cannot be answer or graded cells; make it a code or markdown cell.")
    return info


def _check_markers(info: CellInfo) -> None:
    source = info.cell.source
    kind = info.kind
    if has_marker(source, BEGIN_SOLUTION, END_SOLUTION):
        if not info.solution:
            raise cell_error(
                info,
                'it has "### BEGIN SOLUTION" / "### END SOLUTION" lines but is not a solution cell; mark it '
                '"Autograded answer" (or "Manually graded answer") or remove the markers.',
            )
        scan_regions(info, source, BEGIN_SOLUTION, END_SOLUTION)
    if has_marker(source, BEGIN_HIDDEN_TESTS, END_HIDDEN_TESTS):
        if kind != "autograder_tests":
            raise cell_error(
                info,
                'it has "### BEGIN HIDDEN TESTS" / "### END HIDDEN TESTS" lines but is not an "Autograder tests" '
                "cell; hidden tests are only allowed in autograder test cells (otherwise they would reach students).",
            )
        scan_regions(info, source, BEGIN_HIDDEN_TESTS, END_HIDDEN_TESTS)
    if has_marker(source, BEGIN_MARK_SCHEME, END_MARK_SCHEME):
        if kind != "task":
            raise cell_error(
                info,
                'it has "### BEGIN MARK SCHEME" / "### END MARK SCHEME" lines but is not a "Manually graded task" '
                "cell; mark schemes are only allowed in task cells (otherwise they would reach students).",
            )
        scan_regions(info, source, BEGIN_MARK_SCHEME, END_MARK_SCHEME)
    if kind == "autograder_tests" and re.search(r"^\s*#+\s*(HASHED\s+)?AUTOTEST\b", source, re.MULTILINE):
        raise cell_error(
            info,
            "it uses nbgrader's AUTOTEST templates, which are expanded by running a kernel. Expand them first with "
            "`nbgrader generate_source_with_tests` and import the result.",
        )


def load_notebook(data: bytes | str) -> tuple[nbformat.NotebookNode, list[CellInfo], list[str]]:
    notebook = _read_notebook(data)
    _check_language(notebook)
    notes: list[str] = []
    infos = [_cell_info(index, cell, notes) for index, cell in enumerate(notebook.cells)]
    seen: dict[str, CellInfo] = {}
    for info in infos:
        if not (info.grade or info.solution or info.locked or info.task):
            continue
        if info.grade_id in seen:
            first = seen[info.grade_id]
            raise cell_error(
                info,
                f'grade_id "{info.grade_id}" is already used by cell {first.number}; every nbgrader cell needs its '
                "own grade_id.",
            )
        seen[info.grade_id] = info
    for info in infos:
        _check_markers(info)
    return notebook, infos, notes
