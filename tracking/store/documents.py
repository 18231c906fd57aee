"""xAPI's document resources (1.0.3, Communication 2.3 State, 2.6 Activity Profile, 2.7 Agent Profile).

A document is any bytes a client keeps under a key: for State the activity, the agent, an optional
registration and the stateId; for Activity Profile the activity and the profileId; for Agent Profile
the agent and the profileId. Without the id, a GET lists the ids (`since` narrows them) and a State
DELETE removes them all. A POST merges JSON objects (top-level properties, the new ones winning).

Concurrency (Communication 3.1): every write honours `If-Match` and `If-None-Match` (412 when they do
not hold). A PUT of a profile document must carry one of them: without, it is refused with 409 when
the document exists (two clients cannot overwrite each other unknowingly) and 400 when it does not.
"""

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from pydantic import TypeAdapter, ValidationError

from .. import identity
from ..models import XapiDocument
from ..xapi.models import IRI, Agent
from . import versions

STATE, ACTIVITY_PROFILE, AGENT_PROFILE = XapiDocument.STATE, XapiDocument.ACTIVITY_PROFILE, XapiDocument.AGENT_PROFILE


@dataclass(frozen=True)
class Resource:
    kind: str
    key_params: tuple[str, ...]  # besides the id: what names the document's owner
    id_param: str
    optional: tuple[str, ...] = ()
    concurrency_required: bool = False  # a PUT over an existing document needs If-Match or If-None-Match


RESOURCES = {
    STATE: Resource(STATE, ("activityId", "agent"), "stateId", optional=("registration",)),
    ACTIVITY_PROFILE: Resource(ACTIVITY_PROFILE, ("activityId",), "profileId", concurrency_required=True),
    AGENT_PROFILE: Resource(AGENT_PROFILE, ("agent",), "profileId", concurrency_required=True),
}


class DocumentRequestInvalid(Exception):
    """Answered 400."""


class DocumentConflict(Exception):
    """Answered 409."""


class PreconditionFailed(Exception):
    """Answered 412."""


class DocumentTooLarge(Exception):
    """Answered 413."""


def digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class Owner:
    """Whose documents a request is about. `registration` None (a State request that gives none) means
    every registration for a list or a clear, and no registration for one document."""

    kind: str
    activity_id: str = ""
    agent_key: str = ""
    registration: str | None = None

    @property
    def digest(self) -> str:
        return digest(self.kind, self.activity_id, self.agent_key)

    def key_digest(self, document_id: str) -> str:
        return digest(self.kind, self.activity_id, self.agent_key, self.registration or "", document_id)

    def documents(self):
        """Every document of the owner (of the registration, when one is given)."""
        documents = XapiDocument.objects.filter(owner_digest=self.digest)
        return documents if self.registration is None else documents.filter(registration=self.registration)

    def document(self, document_id: str):
        return XapiDocument.objects.filter(key_digest=self.key_digest(document_id))


_IRI = TypeAdapter(IRI)


def _agent_key(raw: str) -> str:
    try:
        agent = Agent.model_validate(json.loads(raw))
    except (ValueError, ValidationError, RecursionError) as error:
        raise DocumentRequestInvalid("agent must be an Agent object in JSON, with exactly one identifier") from error
    return identity.actor_key(agent.as_json())


def parse(resource: Resource, params: dict, *, method: str) -> tuple[Owner, str, datetime | None]:
    """The owner, the document id ("" when the request names none) and `since`, or DocumentRequestInvalid."""
    allowed = {*resource.key_params, *resource.optional, resource.id_param}
    if method == "GET":
        allowed.add("since")
    if unknown := set(params) - allowed:
        raise DocumentRequestInvalid(f"unknown parameters: {', '.join(sorted(unknown))}")
    if missing := [name for name in resource.key_params if not params.get(name)]:
        raise DocumentRequestInvalid(f"missing parameters: {', '.join(missing)}")
    document_id = params.get(resource.id_param, "")
    if not document_id and (method in ("PUT", "POST") or (method == "DELETE" and resource.kind != STATE)):
        raise DocumentRequestInvalid(f"{resource.id_param} is required")
    if document_id and "since" in params:
        raise DocumentRequestInvalid(f"since lists ids: it goes without {resource.id_param}")
    activity_id = params.get("activityId", "")
    if activity_id:
        try:
            _IRI.validate_python(activity_id)
        except ValidationError as error:
            raise DocumentRequestInvalid("activityId must be an IRI") from error
    registration = params.get("registration", "")
    if registration:
        try:
            registration = str(uuid.UUID(registration))
        except ValueError as error:
            raise DocumentRequestInvalid("registration must be a UUID") from error
    since = None
    if "since" in params:
        try:
            since = parse_datetime(params["since"])
        except ValueError:  # well-formed but impossible: month 13, offset +25:00
            since = None
        if since is None or since.tzinfo is None:
            raise DocumentRequestInvalid("since must be an ISO 8601 timestamp with a time zone")
    owner = Owner(
        kind=resource.kind,
        activity_id=activity_id,
        agent_key=_agent_key(params["agent"]) if "agent" in resource.key_params else "",
        registration=registration or None,
    )
    return owner, document_id, since


def etag_of(content: bytes) -> str:
    return '"' + hashlib.sha1(content, usedforsecurity=False).hexdigest() + '"'


def _tags(header: str) -> list[str]:
    """The entity tags of an If-Match or If-None-Match header; a weak tag compares as its strong form."""
    return [tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()]


