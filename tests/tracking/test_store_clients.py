"""Each client of the built-in store has its own credential and scopes, and is the authority of what it
stores (review of 2026-12-04, finding 7: one all-powerful credential, and dashboards that trusted every
statement, so whoever held it could forge completions)."""

import base64
import json

import pytest
from django.utils import timezone

from dashboards import selectors as dashboards
from tests.dashboards.test_dashboards import world  # noqa: F401  (a fixture: a course with real statements)
from tests.factories import FacilityFactory, UserFactory
from tracking import identity
from tracking.models import StoreClient, StoredStatement
from tracking.store import clients

pytestmark = pytest.mark.django_db
URL = "/xapi/statements"


def headers(key: str, secret: str) -> dict:
    auth = "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()
    return {"HTTP_AUTHORIZATION": auth, "HTTP_X_EXPERIENCE_API_VERSION": "1.0.3"}


def post(http, body, credential):
    return http.post(URL, json.dumps(body), content_type="application/json", **headers(*credential))


def completed(user, course) -> dict:
    course_iri = identity.course_activity(course).id
    return {
        "actor": identity.actor_for(user).as_json(),  # the learner as panlearn names them: the forgery is exact
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed"}},
        "object": {"objectType": "Activity", "id": course_iri},
        "context": {"contextActivities": {"grouping": [{"id": course_iri}]}},
        "authority": {"objectType": "Agent", "account": {"homePage": identity.homepage(), "name": "panlearn"}},
    }


def make(name: str, *scopes: str) -> tuple[str, str]:
    client, secret = clients.client_create(name=name, scopes=list(scopes))
    return client.key, secret


def test_a_client_is_the_authority_of_what_it_stores_and_dashboards_ignore_it(client, world):  # noqa: F811
    """A forged 'completed' for cleo, claiming panlearn as its authority, is stored under the client's name,
    and neither the course summary nor the facility's records count it."""
    before = dashboards.course_summaries([world["course"]], now=timezone.now())[0].completed
    lms = make("Facility LMS", StoreClient.WRITE)
    assert post(client, completed(world["cleo"], world["course"]), lms).status_code == 200
    stored = StoredStatement.objects.get(verb="http://adlnet.gov/expapi/verbs/completed", by_panlearn=False)
    assert stored.payload["authority"]["account"]["name"] == f"store-client:{lms[0]}"
    assert stored.client.name == "Facility LMS"
    assert dashboards.course_summaries([world["course"]], now=timezone.now())[0].completed == before
    facility = FacilityFactory()
    world["course"].facility = facility
    world["course"].save()
    _, records = dashboards.facility_completions(facility=facility)
    assert "cleo" not in {record.user.username for record in records}


def test_scopes_decide_what_a_client_may_do(client, world):  # noqa: F811
    writer = make("Writer", StoreClient.WRITE)
    mine = make("Reader of its own", StoreClient.READ_MINE, StoreClient.WRITE)
    everything = make("Analytics", StoreClient.READ)
    assert client.get(URL, **headers(*writer)).status_code == 403  # no read scope
    assert post(client, completed(world["ada"], world["course"]), everything).status_code == 403  # read only
    assert post(client, completed(world["bob"], world["course"]), mine).status_code == 200
    own = client.get(URL, **headers(*mine)).json()["statements"]
    assert [row["authority"]["account"]["name"] for row in own] == [f"store-client:{mine[0]}"]
    ours = StoredStatement.objects.filter(by_panlearn=True).values_list("statement_id", flat=True)
    panlearn_ids = {str(pk) for pk in ours}
    read_all = client.get(URL, {"limit": 500}, **headers(*everything)).json()["statements"]
    assert panlearn_ids <= {row["id"] for row in read_all}
    one_of_panlearns = next(iter(panlearn_ids))
    assert client.get(URL, {"statementId": one_of_panlearns}, **headers(*mine)).status_code == 404


def test_a_client_voids_only_what_it_stored(client, world):  # noqa: F811
    lms = make("LMS", StoreClient.WRITE, StoreClient.READ_MINE)
    theirs = StoredStatement.objects.filter(by_panlearn=True).first()
    void = {
        "actor": {"mbox": "mailto:lms@example.org"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/voided", "display": {"en-US": "voided"}},
        "object": {"objectType": "StatementRef", "id": str(theirs.statement_id)},
    }
    refused = post(client, void, lms)
    assert refused.status_code == 403 and "only the statements it stored" in refused.json()["error"]
    theirs.refresh_from_db()
    assert theirs.voided is False
    own_id = post(client, completed(world["ada"], world["course"]), lms).json()[0]
    assert post(client, {**void, "object": {"objectType": "StatementRef", "id": own_id}}, lms).status_code == 200


def test_wrong_and_revoked_credentials_are_refused(client):
    key, secret = make("Old LMS", StoreClient.READ)
    assert client.get(URL, **headers(key, "not-the-secret")).status_code == 401
    assert client.get(URL, **headers(key, secret)).status_code == 200
    clients.client_revoke(client=StoreClient.objects.get(key=key))
    assert client.get(URL, **headers(key, secret)).status_code == 401
    assert StoreClient.objects.get(key=key).secret_hash != secret  # kept hashed


def test_superusers_manage_clients_in_the_admin_and_see_the_secret_once(client):
    client.force_login(UserFactory(username="staff-not-superuser", is_staff=True))
    assert client.get("/admin/store_clients/").status_code in (302, 403)
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    response = client.post("/admin/store_clients/new/", {"name": "Facility LMS", "scopes": ["statements/write"]},
                           follow=True)  # fmt: skip
    made = StoreClient.objects.get(name="Facility LMS")
    assert made.scopes == ["statements/write"]
    text = response.content.decode()
    secret = text.split("its password is ", 1)[1].split(" ", 1)[0]
    assert client.get(URL, **headers(made.key, secret)).status_code == 403  # authenticated, no read scope
    assert secret not in client.get(f"/admin/store_clients/edit/{made.pk}/").content.decode()
    client.post(f"/admin/store_clients/delete/{made.pk}/")
    made.refresh_from_db()
    assert made.revoked_at is not None
