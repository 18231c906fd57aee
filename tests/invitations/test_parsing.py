"""Reading the file: header variants, encodings, delimiters, and each row error."""

from datetime import date

import pytest

from invitations.parsing import FileRejected, read_rows

TODAY = date(2030, 3, 1)


def rows_of(text: str, **kwargs):
    return read_rows(text.encode(kwargs.pop("encoding", "utf-8")), today=TODAY, max_rows=kwargs.pop("max_rows", 100))


def test_header_variants_bom_and_semicolons():
    text = (
        "\ufeffE-mail;Full Name;Proposal ID;Start Date;Role;Instrument\n"
        "Lise@Example.org;Lise  Meitner;P-1;2030-04-01;PI;D22\n"
    )
    (row,) = rows_of(text)
    assert (row.email, row.name, row.proposal, row.start_date, row.role, row.instrument) == (
        "lise@example.org",
        "Lise Meitner",
        "P-1",
        date(2030, 4, 1),
        "principal_investigator",
        "D22",
    )
    assert row.errors == [] and row.line == 2


def test_quoted_commas_and_day_first_dates():
    (row,) = rows_of('email,name,proposal,start date,role\nx@example.org,"Curie, Marie",P-2,01.04.2030,Local contact\n')
    assert row.name == "Curie, Marie" and row.start_date == date(2030, 4, 1) and row.role == "local_contact"


@pytest.mark.parametrize(
    ("cells", "error"),
    [
        ("not-an-email,A,P,2030-04-01,pi", "bad email"),
        (",A,P,2030-04-01,pi", "missing email"),
        ("a@example.org,,P,2030-04-01,pi", "missing name"),
        ("a@example.org,A,,2030-04-01,pi", "missing proposal"),
        ("a@example.org,A,P,,pi", "missing start date"),
        ("a@example.org,A,P,2030-13-45,pi", "invalid start date"),
        ("a@example.org,A,P,2030-02-01,pi", "is in the past"),
        ("a@example.org,A,P,2030-04-01,", "missing role"),
        ("a@example.org,A,P,2030-04-01,janitor", "unknown role"),
        ("a@example.org,A," + "P" * 65 + ",2030-04-01,pi", "longer than 64"),
    ],
)
def test_row_errors(cells, error):
    (row,) = rows_of("email,name,proposal,start_date,role\n" + cells + "\n")
    assert any(error in message for message in row.errors), row.errors


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"email,name,role\na@example.org,A,pi\n", "Missing column(s): proposal, start_date"),
        (b"email,name,proposal,start_date,role\n", "no rows"),
        ("email,name,proposal,start_date,role\nä@x.org,Jörg,P,2030-04-01,pi\n".encode("latin-1"), "not UTF-8"),
        (b"email,mail,name,proposal,start_date,role\n", "Two columns"),
    ],
)
def test_file_rejected(data, message):
    with pytest.raises(FileRejected, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_rows(data, today=TODAY, max_rows=10)


def test_too_many_rows_and_blank_lines():
    body = "".join(f"u{i}@example.org,U,P,2030-04-01,pi\n\n" for i in range(3))
    assert len(rows_of("email,name,proposal,start_date,role\n" + body)) == 3
    with pytest.raises(FileRejected, match="more than 2 rows"):
        rows_of("email,name,proposal,start_date,role\n" + body, max_rows=2)
