"""The marked regions of a cell (solutions, hidden tests, mark schemes), read as nbgrader's preprocessors read them."""

from __future__ import annotations

import re

from .cells import BEGIN_SOLUTION, CODE_STUB, END_SOLUTION, TEXT_STUB, cell_error


def scan_regions(info_or_where, source: str, begin: str, end: str) -> list[tuple[str, str]]:
    """Tag each line "text", "begin", "region" or "end", as nbgrader's region preprocessors read them."""
    tagged: list[tuple[str, str]] = []
    opened_at = 0
    for number, line in enumerate(source.split("\n"), start=1):
        if begin in line:
            if opened_at:
                raise cell_error(
                    info_or_where,
                    f'line {number} opens a "### {begin}" region inside the one opened on line {opened_at}; '
                    f'close the first with "### {end}" (regions cannot be nested).',
                )
            opened_at = number
            tagged.append(("begin", line))
        elif end in line:
            if not opened_at:
                raise cell_error(
                    info_or_where, f'line {number} has "### {end}" without a "### {begin}" line before it.'
                )
            opened_at = 0
            tagged.append(("end", line))
        else:
            tagged.append(("region" if opened_at else "text", line))
    if opened_at:
        raise cell_error(
            info_or_where,
            f'the "### {begin}" region opened on line {opened_at} is never closed; add a "### {end}" line after it.',
        )
    return tagged


def has_marker(source: str, begin: str, end: str) -> bool:
    return begin in source or end in source


def strip_solution(info_or_where, cell_type: str, source: str) -> tuple[str, bool]:
    """nbgrader's ClearSolutions on one cell: (student source, whether a region was replaced)."""
    stub = (CODE_STUB if cell_type == "code" else TEXT_STUB).split("\n")
    out: list[str] = []
    replaced = False
    for tag, line in scan_regions(info_or_where, source, BEGIN_SOLUTION, END_SOLUTION):
        if tag == "begin":
            replaced = True
            indent = re.match(r"\s*", line).group(0)
            out.extend(indent + stub_line for stub_line in stub)
        elif tag == "text":
            out.append(line)
    return "\n".join(out), replaced


def student_answer(info_or_where, cell_type: str, source: str) -> str:
    stripped, replaced = strip_solution(info_or_where, cell_type, source)
    return stripped if replaced else (CODE_STUB if cell_type == "code" else TEXT_STUB)


def keep_lines(info_or_where, source: str, begin: str, end: str, tags: set[str]) -> str:
    return "\n".join(line for tag, line in scan_regions(info_or_where, source, begin, end) if tag in tags)
