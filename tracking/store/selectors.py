"""Reads of the built-in store: the Statements resource's queries, and a base for dashboards.

Pages are keyset-paginated on the row id (the order statements were stored in), so a `more`
link stays right while new statements arrive.
"""

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_datetime

from .. import identity
from ..models import StatementAttachment, StoreClient, StoredStatement

FILTERS = ("agent", "verb", "activity", "registration", "since", "until", "related_activities", "related_agents")


class QueryInvalid(Exception):
    """Answered 400."""


def active_statements() -> QuerySet[StoredStatement]:
    """Statements that count: voided ones are gone for every reader but voidedStatementId."""
    return StoredStatement.objects.filter(voided=False)


def readable_by(client: StoreClient | None) -> QuerySet[StoredStatement]:
    """What a caller of the API may read: everything with statements/read or all/read (and the operator's
    credential, `client` None); with statements/read/mine only what it stored; otherwise nothing."""
    rows = StoredStatement.objects.all()
    if client is None or client.may(StoreClient.READ) or client.may(StoreClient.ALL_READ):
        return rows
    if client.may(StoreClient.READ_MINE):
        return rows.filter(client=client)
    return rows.none()


def statement_by_id(statement_id: str, *, voided: bool, client: StoreClient | None = None) -> StoredStatement | None:
    try:
        key = uuid.UUID(statement_id)
    except ValueError as error:
        raise QueryInvalid("not a statement id") from error
    return readable_by(client).filter(statement_id=key, voided=voided).first()


def _timestamp(value: str) -> datetime:
    parsed = parse_datetime(value)
    if parsed is None or parsed.tzinfo is None:
        raise QueryInvalid(f"{value!r} is not an ISO 8601 timestamp with a time zone")
    return parsed


def boolean_param(value: str | None) -> bool:
    if value in (None, "false"):
        return False
    if value == "true":
        return True
    raise QueryInvalid("expected true or false")


# How far a chain of statements targeting statements is followed (a -> b -> c, where c matches).
REF_DEPTH = 4
# Up to this many statements meeting a filter, the refs reaching them are found from their side.
FOLLOWED = 2000
# The longest id list one query carries (SQLite allows 32766 variables; PostgreSQL plans short lists better).
CHUNK = 500


def _match(params: dict) -> Q | None:
    """The filters that are not about time or sequence (agent, verb, activity, registration), with
    related_agents and related_activities widening agent and activity."""
    match = Q()
    if "agent" in params:
        try:
            key = identity.actor_key(json.loads(params["agent"]))
        except (ValueError, AttributeError) as error:
            raise QueryInvalid("agent must be an Agent or Group as JSON") from error
        if not key:
            raise QueryInvalid("agent needs an identifier")
        if boolean_param(params.get("related_agents")):
            match &= Q(related_agent_keys__contains=f"\n{key}\n")
        else:
            # The second term restates the object index's condition, so that SQLite's planner may use it.
            match &= Q(actor_key=key) | (Q(object_agent_key=key) & ~Q(object_agent_key=""))
    if "verb" in params:
        match &= Q(verb=params["verb"])
    if "activity" in params:
        activity = Q(object_iri=params["activity"])
        if boolean_param(params.get("related_activities")):
            activity |= Q(course_iri=params["activity"])
        match &= activity
    if "registration" in params:
        try:
            match &= Q(registration=uuid.UUID(params["registration"]))
        except ValueError as error:
            raise QueryInvalid("registration must be a UUID") from error
    return match or None


def _base(params: dict, client: StoreClient | None) -> QuerySet[StoredStatement]:
    """What the caller may read, not voided, within since and until: the rows a page is made of."""
    rows = readable_by(client).filter(voided=False)
    if "since" in params:
        rows = rows.filter(stored__gt=_timestamp(params["since"]))
    if "until" in params:
        rows = rows.filter(stored__lte=_timestamp(params["until"]))
    return rows


def _chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _refs_reaching(statement_ids: list) -> set[int] | None:
    """The StatementRef rows that target one of these statements, or target one that does, and so on down
    the chain: followed from the targets' side, a hop at a time (the target_id index). None when the chain
    holds more than FOLLOWED rows: then the page's window is the cheaper way (_window_hits)."""
    hits, reached = set(), statement_ids
    for _ in range(REF_DEPTH):
        refs = []
        for chunk in _chunks(reached):
            room = FOLLOWED + 1 - len(hits) - len(refs)
            refs += StoredStatement.objects.filter(target_id__in=chunk).values_list("pk", "statement_id")[:room]
            if len(hits) + len(refs) > FOLLOWED:
                return None
        reached = [statement_id for pk, statement_id in refs if pk not in hits]
        hits.update(pk for pk, _ in refs)
        if not reached:
            break
    return hits


def _targeting_hits(refs: list[tuple[int, uuid.UUID]], match: Q) -> set[int]:
    """Of these StatementRef rows (pk, target), those whose target meets `match`, or targets one that does,
    and so on down the chain (Communication 2.1.3, "Filter Conditions for StatementRefs"): followed from
    the refs' side, a hop at a time, each hop one lookup by statement id."""
    hits, frontier = set(), {}
    for pk, target in refs:
        frontier.setdefault(target, []).append(pk)
    for _ in range(REF_DEPTH):
        if not frontier:
            break
        targets = StoredStatement.objects.filter(statement_id__in=list(frontier))
        for statement_id in targets.filter(match).values_list("statement_id", flat=True):
            hits.update(frontier.pop(statement_id))
        following = {}
        for statement_id, target in targets.filter(target_id__isnull=False).values_list("statement_id", "target_id"):
            if statement_id in frontier:
                following.setdefault(target, []).extend(frontier[statement_id])
        frontier = following
    return hits


