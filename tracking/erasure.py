"""Erasing a user's learning records on request (GDPR), leaving an audit record.

What goes, in one transaction:

- the outbox rows recorded for the user (`OutboxStatement.user`), and, for an account deleted
  earlier (its rows' user is NULL), the rows whose actor is the user's pseudonym; with them every
  delivery row, sent or not: statements not yet sent are never sent;
- in the built-in store, every statement whose actor or object is the user (under the pseudonym,
  or under `mailto:` their email when PANLEARN_TRACKING_ACTOR was `mbox`), whoever sent it;
- the voiding statements of those statements (a trainer's override voids a student's grade with
  the trainer as actor): they belong to the student's record and point at statements that are gone.

What stays, and is counted in the record: statements where the user is only the instructor (a
trainer's grade override in a student's record) or the actor who voided someone else's statement.
They are the other student's record, they name the user only by pseudonym, and a statement cannot
be changed in place (xAPI statements are immutable; a changed copy would disagree with the copies
LRSs hold). The store is the authority of what it keeps, so `authority` never names a user.

External LRSs cannot be erased from here. The record lists the configured LRSs that received the
user's statements (and any a worker was sending at that moment), with the pseudonym to give them.

A worker may hold some of the user's statements in a batch it is sending while the erasure runs;
the record counts them (`in_flight`). One meant for the built-in store can land after the erasure:
erasing again after PANLEARN_TRACKING_LEASE_SECONDS removes it.
"""

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from . import identity
from .models import (
    BUILTIN_TARGET,
    Delivery,
    DeliveryStatus,
    ErasureRecord,
    OutboxStatement,
    StoredStatement,
    XapiDocument,
)
from .store import refs
from .store.documents import digest
from .xapi import vocabulary as v

CHUNK = 500  # ids per IN (...): well under SQLite's limit on query parameters
REDACTED = "[the data subject]"


@dataclass(frozen=True)
class Subject:
    """Whose statements: a user, or the id of an account deleted since (its pseudonym still works)."""

    user_id: int
    user: object | None
    pseudonym: str
    keys: frozenset[str]  # every actor key the user's statements may carry

    @classmethod
    def of(cls, user_or_id) -> "Subject":
        if isinstance(user_or_id, int):
            user = get_user_model().objects.filter(pk=user_or_id).first()
            user_id = user_or_id
        else:
            user, user_id = user_or_id, user_or_id.pk
        keys = identity.actor_keys(user_id, email=identity.confirmed_email_of(user) if user is not None else "")
        return cls(user_id=user_id, user=user, pseudonym=identity.pseudonym(user_id), keys=frozenset(keys))


@dataclass
class ErasurePlan:
    """What an erasure would remove, found without changing anything."""

    subject: Subject
    outbox_ids: list[int] = field(default_factory=list)
    stored_ids: list[int] = field(default_factory=list)
    document_ids: list[int] = field(default_factory=list)  # State and Agent Profile documents of the agent
    deliveries: Counter = field(default_factory=Counter)  # (target, "sent" | "unsent" | "in_flight") -> rows

    @property
    def counts(self) -> dict[str, int]:
        sent = sum(n for (_, kind), n in self.deliveries.items() if kind == "sent")
        return {
            "outbox_statements": len(self.outbox_ids),
            "deliveries_sent": sent,
            "deliveries_unsent": sum(self.deliveries.values()) - sent,
            "stored_statements": len(self.stored_ids),
            "documents": len(self.document_ids),
        }

    @property
    def in_flight(self) -> int:
        return sum(rows for (_, kind), rows in self.deliveries.items() if kind == "in_flight")

    @property
    def external_lrs(self) -> dict[str, dict[str, int]]:
        """Per external LRS: statements it received, and statements a worker was sending to it."""
        found: dict[str, dict[str, int]] = {}
        for (target, kind), rows in sorted(self.deliveries.items()):
            if target != BUILTIN_TARGET and kind in ("sent", "in_flight"):
                found.setdefault(target, {"received": 0, "in_flight": 0})["received" if kind == "sent" else kind] = rows
        return found


