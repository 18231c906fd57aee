"""The built-in store's document resources over HTTP: State, Activity Profile and Agent Profile
(xAPI 1.0.3, Communication 2.3, 2.6, 2.7; concurrency 3.1)."""

import base64
import json
from urllib.parse import urlencode

import pytest

from tracking.models import StoreClient, XapiDocument
from tracking.store import clients

pytestmark = pytest.mark.django_db
AUTH = "Basic " + base64.b64encode(b"panlearn:test-xapi-password").decode()
HEADERS = {"HTTP_AUTHORIZATION": AUTH, "HTTP_X_EXPERIENCE_API_VERSION": "1.0.3"}
ACTIVITY = "https://learn.example.org/xapi/activities/lesson/7"
ADA = json.dumps({"mbox": "mailto:ada@example.org"})
STATE = "/xapi/activities/state"
ACTIVITY_PROFILE = "/xapi/activities/profile"
AGENT_PROFILE = "/xapi/agents/profile"


def url(resource: str, **params) -> str:
    return f"{resource}?{urlencode(params)}"


def state(**params) -> str:
    return url(STATE, activityId=ACTIVITY, agent=ADA, **params)


def test_a_state_document_is_kept_as_sent_and_merged_by_post(client):
    assert client.put(state(stateId="progress"), b'{"cell": 3, "tab": "a"}', content_type="application/json",
                      **HEADERS).status_code == 204  # fmt: skip
    assert client.post(state(stateId="progress"), b'{"tab": "b", "open": true}', content_type="application/json",
                       **HEADERS).status_code == 204  # fmt: skip
    got = client.get(state(stateId="progress"), **HEADERS)
    assert got.status_code == 200 and got["Content-Type"] == "application/json"
    assert json.loads(got.content) == {"cell": 3, "tab": "b", "open": True}
    assert got["ETag"].startswith('"') and got["Last-Modified"]
    head = client.head(state(stateId="progress"), **HEADERS)
    assert head.status_code == 200 and head.content == b"" and head["ETag"] == got["ETag"]


def test_any_bytes_keep_their_content_type(client):
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    assert client.put(state(stateId="figure"), png, content_type="image/png", **HEADERS).status_code == 204
    got = client.get(state(stateId="figure"), **HEADERS)
    assert got.content == png and got["Content-Type"] == "image/png"


def test_ids_are_listed_since_a_time_and_a_state_delete_without_id_clears_them(client):
    for name in ("a", "b"):
        client.put(state(stateId=name), b"{}", content_type="application/json", **HEADERS)
    listed = client.get(state(), **HEADERS)
    assert listed.status_code == 200 and sorted(json.loads(listed.content)) == ["a", "b"]
    stored = XapiDocument.objects.get(document_id="b").updated
    assert json.loads(client.get(state(since=stored.isoformat()), **HEADERS).content) == []
    assert client.delete(state(stateId="a"), **HEADERS).status_code == 204
    assert json.loads(client.get(state(), **HEADERS).content) == ["b"]
    assert client.delete(state(), **HEADERS).status_code == 204
    assert client.get(state(stateId="b"), **HEADERS).status_code == 404
    assert not XapiDocument.objects.exists()


def test_a_registration_keeps_states_apart(client):
    one, two = "6fbd6d11-8a41-4a55-a7b7-1f5a0b6b1c31", "0d3e9a3c-55f8-4e53-9b36-7b7a3c0f8a10"
    client.put(state(stateId="s", registration=one), b'"one"', content_type="application/json", **HEADERS)
    client.put(state(stateId="s", registration=two), b'"two"', content_type="application/json", **HEADERS)
    assert client.get(state(stateId="s", registration=one), **HEADERS).content == b'"one"'
    assert client.get(state(stateId="s"), **HEADERS).status_code == 404, "one document: the one without registration"
    assert json.loads(client.get(state(registration=one), **HEADERS).content) == ["s"]
    assert json.loads(client.get(state(), **HEADERS).content) == ["s", "s"], "ids: of every registration"
    assert client.delete(state(), **HEADERS).status_code == 204, "a clear: every registration (2.3.s5)"
    assert not XapiDocument.objects.exists()


