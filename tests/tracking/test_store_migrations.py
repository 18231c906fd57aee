"""The statement store's index migration keeps a live PostgreSQL store writable and searchable: CREATE/DROP
INDEX CONCURRENTLY there, outside a transaction, new indexes before old ones go; and it picks up where a run
that stopped half way left off (tracking/migrations/_concurrently.py). Run on SQLite and on PostgreSQL (the
README's test command runs the suite on both)."""

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)
TABLE = "panlearn_tracking_storedstatement"
BEFORE = ("panlearn_tracking", "0008_statement_attachments")
INDEXES = ("panlearn_tracking", "0009_statement_indexes_for_keyset_pages")
OLD = {"panlearn_tr_actor_k_3e7892_idx", "panlearn_tr_verb_4f61d8_idx", "panlearn_tr_object__7597f8_idx",
       "panlearn_tr_registr_7db1fa_idx"}  # fmt: skip
NEW = {"stored_by_actor", "stored_by_agent_object", "stored_by_verb", "stored_by_object", "stored_by_course",
       "stored_by_registration", "stored_refs"}  # fmt: skip


def _indexes() -> set[str]:
    with connection.cursor() as cursor:
        return set(connection.introspection.get_constraints(cursor, TABLE))


def _migrate(target) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(target)


def _latest() -> None:
    """Every app back at its latest migration, as the rest of the suite expects."""
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_the_index_migration_builds_concurrently_on_postgresql_new_indexes_first():
    sql = io.StringIO()
    call_command("sqlmigrate", *INDEXES, stdout=sql)
    statements = [line for line in sql.getvalue().splitlines() if line.startswith(("CREATE INDEX", "DROP INDEX"))]
    assert [line.split()[0] for line in statements] == ["CREATE"] * 7 + ["DROP"] * 4
    concurrent = [line for line in statements if "CONCURRENTLY" in line]
    assert concurrent == (statements if connection.vendor == "postgresql" else [])
    assert "BEGIN;" not in sql.getvalue()  # not atomic: PostgreSQL refuses CONCURRENTLY in a transaction


def test_the_index_migration_goes_back_and_forth():
    try:
        _migrate([BEFORE])
        assert _indexes() >= OLD and not NEW & _indexes()
        _migrate([INDEXES])
        assert _indexes() >= NEW and not OLD & _indexes()
    finally:
        _latest()


def test_a_run_that_stopped_half_way_picks_up_from_there():
    try:
        _migrate([BEFORE])
        with connection.cursor() as cursor:
            # Built by the run that stopped: one new index, and one old index already dropped.
            cursor.execute(f"CREATE INDEX stored_by_actor ON {TABLE} (actor_key, id)")
            cursor.execute("DROP INDEX panlearn_tr_verb_4f61d8_idx")
            if connection.vendor == "postgresql":
                # And a concurrent build that failed, which PostgreSQL leaves behind INVALID: here a unique
                # index that two rows break.
                now = timezone.now().isoformat()
                for _ in range(2):
                    cursor.execute(
                        f"INSERT INTO {TABLE} (statement_id, payload, actor_key, object_agent_key, related_agent_keys,"
                        " verb, object_iri, course_iri, timestamp, stored, voided, by_panlearn)"
                        " VALUES (gen_random_uuid(), '{}', 'a', '', '', 'v', '', '', %s, %s, false, true)",
                        [now, now],
                    )
                with pytest.raises(Exception, match="could not create unique index"):
                    cursor.execute(f"CREATE UNIQUE INDEX CONCURRENTLY stored_by_verb ON {TABLE} (verb)")
                cursor.execute("SELECT indisvalid FROM pg_index WHERE indexrelid = 'stored_by_verb'::regclass")
                assert cursor.fetchone() == (False,)
        _migrate([INDEXES])
        assert _indexes() >= NEW and not OLD & _indexes()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT indisvalid FROM pg_index WHERE indexrelid = 'stored_by_verb'::regclass")
                assert cursor.fetchone() == (True,)
    finally:
        _latest()


def test_the_chains_migration_builds_the_chains_of_the_statements_already_stored():
    import uuid

    from tracking.models import StatementRefTarget, StoredStatement

    chains = ("panlearn_tracking", "0010_statement_ref_targets")
    try:
        _migrate([INDEXES])  # before the chains: the statements of an earlier release
        now = timezone.now()
        ids = [uuid.uuid4() for _ in range(4)]
        for index, statement_id in enumerate(ids):  # 0 <- 1 <- 2 <- 3, and 3 also the first stored
            target = ids[index - 1] if index else None
            StoredStatement.objects.create(statement_id=statement_id, payload={"id": str(statement_id)},
                                           actor_key="mbox:mailto:ada@example.org", verb=f"verb{index}",
                                           target_id=target, timestamp=now, stored=now)  # fmt: skip
        _migrate([chains])
        reached = set(StatementRefTarget.objects.values_list("ref__statement_id", "target__statement_id", "depth"))
        assert reached == {(ids[1], ids[0], 1), (ids[2], ids[1], 1), (ids[2], ids[0], 2), (ids[3], ids[2], 1),
                           (ids[3], ids[1], 2), (ids[3], ids[0], 3)}  # fmt: skip
        assert StatementRefTarget.objects.get(ref__statement_id=ids[3], depth=3).verb == "verb0"
    finally:
        _latest()


def test_the_chains_migration_commits_a_batch_at_a_time():
    from importlib import import_module

    migration = import_module("tracking.migrations.0010_statement_ref_targets").Migration
    assert migration.atomic is False  # the store keeps taking statements while the chains are built
