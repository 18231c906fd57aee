"""The built-in store's Statements and About resources over HTTP."""

import base64
import json
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from tracking.models import StoredStatement

pytestmark = pytest.mark.django_db
URL = "/xapi/statements"
AUTH = "Basic " + base64.b64encode(b"panlearn:test-xapi-password").decode()
HEADERS = {"HTTP_AUTHORIZATION": AUTH, "HTTP_X_EXPERIENCE_API_VERSION": "1.0.3"}
COURSE = "https://learn.example.org/xapi/activities/course/3"


def statement(*, actor="ada", verb="answered", activity="exercise/1", registration=None, **extra) -> dict:
    body = {
        "actor": {"objectType": "Agent", "mbox": f"mailto:{actor}@example.org"},
        "verb": {"id": f"http://adlnet.gov/expapi/verbs/{verb}", "display": {"en-US": verb}},
        "object": {"objectType": "Activity", "id": f"https://learn.example.org/xapi/activities/{activity}"},
        "context": {"contextActivities": {"grouping": [{"id": COURSE}]}},
    }
    if registration:
        body["context"]["registration"] = str(registration)
    return {**body, **extra}


def post(client, body, **headers):
    return client.post(URL, json.dumps(body), content_type="application/json", **{**HEADERS, **headers})


def get(client, **params):
    return client.get(URL, params, **HEADERS)


def test_about_lists_versions(client):
    response = client.get("/xapi/about", HTTP_AUTHORIZATION=AUTH)
    assert response.status_code == 200 and {"1.0.3", "2.0.0"} <= set(response.json()["version"])
    assert response["X-Experience-API-Version"] == "2.0.0"  # no version asked: the latest
    asked = client.get("/xapi/about", HTTP_X_EXPERIENCE_API_VERSION="1.0.1")
    assert asked["X-Experience-API-Version"] == "1.0.3"  # a 1.0.x request: the 1.0 the store speaks


@pytest.mark.parametrize("auth", ["", "Basic " + base64.b64encode(b"panlearn:wrong").decode(), "Bearer x"])
def test_credentials_are_required(client, auth):
    response = client.get(URL, HTTP_AUTHORIZATION=auth, HTTP_X_EXPERIENCE_API_VERSION="1.0.3")
    assert response.status_code == 401 and "Basic" in response["WWW-Authenticate"]


def test_the_version_header_is_required(client):
    assert client.get(URL, HTTP_AUTHORIZATION=AUTH).status_code == 400


def test_post_stores_and_get_returns_the_statement(client):
    response = post(client, [statement(), statement(actor="bob")])
    assert response.status_code == 200
    first, _second = response.json()
    got = get(client, statementId=first)
    assert got.status_code == 200
    body = got.json()
    assert body["id"] == first and body["actor"]["mbox"] == "mailto:ada@example.org"
    assert body["stored"] and body["authority"] and body["version"] == "1.0.0" and body["timestamp"]
    assert get(client, statementId=str(uuid.uuid4())).status_code == 404


def test_invalid_statements_are_refused_whole(client):
    bad = statement(result={"score": {"raw": 11, "min": 0, "max": 10}})
    assert post(client, [statement(), bad]).status_code == 400
    assert post(client, statement(actor="not an email")).status_code == 400
    repeated = str(uuid.uuid4())
    assert post(client, [statement(id=repeated), statement(id=repeated)]).status_code == 400
    assert not StoredStatement.objects.exists()


def test_put_with_id_and_conflicts(client):
    statement_id = str(uuid.uuid4())
    put = client.put(f"{URL}?statementId={statement_id}", json.dumps(statement()), content_type="application/json",
                     **HEADERS)  # fmt: skip
    assert put.status_code == 204
    same = client.put(f"{URL}?statementId={statement_id}", json.dumps(statement()), content_type="application/json",
                      **HEADERS)  # fmt: skip
    assert same.status_code == 204  # the same statement again: kept once
    other = post(client, statement(id=statement_id, verb="passed"))
    assert other.status_code == 409
    assert StoredStatement.objects.count() == 1
    assert client.put(URL, json.dumps(statement()), content_type="application/json", **HEADERS).status_code == 400


