"""The token-authenticated JSON API: auth, facility scope, filters and pagination."""

import pytest
from django.utils import timezone

from useroffice import tokens
from useroffice.models import ApiToken

pytestmark = pytest.mark.django_db


def names(response) -> list[tuple[str, str, str]]:
    return [(row["username"], row["programme"], row["state"]) for row in response.json()["results"]]


@pytest.mark.parametrize("auth", ["", "Bearer plu_wrong", "Basic dXNlcjpwYXNz", "Token {token}", "Bearer"])
def test_missing_or_wrong_token_is_401(api, token, auth):
    response = api(auth=auth.format(token=token))
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "results" not in response.json()


def test_a_revoked_token_is_401(api, token):
    assert api().status_code == 200
    tokens.token_revoke(token=ApiToken.objects.get())
    assert api().status_code == 401


def test_only_a_hash_is_stored_and_use_is_noted(api, token):
    row = ApiToken.objects.get()
    assert token not in (row.token_hash, row.prefix) and row.token_hash == tokens.token_digest(token)
    assert row.last_used_at is None
    api()
    row.refresh_from_db()
    assert row.last_used_at is not None


def test_the_tokens_facility_only(api, world):
    rows = names(api())
    assert rows == [("ada", "General safety", "valid"), ("ada", "Chemistry lab", "expiring_soon"),
                    ("bob", "General safety", "expired"), ("cyd", "General safety", "valid")]  # fmt: skip
    assert "eve" not in {row[0] for row in rows}
    assert api({"facility": "OTH"}).json()["results"] == []  # another facility: nothing, not theirs


def test_a_row_says_who_what_and_until_when(api, world):
    row = next(r for r in api().json()["results"] if r["username"] == "ada" and r["programme"] == "General safety")
    assert row["name"] == "Ada Tester" and row["email"] == "ada@example.org" and row["facility"] == "PDS"
    assert row["valid"] is True and row["programme_id"] == world["safety"].pk
    until = world["safety"].completions.get(user__username="ada").valid_until
    assert row["valid_until"][:10] == until.date().isoformat()


@pytest.mark.parametrize(
    ("status", "expected"),
    [("valid", {"ada", "cyd"}), ("expiring_soon", {"ada"}), ("expired", {"bob"})],
)
def test_filter_by_status(api, status, expected):
    rows = api({"status": status}).json()["results"]
    assert {row["username"] for row in rows} == expected and {row["state"] for row in rows} == {status}


def test_filter_by_programme(api, world):
    rows = names(api({"programme": world["chem"].pk}))
    assert rows == [("ada", "Chemistry lab", "expiring_soon")]
    assert api({"programme": world["theirs"].pk}).json()["results"] == []


def test_filter_by_proposal_lists_every_participant_and_requirement(api):
    """Passed or not: dee never started, bob's pass expired; the chemistry-lab experiment requires both."""
    rows = names(api({"proposal": "PDS-2031-042"}))
    assert sorted(rows) == sorted([
        ("ada", "General safety", "valid"), ("ada", "Chemistry lab", "expiring_soon"),
        ("bob", "General safety", "expired"), ("bob", "Chemistry lab", "never_started"),
        ("dee", "General safety", "never_started"), ("dee", "Chemistry lab", "never_started"),
    ])  # fmt: skip
    assert {row["proposal"] for row in api({"proposal": "PDS-2031-042"}).json()["results"]} == {"PDS-2031-042"}
    not_ready = api({"proposal": "PDS-2031-042", "status": "never_started"}).json()["results"]
    assert {row["username"] for row in not_ready} == {"bob", "dee"}
    assert api({"proposal": "NO-SUCH"}).json()["results"] == []


@pytest.mark.parametrize("proposal", ["", "PDS-2031-042"])
def test_pages_follow_next_links_to_every_row_once(api, proposal):
    everything = api({"proposal": proposal}).json()["results"]
    seen, url, pages = [], "/api/useroffice/v1/validity/", 0
    params = {"limit": 2, "proposal": proposal}
    while url:
        body = api(params, path=url).json()
        assert len(body["results"]) <= 2
        seen += body["results"]
        url, params, pages = body["next"], None, pages + 1
        if url:
            assert url.startswith("http://testserver/api/useroffice/v1/validity/?") and "limit=2" in url
    assert seen == everything and pages == (len(everything) + 1) // 2


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 5000},
        {"limit": "x"},
        {"after": "nonsense"},
        {"status": "great"},
        {"status": "never_started"},
        {"programme": "abc"},
    ],
)
def test_bad_parameters_are_400(api, params):
    response = api(params)
    assert response.status_code == 400 and response.json()["error"]


def test_state_is_read_at_request_time(api, world):
    """A pass that ended a moment ago reads expired at once, without waiting for the expiry sweep."""
    completion = world["safety"].completions.get(user__username="cyd")
    completion.valid_until = timezone.now()
    completion.save()
    assert ("cyd", "General safety", "expired") in names(api())
