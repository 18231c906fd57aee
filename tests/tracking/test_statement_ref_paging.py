"""Filtered pages with StatementRefs (xAPI 1.0.3, Communication 2.1.3): a statement whose object is a ref
meets a filter when the statement it targets does, or that one's target, and so on. The store keeps each
ref's chain as rows (tracking/store/refs.py); whatever order statements arrive in, and after an erasure,
the pages walk exactly what following the chains by brute force finds, in order, once each."""

import contextlib
import io
import random
import sqlite3
import uuid

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from tracking.models import StatementRefTarget, StoredStatement
from tracking.store import refs, selectors

pytestmark = pytest.mark.django_db
VERB = "http://adlnet.gov/expapi/verbs/"
ACTORS = {"ada": "mbox:mailto:ada@example.org", "bob": "mbox:mailto:bob@example.org"}
ACTIVITY = "https://learn.example.org/xapi/activities/"
REGISTRATIONS = [uuid.UUID(int=1), uuid.UUID(int=2)]
# Each filter the Statements resource has, as the query asks for it and as brute force checks a row for it.
FILTERS = {
    "verb": ({"verb": VERB + "attempted"}, lambda row: row.verb == VERB + "attempted"),
    # An actor's refs to their own statements both meet the filter and reach a statement that does.
    "agent": ({"agent": '{"mbox": "mailto:ada@example.org"}'}, lambda row: ACTORS["ada"] in (row.actor_key,
                                                                                            row.object_agent_key)),
    "agent as object": ({"agent": '{"mbox": "mailto:bob@example.org"}'},
                        lambda row: ACTORS["bob"] in (row.actor_key, row.object_agent_key)),
    "activity": ({"activity": ACTIVITY + "a1"}, lambda row: row.object_iri == ACTIVITY + "a1"),
    "related activities": ({"activity": ACTIVITY + "c1", "related_activities": "true"},
                           lambda row: ACTIVITY + "c1" in (row.object_iri, row.course_iri)),
    "registration": ({"registration": str(REGISTRATIONS[0])}, lambda row: row.registration == REGISTRATIONS[0]),
    "related agents": ({"agent": '{"mbox": "mailto:bob@example.org"}', "related_agents": "true"},
                       lambda row: f"\n{ACTORS['bob']}\n" in row.related_agent_keys),
}  # fmt: skip


def _row(verb: str, target: uuid.UUID | None = None, actor: str = "ada", statement_id=None,
         chooser: random.Random | None = None) -> StoredStatement:  # fmt: skip
    """A row as services.statements_store writes it; with `chooser`, its other columns drawn at random."""
    now, statement_id = timezone.now(), statement_id or uuid.uuid4()
    payload = {"id": str(statement_id), "actor": {"mbox": f"mailto:{actor}@example.org"}, "verb": {"id": VERB + verb}}
    row = StoredStatement(statement_id=statement_id, payload=payload, actor_key=ACTORS[actor], verb=VERB + verb,
                          target_id=target, object_iri=str(target) if target else ACTIVITY + "a0", timestamp=now,
                          stored=now, related_agent_keys=f"\n{ACTORS[actor]}\n")  # fmt: skip
    if chooser is not None:
        if target is None:
            if chooser.random() < 0.2:  # an agent as the object
                row.object_iri, row.object_agent_key = "", ACTORS["bob"]
            else:
                row.object_iri = ACTIVITY + chooser.choice(["a0", "a1", "c1"])
        row.course_iri = chooser.choice(["", ACTIVITY + "c1", ACTIVITY + "c2"])
        row.registration = chooser.choice([None, *REGISTRATIONS])
        if chooser.random() < 0.2:  # bob as instructor
            row.related_agent_keys = "\n" + "\n".join(sorted({ACTORS[actor], ACTORS["bob"]})) + "\n"
        if row.object_agent_key:
            row.related_agent_keys = "\n" + "\n".join(sorted({ACTORS[actor], ACTORS["bob"]})) + "\n"
    return row


def _expected(meets, *, ascending: bool) -> list[str]:
    """By brute force: the live rows that meet the filter, or whose chain of targets (up to REF_DEPTH hops)
    reaches a row that does, voided or not, in stored order."""
    rows = {row.statement_id: row for row in StoredStatement.objects.all()}

    def reaches(row) -> bool:
        for _ in range(refs.REF_DEPTH):
            row = rows.get(row.target_id)
            if row is None:
                return False
            if meets(row):
                return True
        return False

    kept = [row for row in rows.values() if not row.voided and (meets(row) or reaches(row))]
    return [str(row.statement_id) for row in sorted(kept, key=lambda row: row.pk, reverse=not ascending)]


def _walk(params: dict, *, limit: int, ascending: bool) -> list[str]:
    seen, after = [], None
    while True:
        page = selectors.statements_page(params, limit=limit, ascending=ascending, after=after)
        assert len(page.statements) <= limit
        seen += [payload["id"] for payload in page.statements]
        if page.after is None:
            return seen
        after = page.after