def test_filters(client):
    registration = uuid.uuid4()
    post(client, [statement(), statement(actor="bob", verb="passed"), statement(activity="exercise/2"),
                  statement(actor="bob", registration=registration)])  # fmt: skip

    def count(**params):
        response = get(client, **params)
        assert response.status_code == 200, response.content
        return len(response.json()["statements"])

    assert count() == 4
    assert count(agent=json.dumps({"mbox": "mailto:bob@example.org"})) == 2
    assert count(verb="http://adlnet.gov/expapi/verbs/passed") == 1
    assert count(activity="https://learn.example.org/xapi/activities/exercise/2") == 1
    assert count(activity=COURSE) == 0 and count(activity=COURSE, related_activities="true") == 4
    assert count(registration=str(registration)) == 1
    assert count(since=(timezone.now() - timedelta(minutes=1)).isoformat()) == 4
    assert count(until=(timezone.now() - timedelta(minutes=1)).isoformat()) == 0
    assert get(client, agent="not json").status_code == 400
    assert get(client, colour="blue").status_code == 400


def test_limit_and_the_more_link_walk_every_statement_once(client):
    ids = post(client, [statement(activity=f"exercise/{n}") for n in range(7)]).json()
    seen, response = [], get(client, limit=3)
    while True:
        body = response.json()
        seen += [item["id"] for item in body["statements"]]
        if not body["more"]:
            break
        post(client, statement(activity="exercise/new"))  # arrivals do not shift the pages
        response = client.get(body["more"], **HEADERS)
    assert seen == list(reversed(ids))  # newest first
    ascending = get(client, limit=100, ascending="true").json()["statements"]
    assert [item["id"] for item in ascending][:7] == ids


def test_voiding_hides_the_target_but_keeps_it_by_voided_statement_id(client):
    (target,) = post(client, [statement()]).json()
    voiding = statement(verb="voided")
    voiding["object"] = {"objectType": "StatementRef", "id": target}
    del voiding["context"]
    (voider,) = post(client, [voiding]).json()
    assert get(client, statementId=target).status_code == 404
    assert get(client, voidedStatementId=target).json()["id"] == target
    listed = [item["id"] for item in get(client).json()["statements"]]
    assert target not in listed and voider in listed
    again = statement(verb="voided")
    again["object"] = {"objectType": "StatementRef", "id": voider}
    del again["context"]
    assert post(client, again).status_code == 200  # kept, but a voiding statement cannot be voided: ignored
    assert get(client, statementId=voider).json()["id"] == voider
    assert get(client, statementId=target).status_code == 404  # still voided


def test_a_voiding_statement_in_the_same_batch_as_its_target_voids_it(client):
    target = statement()
    target["id"] = str(uuid.uuid4())
    voiding = statement(verb="voided")
    voiding["object"] = {"objectType": "StatementRef", "id": target["id"]}
    del voiding["context"]
    post(client, [target, voiding])
    assert get(client, statementId=target["id"]).status_code == 404
    assert get(client, voidedStatementId=target["id"]).json()["id"] == target["id"]


def test_format_ids_strips_definitions(client):
    body = statement()
    body["object"]["definition"] = {"name": {"en-GB": "Lattice spacing"}}
    (statement_id,) = post(client, body).json()
    got = get(client, statementId=statement_id, format="ids").json()
    assert "definition" not in got["object"] and "display" not in got["verb"]


def test_nulls_are_refused_except_inside_extensions(client):
    named = statement()
    named["actor"]["name"] = None
    response = post(client, named)
    assert response.status_code == 400 and "statement.actor.name is null" in response.json()["error"]
    with_extension = statement(result={"extensions": {"https://learn.example.org/x/hint": None}})
    assert post(client, with_extension).status_code == 200


def test_format_canonical_keeps_the_language_asked_for(client):
    body = statement()
    body["verb"]["display"] = {"en-US": "answered", "en-GB": "answered (GB)", "fr": "a répondu"}
    body["object"]["definition"] = {"name": {"fr": "Espacement", "en-GB": "Lattice spacing"}}
    (statement_id,) = post(client, body).json()
    shaped = client.get(URL, {"statementId": statement_id, "format": "canonical"}, **HEADERS,
                        HTTP_ACCEPT_LANGUAGE="fr;q=0.5, en-GB").json()  # fmt: skip
    assert shaped["verb"]["display"] == {"en-GB": "answered (GB)"}
    assert shaped["object"]["definition"]["name"] == {"en-GB": "Lattice spacing"}
    french = client.get(URL, {"statementId": statement_id, "format": "canonical"}, **HEADERS,
                        HTTP_ACCEPT_LANGUAGE="fr-CA").json()  # fmt: skip
    assert french["verb"]["display"] == {"fr": "a répondu"}  # the primary language matches
    assert get(client, statementId=statement_id, format="pretty").status_code == 400