@pytest.mark.parametrize(
    ("query", "why"),
    [
        ({"agent": ADA, "stateId": "s"}, "no activityId"),
        ({"activityId": ACTIVITY, "stateId": "s"}, "no agent"),
        ({"activityId": "not an iri", "agent": ADA, "stateId": "s"}, "activityId not an IRI"),
        ({"activityId": ACTIVITY, "agent": "{not json", "stateId": "s"}, "agent not JSON"),
        ({"activityId": ACTIVITY, "agent": json.dumps({"name": "Ada"}), "stateId": "s"}, "agent without identifier"),
        ({"activityId": ACTIVITY, "agent": ADA, "stateId": "s", "registration": "nope"}, "registration not a UUID"),
        ({"activityId": ACTIVITY, "agent": ADA, "stateId": "s", "colour": "red"}, "unknown parameter"),
        ({"activityId": ACTIVITY, "agent": ADA}, "PUT without stateId"),
    ],
)
def test_a_malformed_request_is_refused_and_stores_nothing(client, query, why):
    response = client.put(url(STATE, **query), b"{}", content_type="application/json", **HEADERS)
    assert response.status_code == 400, why
    assert not XapiDocument.objects.exists()


def test_a_post_merges_json_objects_only(client):
    client.put(state(stateId="text"), b"plain words", content_type="text/plain", **HEADERS)
    refused = client.post(state(stateId="text"), b'{"a": 1}', content_type="application/json", **HEADERS)
    assert refused.status_code == 400
    assert client.post(state(stateId="new"), b"[1, 2]", content_type="application/json", **HEADERS).status_code == 400
    assert client.get(state(stateId="text"), **HEADERS).content == b"plain words", "nothing saved was lost"


def test_profiles_need_the_etag_to_replace_a_document(client):
    profile = url(ACTIVITY_PROFILE, activityId=ACTIVITY, profileId="settings")
    assert client.put(profile, b"v0", content_type="text/plain", **HEADERS).status_code == 400, "a client MUST send one"
    first = client.put(profile, b"v1", content_type="text/plain", HTTP_IF_NONE_MATCH="*", **HEADERS)
    assert first.status_code == 204
    assert client.put(profile, b"v2", content_type="text/plain", HTTP_IF_NONE_MATCH="*", **HEADERS).status_code == 412
    assert client.put(profile, b"v2", content_type="text/plain", **HEADERS).status_code == 409, "no precondition"
    etag = client.get(profile, **HEADERS)["ETag"]
    assert client.put(profile, b"v2", content_type="text/plain", HTTP_IF_MATCH=etag, **HEADERS).status_code == 204
    stale = client.put(profile, b"v3", content_type="text/plain", HTTP_IF_MATCH=etag, **HEADERS)
    assert stale.status_code == 412, "another client changed it since"
    assert client.get(profile, **HEADERS).content == b"v2"
    assert client.delete(profile, HTTP_IF_MATCH=etag, **HEADERS).status_code == 412
    assert client.delete(profile, **HEADERS).status_code == 204


def test_agent_profiles_are_per_agent(client):
    ada, bob = url(AGENT_PROFILE, agent=ADA, profileId="p"), url(AGENT_PROFILE, agent=json.dumps(
        {"account": {"homePage": "https://idp.example.org", "name": "bob"}}), profileId="p")  # fmt: skip
    client.put(ada, b'{"ada": 1}', content_type="application/json", HTTP_IF_NONE_MATCH="*", **HEADERS)
    assert client.get(bob, **HEADERS).status_code == 404
    assert json.loads(client.get(ada, **HEADERS).content) == {"ada": 1}


def test_a_document_over_the_limit_is_refused(client, settings):
    settings.PANLEARN_TRACKING_STORE_MAX_DOCUMENT_BYTES = 10
    response = client.put(state(stateId="big"), b"x" * 11, content_type="text/plain", **HEADERS)
    assert response.status_code == 413 and not XapiDocument.objects.exists()
    # Above Django's form limit (2.5 MB) too: the store's own answer, 413, not Django's 400.
    settings.PANLEARN_TRACKING_STORE_MAX_DOCUMENT_BYTES = 1 << 20
    response = client.put(state(stateId="huge"), b"x" * (3 << 20), content_type="text/plain", **HEADERS)
    assert response.status_code == 413 and not XapiDocument.objects.exists()


