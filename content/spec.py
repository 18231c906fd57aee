"""What to plot of one SPEC scan: the scanned motor against the detector, normalised by the monitor.

SPEC writes a scan's columns as `#L motor [other motors and counters...] detector`: the first
column is the motor that was scanned and the last is the detector. An hklscan lists H, K and L
first and moves only some of them, so the abscissa is the first of the leading columns that
moves. Counts depend on the beam, so the detector is divided by the monitor when there is one.
"""

import re
from dataclasses import dataclass

# Names SPEC configurations give the beam monitor counter (compared case-insensitively).
MONITOR_NAMES = ("monitor", "mon", "i0", "io", "imon")
# A column "moves" when its span is more than this fraction of its magnitude (hkl positions
# computed from angles jitter in the last digits).
_MOVES = 1e-4


@dataclass(frozen=True)
class SpecColumns:
    x: int
    detector: int
    monitor: int | None


def _moves(values: list[float]) -> bool:
    low, high = min(values), max(values)
    return high - low > _MOVES * max(abs(low), abs(high), 1e-12)


def spec_columns(labels: list[str], columns: list[list[float]]) -> SpecColumns:
    """Which columns to plot: the first moving column (of those before the detector), the last
    column, and the monitor named in `labels` (None when there is none, or only one column)."""
    detector = len(columns) - 1
    x = next((index for index in range(detector) if _moves(columns[index])), 0)
    monitor = None
    for index, label in enumerate(labels):
        if label.strip().lower() in MONITOR_NAMES and index not in (x, detector):
            monitor = index
            break
    return SpecColumns(x=x, detector=detector, monitor=monitor)


def normalised(detector: list[float], monitor: list[float]) -> list[float | None]:
    """detector / monitor, point by point; None (no value) where the monitor counted nothing."""
    return [counts / beam if beam else None for counts, beam in zip(detector, monitor, strict=True)]


def scan_title(scan_line: str) -> str:
    """ "#S 16  hklscan  2 2  2 2  1.8 2.05  253 1" -> "Scan 16: hklscan 2 2 2 2 1.8 2.05 253 1"."""
    number, _, command = scan_line.removeprefix("#S").strip().partition(" ")
    return f"Scan {number}: {' '.join(command.split())}" if command else f"Scan {number}"


def is_mesh(scan_line: str) -> bool:
    """A 2D mesh scan (mesh, hklmesh, dmesh...): its columns are not one curve."""
    fields = scan_line.removeprefix("#S").split()
    return len(fields) > 1 and bool(re.search(r"mesh", fields[1], re.IGNORECASE))