def check_preconditions(existing: XapiDocument | None, *, if_match: str, if_none_match: str) -> None:
    if if_match and (existing is None or ("*" not in _tags(if_match) and existing.etag not in _tags(if_match))):
        raise PreconditionFailed("If-Match does not match the document")
    if (
        if_none_match
        and existing is not None
        and ("*" in _tags(if_none_match) or existing.etag in _tags(if_none_match))
    ):
        raise PreconditionFailed("If-None-Match matches the document")


def _json_object(content: bytes, what: str) -> dict:
    try:
        value = json.loads(content)
    except ValueError as error:
        raise DocumentRequestInvalid(f"{what} is not JSON: a POST merges JSON objects") from error
    if not isinstance(value, dict):
        raise DocumentRequestInvalid(f"{what} is not a JSON object: a POST merges JSON objects")
    return value


def _checked_content_type(content_type: str) -> str:
    content_type = content_type.strip() or "application/octet-stream"
    if len(content_type) > 255 or any(char in content_type for char in "\r\n\x00"):
        raise DocumentRequestInvalid("the Content-Type header is malformed")
    return content_type


def _is_json(content_type: str) -> bool:
    return content_type.split(";")[0].strip().lower() == "application/json"


@transaction.atomic
def document_store(
    resource: Resource,
    owner: Owner,
    document_id: str,
    *,
    content: bytes,
    content_type: str,
    merge: bool,
    if_match: str = "",
    if_none_match: str = "",
    xapi_version: str = versions.V1,
) -> XapiDocument:
    """PUT (`merge` False) or POST (`merge` True) one document. Under xAPI 2.0.0 a PUT over any existing
    document, a State's too, needs If-Match or If-None-Match (2.0.0 Communication 4.1.4)."""
    if len(content) > settings.PANLEARN_TRACKING_STORE_MAX_DOCUMENT_BYTES:
        raise DocumentTooLarge(
            f"a document may hold {settings.PANLEARN_TRACKING_STORE_MAX_DOCUMENT_BYTES} bytes at the most"
        )
    content_type = _checked_content_type(content_type)
    existing = owner.document(document_id).select_for_update().first()
    check_preconditions(existing, if_match=if_match, if_none_match=if_none_match)
    needs_header = resource.concurrency_required or (existing is not None and versions.is_v2(xapi_version))
    if not merge and needs_header and not (if_match or if_none_match):
        if existing is not None:
            raise DocumentConflict("this document exists: send If-Match with its ETag to replace it")
        # A client MUST send one of them (Communication 3.1): If-None-Match: * to create a document.
        raise DocumentRequestInvalid("a PUT of a profile needs If-Match or If-None-Match (* to create one)")
    if merge:
        if not _is_json(content_type):
            raise DocumentRequestInvalid("a POST merges JSON objects: send application/json")
        merged = _json_object(content, "the document sent")
        if existing is not None:
            if not _is_json(existing.content_type):
                raise DocumentRequestInvalid("the stored document is not JSON: a POST cannot merge into it")
            merged = {**_json_object(document_content(existing), "the stored document"), **merged}
        content, content_type = json.dumps(merged).encode(), "application/json"
    old_file = existing.content.name if existing is not None else ""
    document = existing or XapiDocument(
        kind=owner.kind,
        activity_id=owner.activity_id,
        agent_key=owner.agent_key,
        agent_digest=digest(owner.agent_key) if owner.agent_key else "",
        registration=owner.registration or "",
        document_id=document_id,
        owner_digest=owner.digest,
        key_digest=owner.key_digest(document_id),
    )
    document.content_type = content_type
    document.etag, document.size, document.updated = etag_of(content), len(content), timezone.now()
    storage = document.content.storage
    document.content.save(uuid.uuid4().hex, ContentFile(content), save=False)
    new_file = document.content.name
    try:
        with transaction.atomic():
            document.save()
    except IntegrityError as error:  # another request created the same document meanwhile
        storage.delete(new_file)
        raise DocumentConflict("another request stored this document at the same moment: try again") from error
    except Exception:
        storage.delete(new_file)
        raise
    if old_file:
        transaction.on_commit(lambda: storage.delete(old_file))
    return document


def document_get(owner: Owner, document_id: str) -> XapiDocument | None:
    return owner.document(document_id).first()


def document_content(document: XapiDocument) -> bytes:
    with document.content.open("rb") as stored:
        return stored.read()


def document_read(owner: Owner, document_id: str) -> tuple[XapiDocument, bytes] | None:
    """The document and its bytes; read again if a write replaced its file in between."""
    for _attempt in range(3):
        document = document_get(owner, document_id)
        if document is None:
            return None
        try:
            return document, document_content(document)
        except FileNotFoundError:
            continue
    return None


def document_ids(owner: Owner, *, since: datetime | None) -> list[str]:
    documents = owner.documents()
    if since is not None:
        documents = documents.filter(updated__gt=since)
    return list(documents.order_by("updated", "pk").values_list("document_id", flat=True))


@transaction.atomic
def documents_delete(owner: Owner, document_id: str, *, if_match: str = "", if_none_match: str = "") -> None:
    """Delete one document, or with no id (State only) every document of the owner."""
    documents = (owner.document(document_id) if document_id else owner.documents()).select_for_update()
    if document_id:
        check_preconditions(documents.first(), if_match=if_match, if_none_match=if_none_match)
    files = list(documents.values_list("content", flat=True))
    documents.delete()
    if files:
        storage = XapiDocument._meta.get_field("content").storage
        transaction.on_commit(lambda: [storage.delete(name) for name in files])