def _assert_pages_match_brute_force():
    for params, meets in FILTERS.values():
        for ascending in (True, False):
            expected = _expected(meets, ascending=ascending)
            direct = [row for row in StoredStatement.objects.filter(voided=False) if meets(row)]
            assert len(expected) > len(direct)  # refs to matches, not only matches
            for limit in (1, 2, 4, 9, 1000):
                assert _walk(params, limit=limit, ascending=ascending) == expected, (params, ascending, limit)


def _mixed_rows(seed: int = 7, count: int = 160) -> list[StoredStatement]:
    """Two actors' statements and refs, in the order they are stored. A ref may target a statement stored
    before it, one stored after it (refs may name statements the store does not know yet), or one never
    stored; chains of several hops and cycles come of it. A tenth of them are voided."""
    chooser = random.Random(seed)
    ids = [uuid.uuid4() for _ in range(count)]
    rows = []
    for index, statement_id in enumerate(ids):
        roll, actor = chooser.random(), chooser.choice(list(ACTORS))
        if index < 5 or roll < 0.2:
            verb = chooser.choice(["attempted", "experienced"])
            row = _row(verb, actor=actor, statement_id=statement_id, chooser=chooser)
        else:
            target = chooser.choice(ids) if roll < 0.95 else uuid.uuid4()
            row = _row("commented", target=target, actor=actor, statement_id=statement_id, chooser=chooser)
        row.voided = chooser.random() < 0.1
        rows.append(row)
    return rows


def test_pages_are_right_whatever_order_the_statements_arrive_in():
    for row in _mixed_rows():  # one at a time, as the Statements resource stores them: chains grow as they come
        row.save()
        refs.chains_update([row.statement_id])
    _assert_pages_match_brute_force()
    # Rebuilt from scratch (the migration's way, and `manage.py tracking ref-chains`), the rows are the same.
    kept = set(StatementRefTarget.objects.values_list("ref_id", "target_id", "depth", "verb"))
    out = io.StringIO()
    call_command("tracking", "ref-chains", stdout=out)
    assert out.getvalue().strip() == f"{len(kept)} chain rows written"
    assert set(StatementRefTarget.objects.values_list("ref_id", "target_id", "depth", "verb")) == kept


def test_pages_are_right_after_an_erasure_cuts_chains():
    rows = _mixed_rows(seed=11)
    StoredStatement.objects.bulk_create(rows)
    refs.chains_update([row.statement_id for row in rows])
    _assert_pages_match_brute_force()
    # Erase some statements that chains pass through (as tracking.erasure does): those chains end there.
    named = list(StatementRefTarget.objects.filter(depth=1).values_list("target_id", flat=True).distinct())
    erased = random.Random(3).sample(named, len(named) // 4)
    reaching = refs.refs_naming(erased)
    StoredStatement.objects.filter(pk__in=erased).delete()
    refs.chains_after_erasure(reaching)
    assert not StatementRefTarget.objects.filter(target_id__in=erased).exists()
    _assert_pages_match_brute_force()


def test_the_statements_resource_keeps_the_chains(client):
    """Through the real write path: a ref stored before its target meets the filter once the target comes."""
    import base64
    import json

    headers = {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(b"panlearn:test-xapi-password").decode(),
               "HTTP_X_EXPERIENCE_API_VERSION": "1.0.3"}  # fmt: skip
    target = str(uuid.uuid4())
    ref = {"actor": {"mbox": "mailto:bob@example.org"}, "verb": {"id": VERB + "commented"},
           "object": {"objectType": "StatementRef", "id": target}}  # fmt: skip
    posted = client.post("/xapi/statements", json.dumps(ref), content_type="application/json", **headers)
    (ref_id,) = posted.json()
    attempted = VERB + "attempted"
    assert client.get("/xapi/statements", {"verb": attempted}, **headers).json()["statements"] == []
    later = {"id": target, "actor": {"mbox": "mailto:ada@example.org"}, "verb": {"id": attempted},
             "object": {"id": "https://learn.example.org/xapi/activities/exercise/1"}}  # fmt: skip
    assert (
        client.post("/xapi/statements", json.dumps(later), content_type="application/json", **headers).status_code
        == 200
    )
    listed = client.get("/xapi/statements", {"verb": attempted}, **headers).json()["statements"]
    assert [item["id"] for item in listed] == [target, ref_id]  # newest first


@pytest.fixture
def sqlite_variable_limit():
    """SQLite's limit on a query's variables as SQLite builds it by default before 3.32 (999), lower than
    Debian's build (250,000): the limit a store must live with wherever it runs."""
    if connection.vendor != "sqlite":
        yield
        return
    connection.ensure_connection()
    given = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    connection.connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999)
    yield
    connection.connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, given)