def _window_hits(rows: QuerySet, match: Q, found: list, *, limit: int, ascending: bool) -> set[int]:
    """The StatementRef rows of `rows` that reach a statement meeting `match`, looked for in page order a
    batch at a time, only between the page's start and its last direct row (`found`, limit + 1 rows when
    there are more), and no further once the page is full: memory and each query stay bounded however
    many refs the window holds."""
    window = rows.filter(target_id__isnull=False)
    before = (lambda pk, end: pk < end) if ascending else (lambda pk, end: pk > end)
    if len(found) > limit:  # a ref beyond the last direct row of the page would not be on it
        end = found[-1][0]
        window = window.filter(pk__lt=end) if ascending else window.filter(pk__gt=end)
    window = window.order_by("pk" if ascending else "-pk")
    hits, cursor = set(), None
    while True:
        batch = window if cursor is None else window.filter(**{"pk__gt" if ascending else "pk__lt": cursor})
        refs = list(batch.values_list("pk", "target_id")[:CHUNK])
        hits |= _targeting_hits(refs, match)
        if len(refs) < CHUNK:
            return hits
        cursor = refs[-1][0]
        # Every row up to the cursor is known now: the direct ones are in `found`, the refs in `hits` (a ref
        # may be both: counted once).
        if len({pk for pk, _ in found if not before(cursor, pk)} | hits) > limit:
            return hits


def _rows_of(rows: QuerySet, pks: set[int], *, limit: int, ascending: bool) -> list[tuple[int, dict]]:
    """The first limit + 1 of these rows that are in `rows` (readable, not voided, in time), in page order:
    fetched a batch at a time, so that many refs never mean one huge query."""
    order = "pk" if ascending else "-pk"
    kept = []
    for chunk in _chunks(sorted(pks, reverse=not ascending)):
        kept += rows.filter(pk__in=chunk).order_by(order).values_list("pk", "payload")
        if len(kept) > limit:
            break
    return kept[: limit + 1]


@dataclass(frozen=True)
class Page:
    statements: list[dict]
    after: int | None  # the row id to continue from, when there is more
    pks: list[int] = field(default_factory=list)  # the rows', in the page's order


def statements_page(
    params: dict, *, limit: int, ascending: bool, after: int | None = None, client: StoreClient | None = None
) -> Page:
    """A page in stored order, continuing after the row `after` (keyset: no OFFSET). With filters, the page
    is the rows that meet them (one ordered index scan) merged with the StatementRef rows that reach such a
    row: followed from the matching statements when they and their refs are few, else looked for between
    the page's ends, where they could still belong to it (docs/operator.md says what that costs). Every
    query's id list is at most CHUNK long."""
    rows = _base(params, client)
    if after is not None:
        rows = rows.filter(pk__gt=after) if ascending else rows.filter(pk__lt=after)
    order = "pk" if ascending else "-pk"
    match = _match(params)
    direct = rows if match is None else rows.filter(match)
    found = list(direct.order_by(order).values_list("pk", "payload")[: limit + 1])
    if match is not None:
        matching = list(StoredStatement.objects.filter(match).values_list("statement_id", flat=True)[: FOLLOWED + 1])
        hits = _refs_reaching(matching) if len(matching) <= FOLLOWED else None
        if hits is None:
            hits = _window_hits(rows, match, found, limit=limit, ascending=ascending)
        hits -= {pk for pk, _ in found}
        if len(found) > limit:  # past the last direct row a ref is on a later page
            end = found[-1][0]
            hits = {pk for pk in hits if (pk < end if ascending else pk > end)}
        if hits:
            found += _rows_of(rows, hits, limit=limit, ascending=ascending)
            found.sort(key=lambda row: row[0], reverse=not ascending)
            found = found[: limit + 1]
    more = len(found) > limit
    found = found[:limit]
    return Page(statements=[payload for _, payload in found], after=found[-1][0] if more else None,
                pks=[pk for pk, _ in found])  # fmt: skip


def within_attachment_budget(page: Page, budget: int) -> Page:
    """The page cut where its statements' attachment data would pass `budget` bytes (at least one statement
    stays), its `more` link then continuing after the last one kept: a GET with attachments=true never
    gathers more than that in memory."""
    ids = [payload["id"] for payload in page.statements if payload.get("attachments")]
    sizes = {}
    for statement_id, sha2, size in StatementAttachment.objects.filter(statement__statement_id__in=ids).values_list(
        "statement__statement_id", "sha2", "size"
    ):
        sizes.setdefault(str(statement_id), {})[sha2] = size
    total, seen = 0, set()
    for index, payload in enumerate(page.statements):
        data = {sha2: size for sha2, size in sizes.get(str(uuid.UUID(payload["id"])), {}).items() if sha2 not in seen}
        if index and total + sum(data.values()) > budget:
            return Page(statements=page.statements[:index], after=page.pks[index - 1], pks=page.pks[:index])
        total += sum(data.values())
        seen |= set(data)
    return page


def attachment_data(payloads: list[dict]) -> list[tuple[str, str, bytes]]:
    """(sha2, content type, data) of every attachment of these statements whose data the store keeps, each
    distinct data once: what a GET with attachments=true sends after the statements."""
    ids = [payload["id"] for payload in payloads if payload.get("attachments")]
    if not ids:
        return []
    wanted = {str(item["sha2"]).lower() for payload in payloads for item in payload.get("attachments") or ()}
    found, seen = [], set()
    rows = StatementAttachment.objects.filter(statement__statement_id__in=ids, sha2__in=wanted).order_by("pk")
    for row in rows:
        if row.sha2 in seen:
            continue
        seen.add(row.sha2)
        with row.content.open("rb") as stream:
            found.append((row.sha2, row.content_type, stream.read()))
    return found