def _chunks(values: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _statement_refs(ids: Iterable) -> list[str]:
    """Statement ids as an outbox StatementRef's `object_iri` holds them (lower case, with hyphens)."""
    return [str(value).lower() for value in ids]


def erasure_plan(user_or_id) -> ErasurePlan:
    subject = Subject.of(user_or_id)
    plan = ErasurePlan(subject=subject)
    keys = list(subject.keys)
    orphaned = Q(user__isnull=True, actor_key__in=keys) & ~Q(verb=v.VOIDED)
    outbox = OutboxStatement.objects.filter(Q(user_id=subject.user_id) | orphaned) if subject.user else (
        OutboxStatement.objects.filter(orphaned))  # fmt: skip
    rows = dict(outbox.values_list("pk", "statement_id"))
    # The voids of those statements (a trainer's override, recorded before the account was deleted).
    refs = _statement_refs(rows.values())
    for chunk in _chunks(refs):
        voids = OutboxStatement.objects.filter(verb=v.VOIDED, object_iri__in=chunk)
        rows.update(voids.values_list("pk", "statement_id"))
    plan.outbox_ids = sorted(rows)
    agent_digests = [digest(key) for key in keys]
    plan.document_ids = sorted(XapiDocument.objects.filter(agent_digest__in=agent_digests).values_list("pk", flat=True))

    now = timezone.now()
    for chunk in _chunks(plan.outbox_ids):
        for target, status, lease_until in Delivery.objects.filter(statement_id__in=chunk).values_list(
            "target", "status", "lease_until"
        ):
            if status == DeliveryStatus.DELIVERED:
                kind = "sent"
            elif status == DeliveryStatus.PENDING and lease_until is not None and lease_until > now:
                kind = "in_flight"
            else:
                kind = "unsent"
            plan.deliveries[(target, kind)] += 1

    own = StoredStatement.objects.filter(Q(actor_key__in=keys) | Q(object_agent_key__in=keys)).exclude(verb=v.VOIDED)
    stored = dict(own.values_list("pk", "statement_id"))
    outbox_statements = list(rows.values())
    for chunk in _chunks(outbox_statements):
        stored.update(StoredStatement.objects.filter(statement_id__in=chunk).values_list("pk", "statement_id"))
    for chunk in _chunks(list(stored.values())):
        voids = StoredStatement.objects.filter(verb=v.VOIDED, target_id__in=chunk)
        stored.update(voids.values_list("pk", "statement_id"))
    plan.stored_ids = sorted(stored)
    return plan


def _kept(subject: Subject) -> dict[str, int]:
    """Statements of other people that still name the user: as instructor, or as the one who voided."""
    instructor = Q(payload__context__instructor__account__name=subject.pseudonym)
    mboxes = [key.removeprefix("mbox:") for key in subject.keys if key.startswith("mbox:")]
    for mbox in mboxes:
        instructor |= Q(payload__context__instructor__mbox=mbox)
    voider = Q(verb=v.VOIDED, actor_key__in=list(subject.keys))
    return {
        "kept_stored_as_instructor": StoredStatement.objects.filter(instructor).count(),
        "kept_stored_as_voider": StoredStatement.objects.filter(voider).count(),
        "kept_outbox_as_instructor": OutboxStatement.objects.filter(instructor).count(),
        "kept_outbox_as_voider": OutboxStatement.objects.filter(voider).count(),
    }


def _redact(text: str, user) -> str:
    """Keep the data subject's username, name and email out of the record, wherever they were typed."""
    if user is None:
        return text
    names = {getattr(user, attribute, "") for attribute in ("username", "email", "first_name", "last_name")}
    names.add(user.get_full_name() if hasattr(user, "get_full_name") else "")
    for name in sorted((n.strip() for n in names if n and len(n.strip()) >= 2), key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", REDACTED, text, flags=re.IGNORECASE)
    return text


def erase_statements(user, *, requested_by: str, reason: str, performed_by=None, via: str = "code") -> ErasureRecord:
    """Erase the learning records of `user` (a user, or the id of a deleted account) and return the
    audit record. `requested_by` says who asked (a role or a ticket); `performed_by` is the operator."""
    if not reason.strip():
        raise ValueError("an erasure needs a reason")
    with transaction.atomic():
        refs.chains_lock()  # a writer's turn (store/refs.py): no ref's chain is built through what goes here
        plan = erasure_plan(user)
        subject = plan.subject
        reaching = refs.refs_naming(plan.stored_ids)  # other refs' chains that end where these were
        for chunk in _chunks(plan.stored_ids):
            StoredStatement.objects.filter(pk__in=chunk).delete()
        refs.chains_after_erasure(reaching)
        for chunk in _chunks(plan.outbox_ids):
            Delivery.objects.filter(statement_id__in=chunk).delete()
            OutboxStatement.objects.filter(pk__in=chunk).delete()
        storage = XapiDocument._meta.get_field("content").storage
        for chunk in _chunks(plan.document_ids):
            documents = XapiDocument.objects.filter(pk__in=chunk)
            files = list(documents.values_list("content", flat=True))
            documents.delete()
            transaction.on_commit(lambda files=files: [storage.delete(name) for name in files])
        operator = getattr(performed_by, "get_username", lambda: "")() if performed_by is not None else ""
        if performed_by is not None and performed_by.pk == subject.user_id:
            performed_by, operator = None, REDACTED  # someone erasing their own records
        return ErasureRecord.objects.create(
            actor_pseudonym=subject.pseudonym,
            requested_by=_redact(requested_by.strip(), subject.user)[:255],
            reason=_redact(reason.strip(), subject.user),
            performed_by=performed_by if getattr(performed_by, "pk", None) else None,
            performed_by_label=operator[:150],
            performed_via=via[:16],
            counts={**plan.counts, **_kept(subject), "in_flight": plan.in_flight},
            external_lrs=plan.external_lrs,
        )
