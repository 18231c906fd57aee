"""A plot preview of 1D text data: the file's main numeric table, as x and y (and errors).

Facility text formats differ (Platypus .dat, LOQ/COLETTE text with a Fortran header, SPEC
scans with #L labels, single-column MCA spectra), but each holds its curve as a run of
numeric lines with the same number of columns. The longest such run is the curve.
"""

import functools
import math
import re
from array import array
from dataclasses import dataclass, field
from pathlib import Path

MAX_PREVIEW_BYTES = 5 * 1024 * 1024
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


@dataclass
class _Run:
    """A run of numeric lines with the same number of columns, stored flat to keep memory small."""

    width: int
    label_line: str  # the last comment line before the run (column labels, if any)
    values: array = field(default_factory=lambda: array("d"))

    @property
    def length(self) -> int:
        return len(self.values) // self.width if self.width else 0

    def column(self, index: int) -> list[float]:
        return list(self.values[index :: self.width])


def _longest_run(path: Path) -> _Run | None:
    best: _Run | None = None
    current: _Run | None = None
    last_comment = ""
    with path.open(errors="replace") as lines:
        for line in lines:
            values = _numbers(line)
            if values is None:
                if line.strip().startswith("#"):
                    last_comment = line
                current = None
                continue
            if current is None or len(values) != current.width:
                current = _Run(width=len(values), label_line=last_comment)
            current.values.extend(values)
            if best is None or (current is not best and current.length > best.length):
                best = current
    return best


def text_preview(path: Path, *, max_points: int = MAX_POINTS) -> Preview:
    stat = path.stat()
    if stat.st_size > MAX_PREVIEW_BYTES:
        raise PreviewError(f"{path.name} is too large for a preview; download it instead.")
    return _cached_preview(str(path), stat.st_mtime_ns, stat.st_size, max_points)


@functools.lru_cache(maxsize=32)
def _cached_preview(path_name: str, mtime_ns: int, size: int, max_points: int) -> Preview:
    path = Path(path_name)
    run = _longest_run(path)
    if run is None or run.length < 2:
        raise PreviewError(f"{path.name} has no table of numbers to plot.")
    columns, length = run.width, run.length
    labels = _labels(run.label_line, columns)
    if columns == 1:
        x = [float(index) for index in range(length)]
        y = run.column(0)
        errors = None
        xlabel, ylabel = "channel", labels[0] if labels else "counts"
    else:
        x, y = run.column(0), run.column(1)
        errors = run.column(2) if columns >= 3 else None
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
