"""The built-in store's Agents and Activities resources (xAPI 1.0.3, Communication 2.4 and 2.5)."""

import base64
import json

import pytest

from tracking.models import StoreClient
from tracking.store import clients

pytestmark = pytest.mark.django_db
AUTH = "Basic " + base64.b64encode(b"panlearn:test-xapi-password").decode()
HEADERS = {"HTTP_AUTHORIZATION": AUTH, "HTTP_X_EXPERIENCE_API_VERSION": "1.0.3"}
ACTIVITY = "https://learn.example.org/xapi/activities/exercise/7"


def store(client, definition: dict, auth: str = AUTH) -> None:
    statement = {
        "actor": {"mbox": "mailto:ada@example.org"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/answered"},
        "object": {"objectType": "Activity", "id": ACTIVITY, "definition": definition},
    }
    response = client.post("/xapi/statements", json.dumps(statement), content_type="application/json",
                           **{**HEADERS, "HTTP_AUTHORIZATION": auth})  # fmt: skip
    assert response.status_code == 200, response.content


def test_the_agents_resource_answers_a_person(client):
    agent = json.dumps({"name": "Ada", "mbox": "mailto:ada@example.org"})
    person = client.get("/xapi/agents", {"agent": agent}, **HEADERS)
    assert person.status_code == 200
    assert json.loads(person.content) == {"objectType": "Person", "name": ["Ada"], "mbox": ["mailto:ada@example.org"]}
    head = client.head("/xapi/agents", {"agent": agent}, **HEADERS)
    assert head.status_code == 200 and head.content == b""
    assert client.get("/xapi/agents", **HEADERS).status_code == 400
    assert client.get("/xapi/agents", {"agent": json.dumps({"name": "no identifier"})}, **HEADERS).status_code == 400


def test_the_activities_resource_gathers_the_definition_from_the_statements(client):
    store(client, {"name": {"en": "Lattice spacing"}, "type": "http://adlnet.gov/expapi/activities/interaction"})
    store(client, {"name": {"fr": "Distance réticulaire"}, "description": {"en": "Compute d"}})
    answer = json.loads(client.get("/xapi/activities", {"activityId": ACTIVITY}, **HEADERS).content)
    assert answer == {
        "objectType": "Activity",
        "id": ACTIVITY,
        "definition": {
            "name": {"en": "Lattice spacing", "fr": "Distance réticulaire"},
            "description": {"en": "Compute d"},
            "type": "http://adlnet.gov/expapi/activities/interaction",
        },
    }
    unknown = client.get("/xapi/activities", {"activityId": "https://elsewhere.example.org/a"}, **HEADERS)
    assert json.loads(unknown.content) == {"objectType": "Activity", "id": "https://elsewhere.example.org/a"}
    assert client.get("/xapi/activities", **HEADERS).status_code == 400
    assert client.get("/xapi/activities", {"activityId": "not an iri"}, **HEADERS).status_code == 400


def test_a_client_that_reads_its_own_statements_sees_only_their_definitions(client):
    store(client, {"name": {"en": "From the operator"}})
    mine, secret = clients.client_create(
        name="lms", scopes=[StoreClient.WRITE, StoreClient.READ_MINE, StoreClient.DEFINE]
    )
    auth = "Basic " + base64.b64encode(f"{mine.key}:{secret}".encode()).decode()
    store(client, {"description": {"en": "From the LMS"}}, auth=auth)
    answer = client.get("/xapi/activities", {"activityId": ACTIVITY}, **{**HEADERS, "HTTP_AUTHORIZATION": auth})
    assert json.loads(answer.content)["definition"] == {"description": {"en": "From the LMS"}}


def test_only_panlearn_and_clients_that_may_define_shape_a_definition(client):
    store(client, {"name": {"en": "Lattice spacing"}})
    writer, secret = clients.client_create(name="writer", scopes=[StoreClient.WRITE])
    store(client, {"name": {"en": "Renamed by a client"}},
          auth="Basic " + base64.b64encode(f"{writer.key}:{secret}".encode()).decode())  # fmt: skip
    answer = json.loads(client.get("/xapi/activities", {"activityId": ACTIVITY}, **HEADERS).content)
    assert answer["definition"] == {"name": {"en": "Lattice spacing"}}
