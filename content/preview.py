"""A plot preview of 1D text data: the file's main numeric table, as x and y (and errors).

Facility text formats differ (Platypus .dat, LOQ/COLETTE text with a Fortran header, SPEC
scans with #L labels, single-column MCA spectra), but each holds its curve as a run of
numeric lines with the same number of columns. The longest such run is the curve.
"""

import math
import re
from dataclasses import dataclass
from pathlib import Path

MAX_PREVIEW_BYTES = 20 * 1024 * 1024
MAX_POINTS = 4000
_SEPARATORS = re.compile(r"[\s,;]+")


class PreviewError(Exception):
    pass


@dataclass
class Preview:
    x: list[float]
    y: list[float]
    errors: list[float] | None
    xlabel: str
    ylabel: str
    log_y: bool
    points: int  # before thinning

    def as_json(self) -> dict:
        return {
            "x": self.x,
            "y": self.y,
            "errors": self.errors,
            "xlabel": self.xlabel,
            "ylabel": self.ylabel,
            "log_y": self.log_y,
            "points": self.points,
        }


def _numbers(line: str) -> list[float] | None:
    fields = [field for field in _SEPARATORS.split(line.strip()) if field]
    if not fields:
        return None
    try:
        values = [float(field) for field in fields]
    except ValueError:
        return None
    return values if all(math.isfinite(value) for value in values) else None


def _labels(comment: str, columns: int) -> list[str]:
    text = comment.lstrip("#").strip()
    # SPEC: "#L Two Theta  Monitor  Detector", labels split by two spaces.
    labels = re.split(r"\s{2,}", text[2:].strip()) if text.startswith("L ") else text.split()
    return labels if len(labels) == columns else []


def text_preview(path: Path, *, max_points: int = MAX_POINTS) -> Preview:
    if path.stat().st_size > MAX_PREVIEW_BYTES:
        raise PreviewError(f"{path.name} is too large for a preview; download it instead.")
    best: tuple[int, int] = (0, 0)  # (start, length) of the longest run of same-width numeric lines
    rows: list[list[float] | None] = []
    lines = path.read_text(errors="replace").splitlines()
    start = width = 0
    for index, line in enumerate(lines):
        values = _numbers(line)
        rows.append(values)
        if values is None or len(values) != width:
            start, width = index, len(values) if values else 0
        if values is not None and index - start + 1 > best[1]:
            best = (start, index - start + 1)
    first, length = best
    if length < 2:
        raise PreviewError(f"{path.name} has no table of numbers to plot.")
    table = rows[first : first + length]
    columns = len(table[0])
    previous_comment = next((line for line in reversed(lines[:first]) if line.strip().startswith("#")), "")
    labels = _labels(previous_comment, columns)
    if columns == 1:
        x = [float(index) for index in range(length)]
        y = [row[0] for row in table]
        errors = None
        xlabel, ylabel = "channel", labels[0] if labels else "counts"
    else:
        x = [row[0] for row in table]
        y = [row[1] for row in table]
        errors = [row[2] for row in table] if columns >= 3 else None
        xlabel, ylabel = (labels[0], labels[1]) if labels else ("column 1", "column 2")
    # Background-subtracted curves (reflectivity, SANS) dip below zero at a few points; a log
    # axis still suits them when the rest spans decades (the viewer leaves out the others).
    positive = [value for value in y if value > 0]
    log_y = len(positive) >= 0.9 * len(y) and max(positive) / min(positive) > 1e3
    step = max(1, math.ceil(length / max_points))
    return Preview(
        x=x[::step],
        y=y[::step],
        errors=errors[::step] if errors else None,
        xlabel=xlabel,
        ylabel=ylabel,
        log_y=log_y,
        points=length,
    )