def test_many_refs_stored_at_once_stay_within_a_querys_variables(sqlite_variable_limit):
    # 2,000 refs to one statement, stored in one batch, and the statement stored after them: no query of
    # the chains' upkeep or of the page passes the limit.
    target = uuid.uuid4()
    rows = [_row("commented", target=target) for _ in range(2_000)]
    StoredStatement.objects.bulk_create(rows, batch_size=400)
    refs.chains_update([row.statement_id for row in rows])
    StoredStatement.objects.bulk_create([_row("attempted", statement_id=target)])
    refs.chains_update([target])
    assert StatementRefTarget.objects.count() == 2_000
    page = selectors.statements_page({"verb": VERB + "attempted"}, limit=10, ascending=False)
    assert len(page.statements) == 10 and page.after is not None


@pytest.mark.django_db(transaction=True)
def test_a_ref_and_its_target_stored_at_the_same_moment_make_a_chain():
    """Two transactions, one storing a ref and one its target, both past their insert before either reads
    chains, and both done reading before either commits (unless one waits): each would miss the other's
    row. With refs.chains_lock the second to read waits for the first to commit, and builds the chain."""
    import threading

    from django.db import close_old_connections, transaction

    if connection.vendor != "postgresql":
        pytest.skip("SQLite lets one transaction write at a time: two cannot interleave")
    target_id = uuid.uuid4()
    target, ref = _row("attempted", statement_id=target_id), _row("commented", target=target_id, actor="bob")
    inserted, read, failures = threading.Barrier(2, timeout=10), threading.Barrier(2, timeout=2), []

    def store(row):
        try:
            with transaction.atomic():
                row.save()
                inserted.wait()
                refs.chains_update([row.statement_id])
                # Without the lock both get here before either commits; with it, the other is waiting for this
                # one's commit in chains_lock, and the barrier breaks after 2 s.
                with contextlib.suppress(threading.BrokenBarrierError):
                    read.wait()
        except Exception as error:  # reported in the test's thread
            failures.append(error)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=store, args=(row,)) for row in (target, ref)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    assert StatementRefTarget.objects.filter(ref__statement_id=ref.statement_id, target=target).exists()


def _stored(actor: dict, verb: str, target: str | None = None, caller=None) -> str:
    from tracking.store.services import statements_store

    what = {"objectType": "StatementRef", "id": target} if target else {"id": ACTIVITY + "a1"}
    statement = {"actor": actor, "verb": {"id": VERB + verb}, "object": what}
    (statement_id,) = statements_store([statement], caller=caller)
    return statement_id


def _ids(params: dict, client=None) -> list[str]:
    return [
        item["id"] for item in selectors.statements_page(params, limit=50, ascending=True, client=client).statements
    ]


def test_an_erasure_cuts_the_chains_that_ran_through_what_it_erased():
    from tests.factories import UserFactory
    from tracking import identity
    from tracking.erasure import erase_statements

    ada = UserFactory(username="ada")
    bob = {"mbox": "mailto:bob@example.org"}
    attempted = _stored(bob, "attempted")
    ada_ref = _stored({"account": {"homePage": identity.homepage(), "name": identity.pseudonym(ada.pk)}},
                      "commented", attempted)  # fmt: skip
    bob_ref = _stored(bob, "commented", ada_ref)  # reaches bob's statement through ada's
    assert _ids({"verb": VERB + "attempted"}) == [attempted, ada_ref, bob_ref]
    erase_statements(ada, requested_by="the data subject", reason="account closed")
    # Bob's ref stays, but its chain ends where ada's statement was: it no longer reaches "attempted".
    assert _ids({"verb": VERB + "attempted"}) == [attempted]
    assert _ids({"verb": VERB + "commented"}) == [bob_ref]


def test_a_client_that_reads_its_own_statements_learns_nothing_of_others_through_a_ref():
    from tracking.models import StoreClient
    from tracking.store import clients
    from tracking.store.services import Caller

    mine, _secret = clients.client_create(name="mine", scopes=[StoreClient.WRITE, StoreClient.READ_MINE])
    other, _secret = clients.client_create(name="other", scopes=[StoreClient.WRITE, StoreClient.READ])
    hidden = _stored({"mbox": "mailto:ada@example.org"}, "attempted", caller=Caller(client=other))
    probe = _stored({"mbox": "mailto:eve@example.org"}, "commented", hidden, caller=Caller(client=mine))
    own = _stored({"mbox": "mailto:eve@example.org"}, "attempted", caller=Caller(client=mine))
    own_ref = _stored({"mbox": "mailto:eve@example.org"}, "commented", own, caller=Caller(client=mine))
    # Its own ref to its own statement matches through the chain; its ref to the other client's does not.
    assert _ids({"verb": VERB + "attempted"}, client=mine) == [own, own_ref]
    assert _ids({"agent": '{"mbox": "mailto:ada@example.org"}'}, client=mine) == []
    # A reader of everything sees both chains.
    assert _ids({"verb": VERB + "attempted"}, client=other) == [hidden, probe, own, own_ref]