def test_format_ids_gives_activities_by_id_alone_and_groups_by_their_identifier(client):
    group = {"objectType": "Group", "name": "Team", "mbox": "mailto:team@example.org"}
    body = statement(object={"objectType": "SubStatement", "actor": group,
                             "verb": {"id": "http://adlnet.gov/expapi/verbs/attempted", "display": {"en-US": "x"}},
                             "object": {"id": COURSE, "definition": {"name": {"en": "Course"}}}})  # fmt: skip
    del body["context"]
    (statement_id,) = post(client, body).json()
    shaped = get(client, statementId=statement_id, format="ids").json()
    assert shaped["object"]["actor"] == {"objectType": "Group", "mbox": "mailto:team@example.org"}
    assert shaped["object"]["object"] == {"id": COURSE} and shaped["object"]["verb"] == {
        "id": body["object"]["verb"]["id"]
    }


def test_a_statement_targeting_a_matching_statement_matches_the_filter(client):
    (target,) = post(client, statement(verb="attempted")).json()
    voiding = statement(verb="voided", object={"objectType": "StatementRef", "id": target})
    del voiding["context"]
    (voider,) = post(client, voiding).json()
    comment = statement(verb="commented", object={"objectType": "StatementRef", "id": voider})
    del comment["context"]
    (commenter,) = post(client, comment).json()  # targets the voiding statement: two hops from "attempted"
    post(client, statement(verb="experienced"))
    listed = [item["id"] for item in get(client, verb="http://adlnet.gov/expapi/verbs/attempted").json()["statements"]]
    assert sorted(listed) == sorted([voider, commenter])  # the voided target itself is gone
    later = get(client, verb="http://adlnet.gov/expapi/verbs/attempted", since=timezone.now().isoformat())
    assert later.json()["statements"] == []  # time filters apply to the targeting statements themselves
    # One a page: the refs come in stored order, and the more links walk them without loss.
    seen, page = [], get(client, verb="http://adlnet.gov/expapi/verbs/attempted", limit=1).json()
    while True:
        seen += [item["id"] for item in page["statements"]]
        if not page["more"]:
            break
        page = client.get(page["more"], **HEADERS).json()
    assert seen == [commenter, voider]


def test_about_is_public_and_a_wrong_method_is_405_before_credentials(client):
    response = client.get("/xapi/about")
    assert response.status_code == 200 and "1.0.3" in response.json()["version"]
    assert client.delete(URL).status_code == 405
    assert client.delete(URL, **HEADERS).status_code == 405


def test_methods_a_resource_never_has_answer_405_and_unknown_paths_404(client):
    # (Before issue 18 the document resources answered 404 here; they exist now: tests/tracking/test_documents.py.)
    assert client.patch("/xapi/activities/state", **HEADERS).status_code == 405
    assert client.post("/xapi/agents", **HEADERS).status_code == 405  # the Agents resource is GET only
    assert client.delete("/xapi/activities").status_code == 405
    assert client.post("/xapi/no-such-resource", **HEADERS).status_code == 404