def test_a_client_needs_the_scope_of_the_resource(client):
    _client, secret = clients.client_create(name="reader", scopes=[StoreClient.READ])
    auth = "Basic " + base64.b64encode(f"{_client.key}:{secret}".encode()).decode()
    refused = client.put(state(stateId="s"), b"{}", content_type="application/json", HTTP_AUTHORIZATION=auth,
                         HTTP_X_EXPERIENCE_API_VERSION="1.0.3")  # fmt: skip
    assert refused.status_code == 403
    writer, secret = clients.client_create(name="lms", scopes=[StoreClient.STATE])
    auth = "Basic " + base64.b64encode(f"{writer.key}:{secret}".encode()).decode()
    allowed = client.put(state(stateId="s"), b"{}", content_type="application/json", HTTP_AUTHORIZATION=auth,
                         HTTP_X_EXPERIENCE_API_VERSION="1.0.3")  # fmt: skip
    assert allowed.status_code == 204
    assert client.get(state(stateId="s")).status_code == 401


def test_documents_live_in_their_own_private_storage():
    """Not MEDIA_ROOT, which a web server serves to anyone (docs/operator.md)."""
    from django.core.files.storage import default_storage, storages

    from panlearn.settings import base

    storage = XapiDocument._meta.get_field("content").storage
    assert storage is storages["xapi_documents"] and storage is not default_storage
    location = base.STORAGES["xapi_documents"]["OPTIONS"]["location"]
    assert not location.startswith(str(base.MEDIA_ROOT))


def test_a_document_is_never_rendered_on_the_site(client):
    """Stored XSS: a client's text/html would otherwise run on panlearn's origin, opened by a victim's
    browser through the alternate request syntax."""
    page = b"<script>fetch('/admin/')</script>"
    client.put(state(stateId="page"), page, content_type="text/html", **HEADERS)
    got = client.get(state(stateId="page"), **HEADERS)
    assert got.content == page, "kept as sent"
    assert got["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert got["X-Content-Type-Options"] == "nosniff" and got["Content-Disposition"] == "attachment"


@pytest.mark.parametrize(
    ("params", "headers"),
    [
        ({"since": "2020-13-01T00:00:00Z"}, {}),
        ({"since": "2020-01-01T00:00:00+25:00"}, {}),
        ({"agent": "[" * 5000 + "]" * 5000}, {}),
    ],
)
def test_impossible_input_is_a_400_not_a_500(client, params, headers):
    query = {"activityId": ACTIVITY, "agent": ADA, **params}
    assert client.get(url(STATE, **query), **HEADERS, **headers).status_code == 400


def test_a_malformed_content_type_is_refused_and_long_keys_are_fine(client):
    bad = client.put(state(stateId="x"), b"{}", content_type="text/plain\r\nSet-Cookie: a=b", **HEADERS)
    assert bad.status_code == 400 and not XapiDocument.objects.exists()
    long_activity, long_id = ACTIVITY + "/" + "a" * 5000, "s" * 5000
    stored = client.put(url(STATE, activityId=long_activity, agent=ADA, stateId=long_id), b"{}",
                        content_type="application/json", **HEADERS)  # fmt: skip
    assert stored.status_code == 204
    assert client.get(url(STATE, activityId=long_activity, agent=ADA, stateId=long_id), **HEADERS).content == b"{}"


def test_erasing_a_learner_removes_their_documents(client):
    from tests.factories import UserFactory
    from tracking import identity
    from tracking.erasure import erase_statements

    ada = UserFactory()
    agent = json.dumps({"account": {"homePage": identity.homepage(), "name": identity.pseudonym(ada.pk)}})
    client.put(url(STATE, activityId=ACTIVITY, agent=agent, stateId="s"), b"{}", content_type="application/json",
               **HEADERS)  # fmt: skip
    client.put(state(stateId="someone else"), b"{}", content_type="application/json", **HEADERS)
    record = erase_statements(ada, requested_by="the learner", reason="GDPR article 17")
    assert record.counts["documents"] == 1
    assert list(XapiDocument.objects.values_list("document_id", flat=True)) == ["someone else"]
