"""The CSV export: its columns, through the API and from the admin (scoped to the staff member's facilities)."""

import csv
import io

import pytest

from onboarding import services as onboarding
from tests.factories import UserFactory
from useroffice.csv_export import COLUMNS

pytestmark = pytest.mark.django_db
HEADER = ["facility", "programme_id", "programme", "user_id", "username", "name", "email", "proposal", "role",
          "state", "valid", "passed_at", "valid_until"]  # fmt: skip


def read(response) -> list[dict]:
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode()
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0] == HEADER
    return [dict(zip(HEADER, line, strict=True)) for line in lines[1:]]


def test_columns_are_the_documented_ones():
    assert list(COLUMNS) == HEADER


def test_csv_through_the_api(api, world):
    rows = read(api({"format": "csv"}))
    assert len(rows) == 4 and {row["facility"] for row in rows} == {"PDS"}
    ada = next(r for r in rows if r["username"] == "ada" and r["programme"] == "General safety")
    assert (ada["state"], ada["valid"], ada["name"], ada["email"]) == ("valid", "yes", "Ada Tester", "ada@example.org")
    assert ada["valid_until"].startswith(str(world["safety"].completions.get(user__username="ada").valid_until.date()))
    bob = next(r for r in rows if r["username"] == "bob")
    assert (bob["state"], bob["valid"]) == ("expired", "no")


def test_csv_by_proposal_has_role_and_missing_rows(api):
    rows = read(api({"format": "csv", "proposal": "PDS-2031-042"}))
    dee = [r for r in rows if r["username"] == "dee"]
    assert {r["state"] for r in dee} == {"never_started"} and {r["valid_until"] for r in dee} == {""}
    assert {r["role"] for r in rows} == {"experimenter"}


def test_csv_needs_the_token_too(api):
    assert api({"format": "csv"}, auth="").status_code == 401


def test_spreadsheet_formulas_in_names_are_defused(api, world):
    world["users"]["cyd"].first_name = '=HYPERLINK("http://evil")'
    world["users"]["cyd"].save()
    cyd = next(r for r in read(api({"format": "csv"})) if r["username"] == "cyd")
    assert cyd["name"].startswith("'=")


def test_admin_csv_is_scoped_to_the_staff_members_facilities(client, world):
    staff = UserFactory(username="pds-staff")
    onboarding.facility_staff_add(facility=world["pds"], user=staff)
    client.force_login(staff)
    rows = read(client.get("/admin/useroffice/export.csv"))
    assert {r["facility"] for r in rows} == {"PDS"} and "eve" not in {r["username"] for r in rows}
    rows = read(client.get("/admin/useroffice/export.csv", {"proposal": "PDS-2031-042", "status": "never_started"}))
    assert {r["username"] for r in rows} == {"bob", "dee"}


def test_admin_token_is_shown_once_and_only_for_own_facility(client, world):
    from useroffice.models import ApiToken

    staff = UserFactory(username="pds-staff")
    onboarding.facility_staff_add(facility=world["pds"], user=staff)
    client.force_login(staff)
    assert "OTH" not in client.get("/admin/useroffice/").content.decode().split("API tokens")[1]
    response = client.post("/admin/useroffice/tokens/new/", {"facility": world["pds"].pk, "name": "Portal"})
    token = ApiToken.objects.get(name="Portal")
    plain = next(word for word in response.content.decode().split('"') if word.startswith("plu_"))
    assert token.token_hash != plain and client.get("/admin/useroffice/").content.decode().count(plain) == 0
    assert client.get("/api/useroffice/v1/validity/", HTTP_AUTHORIZATION=f"Bearer {plain}").status_code == 200
    client.post("/admin/useroffice/tokens/new/", {"facility": world["oth"].pk, "name": "Not mine"})
    assert not ApiToken.objects.filter(name="Not mine").exists()