def test_the_alternate_request_syntax_stands_for_put_and_get(client):
    from urllib.parse import urlencode

    statement_id = str(uuid.uuid4())
    form = {"Authorization": AUTH, "X-Experience-API-Version": "1.0.3", "Content-Type": "application/json",
            "statementId": statement_id, "content": json.dumps(statement())}  # fmt: skip
    put = client.post(URL + "?method=PUT", urlencode(form), content_type="application/x-www-form-urlencoded")
    assert put.status_code == 204
    del form["Content-Type"]  # xAPI content is JSON unless the form says otherwise
    form["statementId"] = str(uuid.uuid4())
    put = client.post(URL + "?method=PUT", urlencode(form), content_type="application/x-www-form-urlencoded")
    assert put.status_code == 204
    form = {"Authorization": AUTH, "X-Experience-API-Version": "1.0.3", "statementId": statement_id}
    got = client.post(URL + "?method=GET", urlencode(form), content_type="application/x-www-form-urlencoded")
    assert got.status_code == 200 and got.json()["id"] == statement_id
    mixed = client.post(URL + f"?method=GET&statementId={statement_id}", urlencode(form),
                        content_type="application/x-www-form-urlencoded")  # fmt: skip
    assert mixed.status_code == 400  # every other parameter goes in the form
    # Old clients (the ADL suite's `request`) add a charset to the form's content type: the form's parameters
    # must survive it (Django's encoding setter drops a GET set before it).
    with_charset = "application/x-www-form-urlencoded; charset=utf-8"
    page = {"Authorization": AUTH, "X-Experience-API-Version": "1.0.3", "limit": "1"}
    listed = client.post(URL + "?method=GET", urlencode(page), content_type=with_charset)
    assert listed.status_code == 200 and len(listed.json()["statements"]) == 1 and "more" in listed.json()
    unsigned = {"X-Experience-API-Version": "1.0.3", "statementId": statement_id}
    refused = client.post(URL + "?method=GET", urlencode(unsigned), content_type="application/x-www-form-urlencoded")
    assert refused.status_code == 401


def test_the_alternate_request_syntax_is_held_to_the_stores_limit_not_djangos_form_limit(client, settings):
    from urllib.parse import urlencode

    batch = [statement(result={"response": "x" * 1000}) for _ in range(3000)]  # above 2.5 MB
    form = {"Authorization": AUTH, "X-Experience-API-Version": "1.0.3", "content": json.dumps(batch)}
    body = urlencode(form)
    assert len(body) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    settings.PANLEARN_TRACKING_STORE_MAX_ALTERNATE_BYTES = len(body)
    posted = client.post(URL + "?method=POST", body, content_type="application/x-www-form-urlencoded")
    assert posted.status_code == 200 and len(posted.json()) == 3000
    settings.PANLEARN_TRACKING_STORE_MAX_ALTERNATE_BYTES = len(body) - 1
    refused = client.post(URL + "?method=POST", body, content_type="application/x-www-form-urlencoded")
    # The store's 413, nothing more stored, and in the latest version: the form that names one was not read.
    assert refused.status_code == 413 and refused["X-Experience-API-Version"] == "2.0.0"
    assert StoredStatement.objects.count() == 3000
    # The limit is the alternate syntax's own, below the store's request limit: the form comes before the
    # credentials in it can be checked.
    settings.PANLEARN_TRACKING_STORE_MAX_ALTERNATE_BYTES = 4 << 20
    assert settings.PANLEARN_TRACKING_STORE_MAX_REQUEST_BYTES > 4 << 20
    big = urlencode({"content": "x" * (5 << 20)})
    anonymous = client.post(URL + "?method=POST", big, content_type="application/x-www-form-urlencoded")
    assert anonymous.status_code == 413


def test_the_more_link_keeps_the_format(client):
    for number in range(3):
        post(client, statement(actor=f"reader{number}"))
    first = get(client, limit=2, format="ids").json()
    assert all("display" not in item["verb"] for item in first["statements"])
    rest = client.get(first["more"], **HEADERS).json()["statements"]
    assert rest and all("display" not in item["verb"] for item in rest)


def test_related_agents_widens_the_agent_filter_to_authority_instructor_team_and_substatements(client):
    teacher = {"objectType": "Agent", "mbox": "mailto:teacher@example.org"}
    taught = statement(actor="ada", context={"instructor": teacher})
    (taught_id,) = post(client, taught).json()
    inner = {"objectType": "SubStatement", "actor": teacher, "verb": taught["verb"],
             "object": {"id": COURSE}}  # fmt: skip
    planned = statement(actor="bob", object=inner)
    del planned["context"]
    (planned_id,) = post(client, planned).json()
    post(client, statement(actor="cem"))
    agent = json.dumps(teacher)
    assert get(client, agent=agent).json()["statements"] == []  # neither actor nor object
    related = get(client, agent=agent, related_agents="true").json()["statements"]
    assert sorted(item["id"] for item in related) == sorted([taught_id, planned_id])
