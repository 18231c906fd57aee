"""xAPI 1.0.x and 2.0.0 side by side (issue 18): each request answered in its version, under its rules."""

import json
import uuid

import pytest

from tests.tracking.test_store import AUTH, URL, statement

pytestmark = pytest.mark.django_db
V1 = {"HTTP_AUTHORIZATION": AUTH, "HTTP_X_EXPERIENCE_API_VERSION": "1.0.3"}
V2 = {"HTTP_AUTHORIZATION": AUTH, "HTTP_X_EXPERIENCE_API_VERSION": "2.0.0"}
AGENT = {"objectType": "Agent", "mbox": "mailto:tutor@example.org"}
TEAM = {"objectType": "Group", "name": "beamline team", "member": [AGENT]}


def post(client, body, headers):
    return client.post(URL, json.dumps(body), content_type="application/json", **headers)


def with_context_agents() -> dict:
    body = statement()
    body["context"]["contextAgents"] = [
        {"objectType": "contextAgent", "agent": AGENT, "relevantTypes": ["https://example.org/types/tutor"]}
    ]
    body["context"]["contextGroups"] = [{"objectType": "contextGroup", "group": TEAM}]
    return body


def test_each_answer_names_the_version_asked_and_the_latest_otherwise(client):
    assert post(client, statement(), V1)["X-Experience-API-Version"] == "1.0.3"
    assert post(client, statement(), V2)["X-Experience-API-Version"] == "2.0.0"
    refused = client.get(URL, HTTP_AUTHORIZATION=AUTH)
    assert refused.status_code == 400 and refused["X-Experience-API-Version"] == "2.0.0"
    for unknown in ("3.0.0", "2.1.0", "0.9", "1.1"):
        response = client.get(URL, HTTP_AUTHORIZATION=AUTH, HTTP_X_EXPERIENCE_API_VERSION=unknown)
        assert response.status_code == 400, unknown
    assert "2.0.0" in client.get("/xapi/about").json()["version"]


def test_context_agents_and_groups_are_2_0_only(client):
    assert post(client, with_context_agents(), V1).status_code == 400
    response = post(client, with_context_agents(), V2)
    assert response.status_code == 200, response.content
    (statement_id,) = response.json()
    # Read back under both versions, as accepted.
    for headers in (V1, V2):
        back = client.get(URL, {"statementId": statement_id}, **headers).json()
        assert back["context"]["contextAgents"][0]["agent"]["mbox"] == AGENT["mbox"]
        assert back["version"] == "2.0.0"


@pytest.mark.parametrize(
    "broken",
    [
        {"objectType": "contextAgent"},  # no agent
        {"objectType": "agent", "agent": AGENT},  # the wrong objectType
        {"objectType": "contextAgent", "agent": TEAM},  # a Group where an Agent goes
        {"objectType": "contextAgent", "agent": AGENT, "relevantTypes": []},
        {"objectType": "contextAgent", "agent": AGENT, "relevantTypes": ["not an iri"]},
    ],
)
def test_malformed_context_agents_are_refused(client, broken):
    body = statement()
    body["context"]["contextAgents"] = [broken]
    assert post(client, body, V2).status_code == 400


def test_the_version_property_follows_the_request(client):
    (v1_id,) = post(client, statement(), V1).json()
    (v2_id,) = post(client, statement(), V2).json()
    assert client.get(URL, {"statementId": v1_id}, **V1).json()["version"] == "1.0.0"
    assert client.get(URL, {"statementId": v2_id}, **V2).json()["version"] == "2.0.0"
    assert post(client, statement(version="2.0.0"), V1).status_code == 400
    assert post(client, statement(version="2.0.0"), V2).status_code == 200
    assert post(client, statement(version="1.0.3"), V2).status_code == 200


def test_2_0_has_no_alternate_request_syntax(client):
    from urllib.parse import urlencode

    form = {"Authorization": AUTH, "X-Experience-API-Version": "2.0.0", "statementId": str(uuid.uuid4()),
            "content": json.dumps(statement())}  # fmt: skip
    response = client.post(URL + "?method=PUT", urlencode(form), content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400 and response["X-Experience-API-Version"] == "2.0.0"
    form["X-Experience-API-Version"] = "1.0.3"
    response = client.post(URL + "?method=PUT", urlencode(form), content_type="application/x-www-form-urlencoded")
    assert response.status_code == 204


def test_under_2_0_a_state_put_over_an_existing_document_needs_a_precondition(client):
    params = "?activityId=https://example.org/a&stateId=s&agent=" + json.dumps(AGENT)
    state = "/xapi/activities/state" + params
    assert client.put(state, b'{"a": 1}', content_type="application/json", **V1).status_code == 204
    assert client.put(state, b'{"a": 2}', content_type="application/json", **V1).status_code == 204  # 1.0.3
    conflict = client.put(state, b'{"a": 3}', content_type="application/json", **V2)
    assert conflict.status_code == 409 and conflict.json()["error"]
    assert client.get(state, **V2).json() == {"a": 2}  # unchanged
    etag = client.get(state, **V2)["ETag"]
    replaced = client.put(state, b'{"a": 4}', content_type="application/json", HTTP_IF_MATCH=etag, **V2)
    assert replaced.status_code == 204
