"""Reads of the built-in store: the Statements resource's queries, and a base for dashboards.

Pages are keyset-paginated on the row id (the order statements were stored in), so a `more`
link stays right while new statements arrive.
"""

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.dateparse import parse_datetime

from .. import identity
from ..models import StatementAttachment, StatementRefTarget, StoreClient, StoredStatement

FILTERS = ("agent", "verb", "activity", "registration", "since", "until", "related_activities", "related_agents")


class QueryInvalid(Exception):
    """Answered 400."""


def active_statements() -> QuerySet[StoredStatement]:
    """Statements that count: voided ones are gone for every reader but voidedStatementId."""
    return StoredStatement.objects.filter(voided=False)


def reads_everything(client: StoreClient | None) -> bool:
    return client is None or client.may(StoreClient.READ) or client.may(StoreClient.ALL_READ)


def readable_by(client: StoreClient | None) -> QuerySet[StoredStatement]:
    """What a caller of the API may read: everything with statements/read or all/read (and the operator's
    credential, `client` None); with statements/read/mine only what it stored; otherwise nothing."""
    rows = StoredStatement.objects.all()
    if reads_everything(client):
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


def _refs_meeting(match: Q, rows: QuerySet, client: StoreClient | None, *, after: int | None, end: int | None,
                  limit: int, ascending: bool) -> list[int]:  # fmt: skip
    """The first limit + 1 row ids, in page order, of the refs in `rows` whose chain reaches a statement
    that meets `match` (Communication 2.1.3): an ordered index scan of the reached statements' columns
    (models.StatementRefTarget, kept by refs.py), each ref checked against `rows` as it comes. `end`, the
    page's last direct row when there are more: a ref past it is on a later page. A client that reads only
    its own statements is matched only through statements it may read: else a ref of its own to another
    client's statement would tell it that statement's actor, verb or activity."""
    reaching = StatementRefTarget.objects.filter(match).filter(Exists(rows.filter(pk=OuterRef("ref_id"))))
    if not reads_everything(client):
        reaching = reaching.filter(Exists(readable_by(client).filter(pk=OuterRef("target_id"))))
    if after is not None:
        reaching = reaching.filter(ref_id__gt=after) if ascending else reaching.filter(ref_id__lt=after)
    if end is not None:
        reaching = reaching.filter(ref_id__lt=end) if ascending else reaching.filter(ref_id__gt=end)
    ordered = reaching.order_by("ref_id" if ascending else "-ref_id").values_list("ref_id", flat=True)
    return list(ordered.distinct()[: limit + 1])


def _chunks(items: list, size: int = 500):
    """Id lists of at most 500: no query passes SQLite's limit on variables (999 in older builds)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass(frozen=True)
class Page:
    statements: list[dict]
    after: int | None  # the row id to continue from, when there is more
    pks: list[int] = field(default_factory=list)  # the rows', in the page's order


def statements_page(
    params: dict, *, limit: int, ascending: bool, after: int | None = None, client: StoreClient | None = None
) -> Page:
    """A page in stored order, continuing after the row `after` (keyset: no OFFSET). With filters, the page
    is the rows that meet them merged with the StatementRef rows whose chain reaches such a row: two
    ordered index scans of limit + 1 rows, whatever the size of the store."""
    rows = _base(params, client)
    if after is not None:
        rows = rows.filter(pk__gt=after) if ascending else rows.filter(pk__lt=after)
    order = "pk" if ascending else "-pk"
    match = _match(params)
    direct = rows if match is None else rows.filter(match)
    found = list(direct.order_by(order).values_list("pk", "payload")[: limit + 1])
    if match is not None:
        end = found[-1][0] if len(found) > limit else None
        on_page = {pk for pk, _ in found}
        refs = [pk for pk in _refs_meeting(match, rows, client, after=after, end=end, limit=limit,
                                           ascending=ascending) if pk not in on_page]  # fmt: skip
        for chunk in _chunks(refs):
            found += list(StoredStatement.objects.filter(pk__in=chunk).values_list("pk", "payload"))
        if refs:
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
