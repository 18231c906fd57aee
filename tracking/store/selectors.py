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
            match &= Q(actor_key=key) | Q(object_agent_key=key)
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


def _with_targeting(match: Q) -> Q:
    """A statement whose object is a StatementRef meets the filters when the statement it targets
    does, voided or not, and so on down a chain (Communication 2.1.3, "Filter Conditions for
    StatementRefs"); since, until and limit still apply to the targeting statement itself."""
    reached = match
    for _ in range(REF_DEPTH):
        reached = match | Q(target_id__in=StoredStatement.objects.filter(reached).values("statement_id"))
    return reached


def _filtered(params: dict, client: StoreClient | None) -> QuerySet[StoredStatement]:
    rows = readable_by(client).filter(voided=False)
    if (match := _match(params)) is not None:
        rows = rows.filter(_with_targeting(match))
    if "since" in params:
        rows = rows.filter(stored__gt=_timestamp(params["since"]))
    if "until" in params:
        rows = rows.filter(stored__lte=_timestamp(params["until"]))
    return rows


@dataclass(frozen=True)
class Page:
    statements: list[dict]
    after: int | None  # the row id to continue from, when there is more
    pks: list[int] = field(default_factory=list)  # the rows', in the page's order


def statements_page(
    params: dict, *, limit: int, ascending: bool, after: int | None = None, client: StoreClient | None = None
) -> Page:
    rows = _filtered(params, client)
    if after is not None:
        rows = rows.filter(pk__gt=after) if ascending else rows.filter(pk__lt=after)
    rows = rows.order_by("pk" if ascending else "-pk").values_list("pk", "payload")[: limit + 1]
    found = list(rows)
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
