"""The outbox's hot path: an event's statements and their deliveries in one INSERT each.

Statements are written inside the learner's request (a quiz submit, a lesson marked done), where
`bulk_create` spent about three times the database's own work in Python: model instances,
query compilation, per-value preparation through the ORM. These inserts are built directly from
the models' fields (the same column list, defaults and value preparation). The SQL (`ON
CONFLICT`, `RETURNING`) is the same on the two databases panlearn runs on, PostgreSQL and
SQLite >= 3.35.
"""

import uuid
from collections.abc import Iterable

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model

from .models import Delivery, OutboxStatement

# Rows per INSERT: far below SQLite's 32,766 and PostgreSQL's 65,535 parameters.
CHUNK = 500


def _insert(model: type[Model], rows: list[dict], *, conflict: str, returning: tuple[str, ...] = ()) -> list:
    """INSERT rows (dicts by attname, all with the same keys; a field a row leaves out takes its
    default, prepared once for the call) with a conflict clause, returning the given columns."""
    conn = connections[DEFAULT_DB_ALIAS]  # the proxy would resolve the connection on every value
    quote = conn.ops.quote_name
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    defaults = {f.attname: f.get_db_prep_save(f.get_default(), conn) for f in fields if f.attname not in rows[0]}
    columns = ", ".join(quote(field.column) for field in fields)
    one_row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    tail = f" {conflict}" + (" RETURNING " + ", ".join(map(quote, returning)) if returning else "")
    returned = []
    with conn.cursor() as cursor:
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            params = [
                defaults[field.attname]
                if field.attname in defaults
                else field.get_db_prep_save(row[field.attname], conn)
                for row in chunk
                for field in fields
            ]
            sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES {', '.join([one_row] * len(chunk))}"
            cursor.execute(sql + tail, params)
            if returning:
                returned.extend(cursor.fetchall())
    return returned


def statements_insert(rows: list[dict]) -> dict[uuid.UUID, int]:
    """Insert outbox rows; an id already there keeps its row. Returns every row's pk by statement id.

    The upsert changes nothing (statement_id = itself): it is there so that a known id returns its
    pk too, in the same statement, instead of a look-up before the insert."""
    quoted = connections[DEFAULT_DB_ALIAS].ops.quote_name("statement_id")
    returned = _insert(
        OutboxStatement,
        rows,
        conflict=f"ON CONFLICT ({quoted}) DO UPDATE SET {quoted} = excluded.{quoted}",
        returning=("id", "statement_id"),
    )
    # SQLite gives the UUID as 32 hex digits, PostgreSQL as a UUID; RETURNING's order is not promised.
    return {uuid.UUID(str(statement_id)): pk for pk, statement_id in returned}


def deliveries_insert(pairs: Iterable[tuple[int, str, str]]) -> None:
    """One pending delivery per (statement pk, target, actor key); one that exists stays as it is."""
    rows = [{"statement_id": pk, "target": target, "actor_key": actor} for pk, target, actor in pairs]
    if rows:
        _insert(Delivery, rows, conflict="ON CONFLICT DO NOTHING")
