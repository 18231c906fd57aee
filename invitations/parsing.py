"""Reading an invitation CSV: the header, the delimiter, the encoding, and each row's own checks.

No database here: the services add what needs one (duplicates across the file, known experiments,
existing accounts). Columns, in any order (names compared without case, spaces, dashes or
underscores, so "E-mail", "email_address" and "Start date" all work):

    email, name, proposal, start_date, role            required
    title, instrument, experiment_type                 optional (used when the proposal is new)
"""

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from onboarding.models import Role

REQUIRED = ("email", "name", "proposal", "start_date", "role")
OPTIONAL = ("title", "instrument", "experiment_type")
HEADER_ALIASES = {
    "email": {"email", "emailaddress", "mail", "emailadress"},
    "name": {"name", "fullname", "participant", "participantname"},
    "proposal": {
        "proposal",
        "proposalid",
        "proposalnumber",
        "proposalno",
        "experiment",
        "experimentid",
        "proposalorexperimentid",
    },
    "start_date": {"startdate", "start", "beamtimestart", "experimentstart", "date"},
    "role": {"role", "participantrole"},
    "title": {"title", "experimenttitle", "proposaltitle"},
    "instrument": {"instrument", "beamline"},
    "experiment_type": {"experimenttype", "type"},
}
LIMITS = {"email": 254, "name": 300, "proposal": 64, "title": 300, "instrument": 100, "experiment_type": 100}
DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y")


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.casefold())


def _role_key(text: str) -> str:
    return " ".join(re.sub(r"[_\-]", " ", text.casefold()).split())


ROLE_ALIASES = {
    **{_role_key(value): value for value in Role.values},
    **{_role_key(str(label)): value for value, label in Role.choices},
    "pi": Role.PRINCIPAL_INVESTIGATOR,
    "principal investigator": Role.PRINCIPAL_INVESTIGATOR,
    "coi": Role.CO_INVESTIGATOR,
    "co i": Role.CO_INVESTIGATOR,
    "co investigator": Role.CO_INVESTIGATOR,
    "experimenter": Role.EXPERIMENTER,
    "on site": Role.EXPERIMENTER,
    "user": Role.EXPERIMENTER,
    "remote": Role.REMOTE,
    "remote user": Role.REMOTE,
    "local contact": Role.LOCAL_CONTACT,
    "lc": Role.LOCAL_CONTACT,
}


class FileRejected(Exception):
    """The file as a whole cannot be read (encoding, header, size); no row is looked at."""


@dataclass
class CleanRow:
    line: int
    email: str = ""
    name: str = ""
    proposal: str = ""
    start_date: date | None = None
    role: str = ""
    title: str = ""
    instrument: str = ""
    experiment_type: str = ""
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def decode(data: bytes) -> str:
    """UTF-8, with or without a byte-order mark (Excel's "CSV UTF-8" writes one)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FileRejected(
            f"The file is not UTF-8 text (byte {error.start + 1}). Save it as “CSV UTF-8” and upload it again."
        ) from error


def _delimiter(first_line: str) -> str:
    return ";" if first_line.count(";") > first_line.count(",") else ","


def header_map(header: list[str]) -> dict[str, int]:
    """Column name -> index; raises FileRejected naming what is missing or repeated."""
    found: dict[str, int] = {}
    for index, title in enumerate(header):
        key = _key(title)
        for column, aliases in HEADER_ALIASES.items():
            if key in aliases:
                if column in found:
                    raise FileRejected(f"Two columns mean “{column}”: {header[found[column]]!r} and {title!r}.")
                found[column] = index
    missing = [column for column in REQUIRED if column not in found]
    if missing:
        raise FileRejected(
            f"Missing column(s): {', '.join(missing)}. The first line must name the columns "
            f"{', '.join(REQUIRED)} (found: {', '.join(repr(h) for h in header) or 'nothing'})."
        )
    return found


def parse_date(text: str) -> date:
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def clean_row(line: int, cells: dict[str, str], *, today: date) -> CleanRow:
    """One row's own checks: email, name, proposal, date (not in the past), role, lengths."""
    row = CleanRow(line=line)
    for column in (*REQUIRED, *OPTIONAL):
        value = " ".join((cells.get(column) or "").split())
        if column != "start_date" and column != "role":
            limit = LIMITS[column]
            if len(value) > limit:
                row.errors.append(f"{column.replace('_', ' ')} is longer than {limit} characters")
                value = value[:limit]
            setattr(row, column, value)
    row.email = row.email.lower()
    if not row.email:
        row.errors.append("missing email")
    else:
        try:
            validate_email(row.email)
        except ValidationError:
            row.errors.append(f"bad email “{row.email}”")
    if not row.name:
        row.errors.append("missing name")
    if not row.proposal:
        row.errors.append("missing proposal or experiment id")
    start = (cells.get("start_date") or "").strip()
    if not start:
        row.errors.append("missing start date")
    else:
        try:
            row.start_date = parse_date(start)
        except ValueError:
            row.errors.append(f"invalid start date “{start}” (write YYYY-MM-DD)")
        else:
            if row.start_date < today:
                row.errors.append(f"start date {row.start_date:%Y-%m-%d} is in the past")
    role = (cells.get("role") or "").strip()
    if not role:
        row.errors.append("missing role")
    elif _role_key(role) in ROLE_ALIASES:
        row.role = str(ROLE_ALIASES[_role_key(role)])
    else:
        row.errors.append(f"unknown role “{role}” (one of: {', '.join(Role.values)})")
    return row


def read_rows(data: bytes, *, today: date, max_rows: int) -> list[CleanRow]:
    """Every data row of the file, cleaned; blank lines are skipped. Raises FileRejected."""
    text = decode(data)
    first_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first_line))
    try:
        header = next(reader)
    except StopIteration:
        raise FileRejected("The file is empty.") from None
    columns = header_map(header)
    rows = []
    try:
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) >= max_rows:
                raise FileRejected(f"The file has more than {max_rows} rows: split it.")
            values = {column: (cells[index] if index < len(cells) else "") for column, index in columns.items()}
            rows.append(clean_row(reader.line_num, values, today=today))
    except csv.Error as error:
        raise FileRejected(f"Line {reader.line_num}: {error}.") from error
    if not rows:
        raise FileRejected("The file has a header but no rows.")
    return rows
