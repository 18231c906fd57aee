"""Grades as nbgrader gives and exports them: the score of an autograder test cell, and the grades CSV."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from numbers import Real

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


def spreadsheet_value(column: str, value: object) -> str:
    """A value as CSV cell text that spreadsheet tools import cleanly and never run as a formula."""
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
        writer.writerow([spreadsheet_value(column, values.get(column)) for column in GRADES_CSV_COLUMNS])
    return buffer.getvalue()
