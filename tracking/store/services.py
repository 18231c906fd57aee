"""Writes of the built-in store: validate, complete (id, stored, authority, version) and keep statements."""

import uuid
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from pydantic import ValidationError

from .. import identity
from ..models import StatementAttachment, StoreClient, StoredStatement
from ..xapi import vocabulary as v
from ..xapi.models import Statement
from . import refs, versions
from .attachments import AttachmentsInvalid, Part, matched_parts
from .signatures import check_signature


class StatementInvalid(Exception):
    """Answered 400: the statement breaks a data rule, or a batch repeats an id."""


class StatementConflict(Exception):
    """Answered 409: the id is taken by a different statement."""


def default_authority() -> dict:
    return {"objectType": "Agent", "account": {"homePage": identity.homepage(), "name": "panlearn"}}


class StatementForbidden(Exception):
    """Answered 403: the client's scopes do not allow it."""


@dataclass(frozen=True)
class Caller:
    """Who is writing through the API: a client of the store, or the operator's credential from the
    settings (client None), which has every scope but is not panlearn either."""

    client: StoreClient | None = None

    def may(self, scope: str) -> bool:
        return self.client is None or self.client.may(scope)

    def authority(self) -> dict:
        name = f"store-client:{self.client.key}" if self.client is not None else "store-operator"
        return {"objectType": "Agent", "account": {"homePage": identity.homepage(), "name": name}}


def _null_at(value, path: str = "statement") -> str | None:
    """Where a property is null: xAPI refuses null anywhere but inside extensions."""
    if value is None:
        return path
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        if key != "extensions" and (found := _null_at(item, f"{path}.{key}")):
            return found
    return None


def _complete(raw: dict, *, authority: dict, stored: str, version: str) -> dict:
    if null := _null_at(raw):
        raise StatementInvalid(f"{null} is null: leave a property out instead")
    try:
        statement = Statement.model_validate(raw, context={"xapi_version": version})
    except ValidationError as error:
        raise StatementInvalid(str(error)) from error
    payload = statement.as_json()
    payload.setdefault("id", str(uuid.uuid4()))
    payload["stored"] = stored
    payload.setdefault("timestamp", stored)
    payload["authority"] = authority
    payload.setdefault("version", versions.statement_default(version))
    return payload


def _same(existing: dict, payload: dict) -> bool:
    """Equal apart from what the store sets itself."""
    ignore = ("stored", "authority", "version", "timestamp")
    return {k: val for k, val in existing.items() if k not in ignore} == {
        k: val for k, val in payload.items() if k not in ignore
    }


def _course_iri(payload: dict) -> str:
    activities = (payload.get("context") or {}).get("contextActivities") or {}
    for kind in ("grouping", "parent"):
        if activities.get(kind):
            return activities[kind][0]["id"]
    target = payload["object"]
    return target["id"] if target.get("objectType", "Activity") == "Activity" else ""


def related_agent_keys(payload: dict) -> str:
    """The actor, an agent object, the authority, the instructor and team, and the same in a
    SubStatement: newline-framed, so that a filter looks for "\n<key>\n"."""
    keys = set()

    def collect(statement: dict) -> None:
        context = statement.get("context") or {}
        target = statement.get("object") or {}
        for agent in (
            statement.get("actor"),
            statement.get("authority"),
            context.get("instructor"),
            context.get("team"),
            target if target.get("objectType") in ("Agent", "Group") else None,
        ):
            if agent and (key := identity.actor_key(agent)):
                keys.add(key)
        if target.get("objectType") == "SubStatement":
            collect(target)

    collect(payload)
    return "\n" + "\n".join(sorted(keys)) + "\n" if keys else ""


def _row(payload: dict, caller: Caller | None) -> StoredStatement:
    target = payload["object"]
    kind = target.get("objectType", "Activity")
    registration = (payload.get("context") or {}).get("registration")
    return StoredStatement(
        statement_id=payload["id"],
        payload=payload,
        actor_key=identity.actor_key(payload["actor"]),
        object_agent_key=identity.actor_key(target) if kind in ("Agent", "Group") else "",
        related_agent_keys=related_agent_keys(payload),
        verb=payload["verb"]["id"],
        object_iri=target.get("id", "") if kind in ("Activity", "StatementRef") else "",
        target_id=uuid.UUID(target["id"]) if kind == "StatementRef" else None,
        course_iri=_course_iri(payload),
        registration=registration,
        timestamp=payload["timestamp"],
        stored=payload["stored"],
        client=caller.client if caller is not None else None,
        by_panlearn=caller is None,
    )


