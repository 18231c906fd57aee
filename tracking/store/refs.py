"""StatementRef chains, kept as rows (models.StatementRefTarget) so that a filter reaches the refs whose
targets meet it by an index, never by following chains at read time.

A ref's chain is its target, that statement's target if it is a ref too, and so on, REF_DEPTH hops at most
(the spec sets no depth; a cycle, possible with refs to statements not yet stored, ends there too). A chain
changes when a statement it names is stored later than the ref (a ref may target an unknown statement) and
when one is erased: `chains_update` and `chains_after_erasure` rebuild the chains concerned. Voiding
changes none: a filter looks at the target whether it is voided or not."""

import uuid
from collections.abc import Iterable

from django.db import connection, transaction

from ..models import StatementRefTarget, StoredStatement

REF_DEPTH = 4
# The longest id list one query carries (SQLite builds once allowed 999 variables).
CHUNK = 500
# PostgreSQL advisory lock that orders the transactions keeping chains (the bytes of "panl").
CHAINS_LOCK = 0x70616E6C
COLUMNS = ("actor_key", "object_agent_key", "related_agent_keys", "verb", "object_iri", "course_iri", "registration")


def _chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _refs_reaching(statement_ids: Iterable[uuid.UUID]) -> set[int]:
    """The stored refs whose chain names one of these statements: those targeting one, those targeting
    such a ref, and so on, REF_DEPTH hops back."""
    found, frontier = set(), list(set(statement_ids))
    for _ in range(REF_DEPTH):
        following = []
        for chunk in _chunks(frontier):
            for pk, statement_id in StoredStatement.objects.filter(target_id__in=chunk).values_list(
                "pk", "statement_id"
            ):
                if pk not in found:
                    found.add(pk)
                    following.append(statement_id)
        if not following:
            break
        frontier = following
    return found


def _models(apps):
    """The models as they are, or as a migration's `apps` has them (a migration must not use today's)."""
    if apps is None:
        return StoredStatement, StatementRefTarget
    return (apps.get_model("panlearn_tracking", "StoredStatement"),
            apps.get_model("panlearn_tracking", "StatementRefTarget"))  # fmt: skip


def chains_rebuild(ref_pks: Iterable[int], apps=None, columns: tuple[str, ...] = COLUMNS) -> int:
    """Build again the chains of these refs (statements whose object is a StatementRef) from the stored
    statements; returns the rows written. A migration passes its `apps` and the columns its models have."""
    statements, chains = _models(apps)
    written = 0
    for chunk in _chunks(sorted(set(ref_pks))):
        chains.objects.filter(ref_id__in=chunk).delete()
        # ref pk -> the statement id its chain goes on to
        following = dict(
            statements.objects.filter(pk__in=chunk, target_id__isnull=False).values_list("pk", "target_id")
        )
        rows, seen = [], set()
        for depth in range(1, REF_DEPTH + 1):
            if not following:
                break
            targets = {
                row["statement_id"]: row
                for row in statements.objects.filter(statement_id__in=set(following.values())).values(
                    "pk", "statement_id", "target_id", *columns
                )
            }
            going_on = {}
            for ref, statement_id in following.items():
                target = targets.get(statement_id)
                if target is None:  # not stored (yet): the chain ends here for now
                    continue
                if (ref, target["pk"]) not in seen:
                    seen.add((ref, target["pk"]))
                    copied = {column: target[column] for column in columns}
                    rows.append(chains(ref_id=ref, target_id=target["pk"], depth=depth, **copied))
                if target["target_id"] is not None:
                    going_on[ref] = target["target_id"]
            following = going_on
        chains.objects.bulk_create(rows, batch_size=CHUNK)
        written += len(rows)
    return written


def chains_lock() -> None:
    """The turn of a transaction that writes statements (or erases them), held to its end. Without it, two
    requests storing a ref and its target at the same moment would each miss the other's uncommitted row
    and build no chain; with it, the second reads after the first has committed. Taken before the writer
    reads or locks any row, so that the turn is the only thing writers wait for (no deadlock). It makes the
    store's writes one at a time, for the few milliseconds from the turn to the commit. (SQLite has one
    writer at a time anyway: nothing to do.)"""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAINS_LOCK])


def chains_update(statement_ids: Iterable[uuid.UUID]) -> None:
    """After these statements are stored, in the same transaction and its turn (chains_lock): the chains of
    the refs among them, and of the refs whose chain reaches one of them (cut there until now), are built
    again."""
    ids = list(statement_ids)
    chains_lock()  # the caller's already, as a rule (a transaction holds the lock once however often asked)
    own = set()
    for chunk in _chunks(ids):
        own.update(
            StoredStatement.objects.filter(statement_id__in=chunk, target_id__isnull=False).values_list("pk", flat=True)
        )
    affected = own | _refs_reaching(ids)
    if affected:
        chains_rebuild(affected)


def chains_after_erasure(ref_pks: Iterable[int]) -> None:
    """After an erasure (which took chains_lock before reading `refs_naming`): the surviving refs whose
    chains named an erased statement end where it was."""
    surviving = []
    for chunk in _chunks(sorted(set(ref_pks))):
        surviving += StoredStatement.objects.filter(pk__in=chunk).values_list("pk", flat=True)
    chains_rebuild(surviving)


def refs_naming(pks: list[int]) -> set[int]:
    """The refs whose chains name one of these statements (rows): what an erasure of them changes."""
    found = set()
    for chunk in _chunks(pks):
        found.update(StatementRefTarget.objects.filter(target_id__in=chunk).values_list("ref_id", flat=True))
    return found


def chains_rebuild_all(apps=None, columns: tuple[str, ...] = COLUMNS, batch: int = 5000) -> int:
    """Every ref's chain, from scratch: the migration that brings these rows, `manage.py tracking
    ref-chains` (for statements a server still running the code before it stored meanwhile), and the
    benchmark's seed. Each batch is a transaction of its own, in its turn (chains_lock), so the statement
    store goes on storing between batches (the migration is not atomic for that)."""
    statements, _chains = _models(apps)
    written, after = 0, 0
    while True:
        refs = list(
            statements.objects.filter(target_id__isnull=False, pk__gt=after)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch]
        )
        if not refs:
            return written
        with transaction.atomic():
            chains_lock()
            written += chains_rebuild(refs, apps, columns)
        after = refs[-1]
