"""Filtered pages with StatementRefs (xAPI 1.0.3, Communication 2.1.3): whichever way the store finds the refs
that reach a matching statement (tracking/store/selectors.py), the pages walk the same statements, in order,
once each, and no query grows with the number of refs."""

import random
import sqlite3
import uuid

import pytest
from django.db import connection
from django.utils import timezone

from tracking.models import StoredStatement
from tracking.store import selectors

pytestmark = pytest.mark.django_db
VERB = "http://adlnet.gov/expapi/verbs/"


ACTORS = {"ada": "mbox:mailto:ada@example.org", "bob": "mbox:mailto:bob@example.org"}
FILTERS = {
    "verb": ({"verb": VERB + "attempted"}, lambda row: row.verb == VERB + "attempted"),
    # An actor's refs to their own statements both meet the filter and reach a statement that does.
    "agent": ({"agent": '{"mbox": "mailto:ada@example.org"}'}, lambda row: row.actor_key == ACTORS["ada"]),
}


def _row(verb: str, target: uuid.UUID | None = None, actor: str = "ada") -> StoredStatement:
    now, statement_id = timezone.now(), uuid.uuid4()
    payload = {"id": str(statement_id), "actor": {"mbox": f"mailto:{actor}@example.org"}, "verb": {"id": VERB + verb}}
    return StoredStatement(statement_id=statement_id, payload=payload, actor_key=ACTORS[actor], verb=VERB + verb,
                           target_id=target, timestamp=now, stored=now)  # fmt: skip


def _store(rows: list[StoredStatement]) -> None:
    StoredStatement.objects.bulk_create(rows, batch_size=500)


def _expected(meets, *, ascending: bool) -> list[str]:
    """By brute force: the live rows that meet the filter, or whose chain of targets (up to REF_DEPTH hops)
    reaches a row that does, voided or not, in stored order."""
    rows = {row.statement_id: row for row in StoredStatement.objects.all()}

    def reaches(row) -> bool:
        for _ in range(selectors.REF_DEPTH):
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


@pytest.fixture
def mixed_store():
    """Two actors' matching and other statements, refs to any of them (some in chains of two and three
    hops, some to statements never stored), and voided statements among all of these."""
    chooser = random.Random(7)
    ids: list[uuid.UUID] = []
    for index in range(160):
        roll, actor = chooser.random(), chooser.choice(list(ACTORS))
        if index < 5 or roll < 0.2:
            row = _row(chooser.choice(["attempted", "experienced"]), actor=actor)
        else:
            row = _row("commented", target=chooser.choice(ids) if roll < 0.95 else uuid.uuid4(), actor=actor)
        row.voided = chooser.random() < 0.1
        row.save()
        ids.append(row.statement_id)


@pytest.mark.parametrize("filter_name", list(FILTERS))
@pytest.mark.parametrize("way", ["from-the-matches", "window-small-batches", "chain-too-long", "window-mixed"])
def test_every_way_of_finding_refs_walks_the_same_pages(mixed_store, monkeypatch, way, filter_name):
    params, meets = FILTERS[filter_name]
    matching = [row.statement_id for row in StoredStatement.objects.all() if meets(row)]
    followed, chunk = {"from-the-matches": (2000, 500), "window-small-batches": (0, 3),
                       "chain-too-long": (len(matching), 4), "window-mixed": (5, 7)}[way]  # fmt: skip
    monkeypatch.setattr(selectors, "FOLLOWED", followed)
    monkeypatch.setattr(selectors, "CHUNK", chunk)
    if way == "chain-too-long":  # few matches, but more refs reach them than FOLLOWED: the window after all
        assert selectors._refs_reaching(matching) is None
    for ascending in (True, False):
        expected = _expected(meets, ascending=ascending)
        assert len(expected) > len([row for row in StoredStatement.objects.filter(voided=False) if meets(row)])
        for limit in (1, 2, 4, 9, 1000):
            assert _walk(params, limit=limit, ascending=ascending) == expected, (ascending, limit)


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


def test_a_window_with_more_refs_than_a_query_has_variables_is_answered(monkeypatch, sqlite_variable_limit):
    # 2,000 refs to unknown statements, each a different target, and the one matching statement older than
    # all of them: the page's window spans every ref. Read in batches, no query passes the limit (before,
    # one IN list held every target: a 500).
    monkeypatch.setattr(selectors, "FOLLOWED", 0)
    _store([_row("attempted")] + [_row("commented", target=uuid.uuid4()) for _ in range(2_000)])
    page = selectors.statements_page({"verb": VERB + "attempted"}, limit=10, ascending=False)
    assert len(page.statements) == 1 and page.after is None
