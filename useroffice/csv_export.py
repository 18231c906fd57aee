"""The export as CSV, streamed a chunk at a time (10,000 users do not sit in memory)."""

import csv
from collections.abc import Iterable
from datetime import datetime

from django.http import StreamingHttpResponse

from .selectors import ExportRow

COLUMNS = ("facility", "programme_id", "programme", "user_id", "username", "name", "email", "proposal", "role",
           "state", "valid", "passed_at", "valid_until")  # fmt: skip
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    def write(self, value):
        return value


def _cell(value) -> str:
    """ISO dates, yes/no, and text that a spreadsheet would run as a formula defused with a leading quote."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(_FORMULA) else text


def csv_lines(rows: Iterable[ExportRow]):
    writer = csv.writer(_Echo())
    yield writer.writerow(COLUMNS)
    for row in rows:
        yield writer.writerow([_cell(getattr(row, column)) for column in COLUMNS])


def csv_response(rows: Iterable[ExportRow], *, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(csv_lines(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