@transaction.atomic
def statements_store(
    raws: list[dict],
    *,
    caller: Caller | None,
    existing_ok: bool = False,
    parts: list[Part] = (),
    version: str = versions.V1,
) -> list[str]:
    """Keep a batch all or nothing. An id already stored is skipped when the statement is the
    same (a resend); a different one is a conflict, unless `existing_ok` (the outbox's own resends).
    `caller` None is panlearn itself; the authority of every statement is whoever stored it. `parts`
    are the data of the statements' attachments that came with the request (attachments.py); a
    signed statement's signature is checked against it (signatures.py). `version` is the request's
    (versions.py): 2.0.0 admits 2.0.0's properties."""
    if not isinstance(raws, list) or not all(isinstance(raw, dict) for raw in raws):
        raise StatementInvalid("expected a statement or a list of statements")
    if caller is not None and not caller.may(StoreClient.WRITE):
        raise StatementForbidden("this client may not write statements (scope statements/write)")
    stored = timezone.now().isoformat().replace("+00:00", "Z")
    authority = caller.authority() if caller is not None else default_authority()
    payloads = [_complete(raw, authority=authority, stored=stored, version=version) for raw in raws]
    try:
        by_hash = matched_parts(payloads, list(parts))
        for raw in raws:
            check_signature(raw, by_hash)
    except AttachmentsInvalid as error:
        raise StatementInvalid(str(error)) from error
    ids = [str(uuid.UUID(payload["id"])) for payload in payloads]
    if len(set(ids)) != len(ids):
        raise StatementInvalid("a batch repeats a statement id")
    # Writers of the store take turns from here to their commit (refs.chains_lock): before any row is read or
    # locked, so that no writer holds a row another waits for while it waits for the turn.
    refs.chains_lock()
    existing = {str(row.statement_id): row.payload for row in StoredStatement.objects.filter(statement_id__in=ids)}
    fresh = []
    for payload in payloads:
        earlier = existing.get(str(uuid.UUID(payload["id"])))
        if earlier is None:
            fresh.append(payload)
        elif not existing_ok and not _same(earlier, payload):
            raise StatementConflict(f"statement {payload['id']} already exists and differs")
    _check_voiding(fresh, caller)
    _void_targets(fresh)
    rows = [_row(payload, caller) for payload in fresh]
    # A voiding statement may have arrived before its target, or with it.
    keys = [uuid.UUID(str(row.statement_id)) for row in rows]
    already_voided = {row.target_id for row in rows if row.verb == v.VOIDED} | set(
        StoredStatement.objects.filter(verb=v.VOIDED, target_id__in=keys).values_list("target_id", flat=True)
    )
    for row, key in zip(rows, keys, strict=True):
        row.voided = key in already_voided and row.verb != v.VOIDED
    StoredStatement.objects.bulk_create(rows, ignore_conflicts=existing_ok)
    refs.chains_update(keys)
    if by_hash:
        _keep_attachment_data(fresh, by_hash)
    return ids


def _keep_attachment_data(payloads: list[dict], by_hash: dict[str, Part]) -> None:
    """A row per new statement and attachment sent with data. The data of one request is one file per
    SHA-2, named for this request: no other request ever writes, reuses or deletes it, so a file is gone
    exactly when its last row is (receivers.py). Data for statements that were already stored is not kept
    again. If the rows fail, the files this call wrote are deleted again; a failed commit after that leaves
    a file no row names."""
    wanted = {str(item["sha2"]).lower() for payload in payloads for item in payload.get("attachments") or ()} & set(
        by_hash
    )
    if not wanted:
        return
    storage = StatementAttachment._meta.get_field("content").storage
    batch = uuid.uuid4().hex
    names = {sha2: storage.save(f"attachments/{sha2}-{batch}", ContentFile(by_hash[sha2].data)) for sha2 in wanted}
    try:
        ids = [p["id"] for p in payloads]
        statements = dict(StoredStatement.objects.filter(statement_id__in=ids).values_list("statement_id", "pk"))
        rows = []
        for payload in payloads:
            for sha2 in {str(item["sha2"]).lower() for item in payload.get("attachments") or ()} & wanted:
                part = by_hash[sha2]
                content_type = " ".join(part.content_type.split())[:255]  # a header's value, kept on one line
                rows.append(StatementAttachment(statement_id=statements[uuid.UUID(payload["id"])], sha2=sha2,
                                                content_type=content_type, content=names[sha2],
                                                size=len(part.data)))  # fmt: skip
        StatementAttachment.objects.bulk_create(rows)
    except BaseException:
        for name in names.values():
            storage.delete(name)
        raise


def _check_voiding(payloads: list[dict], caller: Caller | None) -> None:
    """A client voids only what it stored itself: panlearn's statements are voided by panlearn."""
    if caller is None:
        return
    targets = [p["object"]["id"] for p in payloads if p["verb"]["id"] == v.VOIDED]
    others = StoredStatement.objects.filter(statement_id__in=targets)
    if caller.client is not None:
        others = others.exclude(by_panlearn=False, client=caller.client)
    else:  # the operator's credential: anything but panlearn's own
        others = others.filter(by_panlearn=True)
    if others.exists():
        raise StatementForbidden("a client may void only the statements it stored")


def _void_targets(payloads: list[dict]) -> None:
    """A voiding statement voids its target. One that targets a voiding statement is kept but
    ignored, as the spec asks of an LRS that accepts it (Data 2.3.2): voiding is not undone."""
    targets = [p["object"]["id"] for p in payloads if p["verb"]["id"] == v.VOIDED]
    if targets:
        StoredStatement.objects.filter(statement_id__in=targets).exclude(verb=v.VOIDED).update(voided=True)
