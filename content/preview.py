"""A plot preview of 1D text data: the file's main numeric table, as x and y (and errors).

Facility text formats differ (Platypus .dat, LOQ/COLETTE text with a Fortran header, SPEC
scans with #L labels, single-column MCA spectra), but each holds its curve as a run of
numeric lines with the same number of columns. The longest such run is the curve; in a SPEC
file, the longest 1D scan (see spec.py for its columns).

Columns are named by the registry first (a file's `columns`), then by the file's header, then
"column N".
"""

import functools
import math
import re
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .spec import is_mesh, normalised, scan_title, spec_columns

MAX_PREVIEW_BYTES = 5 * 1024 * 1024
MAX_POINTS = 4000
_SEPARATORS = re.compile(r"[\s,;]+")


class PreviewError(Exception):
    pass


@dataclass
class Preview:
    x: list[float]
    y: list[float | None]  # None: no value (e.g. the monitor counted nothing)
    errors: list[float] | None
    xlabel: str
    ylabel: str
    log_y: bool
    points: int  # before thinning
    title: str = ""

    def as_json(self) -> dict:
        return {
            "x": self.x,
            "y": self.y,
            "errors": self.errors,
            "xlabel": self.xlabel,
            "ylabel": self.ylabel,
            "log_y": self.log_y,
            "points": self.points,
            "title": self.title,
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


def _header_labels(comment: str, columns: int) -> list[str]:
    text = comment.lstrip("#").strip()
    # SPEC: "#L Two Theta  Monitor  Detector", labels split by two spaces.
    labels = re.split(r"\s{2,}", text[2:].strip()) if text.startswith("L ") else text.split()
    return labels if len(labels) == columns else []


def column_labels(columns: int, declared: Sequence[str], header: str, fallback: Sequence[str] = ()) -> list[str]:
    """A name for each column: the registry's, else the header's (when it names every column),
    else the fallback's, else "column N"."""
    from_header = _header_labels(header, columns)

    def label(index: int) -> str:
        for names in (declared, from_header, fallback):
            if index < len(names) and names[index]:
                return names[index]
        return f"column {index + 1}"

    return [label(index) for index in range(columns)]


@dataclass
class _Run:
    """A run of numeric lines with the same number of columns, stored flat to keep memory small."""

    width: int
    label_line: str  # the column labels, if any: a SPEC scan's #L line, else the last comment line
    scan: str = ""  # the #S line of the SPEC scan the run is in
    values: array = field(default_factory=lambda: array("d"))

    @property
    def length(self) -> int:
        return len(self.values) // self.width if self.width else 0

    @property
    def rank(self) -> tuple[bool, int]:
        """Longer is better, but any 1D scan beats a SPEC mesh, whose columns are not one curve."""
        return (not is_mesh(self.scan), self.length)

    def column(self, index: int) -> list[float]:
        return list(self.values[index :: self.width])


def _longest_run(path: Path) -> _Run | None:
    best: _Run | None = None
    current: _Run | None = None
    last_comment = scan = scan_labels = ""
    with path.open(errors="replace") as lines:
        for line in lines:
            values = _numbers(line)
            if values is None:
                comment = line.strip()
                if comment.startswith("#"):
                    last_comment = comment
                if comment.startswith("#S "):
                    scan, scan_labels = comment, ""
                elif comment.startswith("#L "):
                    scan_labels = comment
                current = None
                continue
            if current is None or len(values) != current.width:
                current = _Run(width=len(values), label_line=scan_labels or last_comment, scan=scan)
            current.values.extend(values)
            if best is None or (current is not best and current.rank > best.rank):
                best = current
    return best


def text_preview(path: Path, *, columns: Sequence[str] = (), max_points: int = MAX_POINTS) -> Preview:
    """The plot of a text file; `columns` are the registry's names of its columns, if it has any."""
    stat = path.stat()
    if stat.st_size > MAX_PREVIEW_BYTES:
        raise PreviewError(f"{path.name} is too large for a preview; download it instead.")
    return _cached_preview(str(path), stat.st_mtime_ns, stat.st_size, tuple(columns), max_points)


def _spec_scan(run: _Run, labels: list[str]) -> tuple[list[float], list[float | None], str, str]:
    chosen = spec_columns(labels, [run.column(index) for index in range(run.width)])
    x, detector = run.column(chosen.x), run.column(chosen.detector)
    if chosen.monitor is None:
        return x, list(detector), labels[chosen.x], labels[chosen.detector]
    ylabel = f"{labels[chosen.detector]} / {labels[chosen.monitor]}"
    return x, normalised(detector, run.column(chosen.monitor)), labels[chosen.x], ylabel


@functools.lru_cache(maxsize=32)
def _cached_preview(path_name: str, mtime_ns: int, size: int, declared: tuple[str, ...], max_points: int) -> Preview:
    path = Path(path_name)
    run = _longest_run(path)
    if run is None or run.length < 2:
        raise PreviewError(f"{path.name} has no table of numbers to plot.")
    columns, length = run.width, run.length
    labels = column_labels(columns, declared, run.label_line, fallback=("counts",) if columns == 1 else ())
    errors = None
    if columns == 1:
        x = [float(index) for index in range(length)]
        y = run.column(0)
        xlabel, ylabel = "channel", labels[0]
    elif run.scan:  # a SPEC scan: a line of counts, no error bars
        x, y, xlabel, ylabel = _spec_scan(run, labels)
    else:
        x, y = run.column(0), run.column(1)
        errors = run.column(2) if columns >= 3 else None
        xlabel, ylabel = labels[0], labels[1]
    # Background-subtracted curves (reflectivity, SANS) dip below zero at a few points; a log
    # axis still suits them when the rest spans decades (the viewer leaves out the others).
    positive = [value for value in y if value is not None and value > 0]
    log_y = bool(positive) and len(positive) >= 0.9 * len(y) and max(positive) / min(positive) > 1e3
    step = max(1, math.ceil(length / max_points))
    return Preview(
        x=x[::step],
        y=y[::step],
        errors=errors[::step] if errors else None,
        xlabel=xlabel,
        ylabel=ylabel,
        log_y=log_y,
        points=length,
        title=scan_title(run.scan) if run.scan else "",
    )
