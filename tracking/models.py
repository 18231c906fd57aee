"""The outbox (statements waiting for each target) and the built-in statement store."""

from django.conf import settings
from django.db import models
from django.utils import timezone

BUILTIN_TARGET = "builtin"


class OutboxStatement(models.Model):
    """A statement as built when its event happened; written in the event's transaction."""

    statement_id = models.UUIDField(unique=True)
    payload = models.JSONField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    actor_key = models.CharField(max_length=255)
    verb = models.CharField(max_length=255)
    object_iri = models.CharField(max_length=500)
    # A grade statement replaced by a trainer's override is voided once, not again by a second override.
    voided = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["actor_key", "object_iri", "verb"])]

    def __str__(self) -> str:
        return f"{self.verb.rsplit('/', 1)[-1]} {self.object_iri} ({self.statement_id})"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    DELIVERED = "delivered", "Delivered"
    DEAD = "dead", "Dead letter (gave up)"


class Delivery(models.Model):
    """One statement for one target (an external LRS or the built-in store).

    A worker claims rows by writing its `lease_owner` and `lease_until`; a worker that dies leaves
    rows whose lease runs out, and the next worker sends them again (the LRS keeps one copy by id).
    """

    # No index of its own: the unique (statement, target) constraint serves look-ups by statement, and
    # every index is one more write when an event records its statements.
    statement = models.ForeignKey(OutboxStatement, on_delete=models.CASCADE, related_name="deliveries", db_index=False)
    target = models.CharField(max_length=64)
    actor_key = models.CharField(max_length=255, help_text="Copied from the statement: order is kept per actor.")
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    available_at = models.DateTimeField(default=timezone.now)
    lease_owner = models.CharField(max_length=32, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        constraints = [models.UniqueConstraint(fields=["statement", "target"], name="one_delivery_per_target")]
        indexes = [
            models.Index(fields=["target", "status", "available_at"]),
            models.Index(fields=["target", "status", "actor_key"]),
        ]

    def __str__(self) -> str:
        return f"{self.statement.statement_id} → {self.target}: {self.status}"


class StoreClient(models.Model):
    """A client of the built-in statement store, with its own credential and scopes (the xAPI scopes of
    Communication 4.2, used with HTTP basic auth: the key is the user name). The secret is kept hashed
    (SHA-256: it is a random 256-bit token, not a password, and every request checks it). The client is
    the authority of what it stores, so its statements never pass for panlearn's own."""

    WRITE, READ, READ_MINE, ALL_READ, DEFINE, STATE, PROFILE = (
        "statements/write", "statements/read", "statements/read/mine", "all/read", "define", "state", "profile"
    )  # fmt: skip
    SCOPES = [
        (WRITE, "write statements"),
        (READ, "read every statement"),
        (READ_MINE, "read the statements it stored"),
        (ALL_READ, "read everything"),
        (DEFINE, "define activities (the Activities resource shows only definitions from such clients)"),
        (STATE, "read and write State documents"),
        (PROFILE, "read and write Activity and Agent Profile documents"),
    ]

    name = models.CharField(max_length=100, unique=True, help_text="Who uses it, e.g. “Facility LMS”.")
    key = models.CharField(max_length=40, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "statement store client"

    def __str__(self) -> str:
        return self.name

    def may(self, scope: str) -> bool:
        return scope in self.scopes


class StoredStatement(models.Model):
    """A statement in the built-in LRS. The columns are what the Statements resource filters on
    and what the dashboards group by; `payload` is the statement as returned."""

    statement_id = models.UUIDField(unique=True)
    payload = models.JSONField()
    actor_key = models.CharField(max_length=255)
    object_agent_key = models.CharField(max_length=255, blank=True)
    # Every agent the statement names (actor, object, authority, instructor, team, and those of a
    # SubStatement), one per line and framed by newlines: the `related_agents=true` filter.
    related_agent_keys = models.TextField(blank=True)
    verb = models.CharField(max_length=500)
    object_iri = models.CharField(max_length=500, blank=True, help_text="An Activity's id, or a StatementRef's.")
    target_id = models.UUIDField(null=True, blank=True, help_text="The statement a StatementRef object targets.")
    # The outermost activity: contextActivities grouping, else parent, else the object. Our statements
    # put the course there, so a dashboard reads a course's statements from one index.
    course_iri = models.CharField(max_length=500, blank=True)
    registration = models.UUIDField(null=True, blank=True)
    timestamp = models.DateTimeField()
    stored = models.DateTimeField()
    voided = models.BooleanField(default=False)
    # Who stored it: panlearn itself (no client: the outbox), or a client of the store's API. Dashboards
    # and passes count panlearn's own only: a client could otherwise forge completions.
    client = models.ForeignKey(StoreClient, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    by_panlearn = models.BooleanField(default=True)

    class Meta:
        # Pages of the Statements resource go in row order (keyset on the id): a filter with the id after it
        # is one ordered index scan, whatever the size of the store. (course_iri, verb): the dashboards.
        indexes = [
            models.Index(fields=["actor_key", "id"], name="stored_by_actor"),
            models.Index(
                fields=["object_agent_key", "id"],
                name="stored_by_agent_object",
                condition=~models.Q(object_agent_key=""),
            ),
            models.Index(fields=["verb", "id"], name="stored_by_verb"),
            models.Index(fields=["object_iri", "id"], name="stored_by_object"),
            models.Index(fields=["course_iri", "id"], name="stored_by_course"),
            models.Index(fields=["course_iri", "verb"]),
            models.Index(fields=["registration", "id"], name="stored_by_registration"),
            models.Index(fields=["stored"]),
            models.Index(fields=["target_id"]),
            # The StatementRefs, which a filter follows to their targets (selectors.statements_page).
            models.Index(fields=["id"], name="stored_refs", condition=models.Q(target_id__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.verb.rsplit('/', 1)[-1]} {self.object_iri} ({self.statement_id})"


class StatementRefTarget(models.Model):
    """A statement that a StatementRef statement reaches: its target, or its target's target, and so on down
    to store.refs.REF_DEPTH hops, with the reached statement's filter columns. A filter that the reached
    statement meets takes in the ref too (xAPI 1.0.3, Communication 2.1.3): with these rows, that is one
    ordered index scan, as for the statements that meet it directly. Kept by store.refs when statements are
    stored or erased."""

    ref = models.ForeignKey(StoredStatement, on_delete=models.CASCADE, related_name="+")
    target = models.ForeignKey(StoredStatement, on_delete=models.CASCADE, related_name="+")
    depth = models.PositiveSmallIntegerField()
    # The target's filter columns, as on StoredStatement (the same names: a filter's Q works on both).
    actor_key = models.CharField(max_length=255)
    object_agent_key = models.CharField(max_length=255, blank=True)
    related_agent_keys = models.TextField(blank=True)
    verb = models.CharField(max_length=500)
    object_iri = models.CharField(max_length=500, blank=True)
    course_iri = models.CharField(max_length=500, blank=True)
    registration = models.UUIDField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ref", "target"], name="one_row_per_ref_and_target")]
        indexes = [
            models.Index(fields=["actor_key", "ref"], name="ref_target_by_actor"),
            models.Index(
                fields=["object_agent_key", "ref"],
                name="ref_target_by_agent_object",
                condition=~models.Q(object_agent_key=""),
            ),
            models.Index(fields=["verb", "ref"], name="ref_target_by_verb"),
            models.Index(fields=["object_iri", "ref"], name="ref_target_by_object"),
            models.Index(fields=["course_iri", "ref"], name="ref_target_by_course"),
            models.Index(fields=["registration", "ref"], name="ref_target_by_registration"),
        ]

    def __str__(self) -> str:
        return f"{self.ref_id} reaches {self.target_id} ({self.depth} hops)"


class ErasureRecord(models.Model):
    """What an erasure (GDPR) removed, kept as the audit record. It names the data subject only by
    pseudonym: never their username, name or email (see tracking/erasure.py)."""

    actor_pseudonym = models.CharField(max_length=64, help_text="The account name the statements carried.")
    requested_by = models.CharField(max_length=255, help_text="Who asked: a role or a ticket.")
    reason = models.TextField()
    performed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")  # fmt: skip
    performed_by_label = models.CharField(max_length=150, help_text="The operator's username.")
    performed_via = models.CharField(max_length=16, help_text="admin or command")
    performed_at = models.DateTimeField(default=timezone.now)
    counts = models.JSONField(default=dict, help_text="Rows removed (or kept) per table.")
    external_lrs = models.JSONField(default=dict, help_text="External LRSs that had received statements: ask them.")

    class Meta:
        ordering = ["-performed_at"]

    def __str__(self) -> str:
        return f"erasure of {self.actor_pseudonym} on {self.performed_at:%Y-%m-%d %H:%M}"


def xapi_document_storage():
    """The private storage of the LRS's documents (settings: STORAGES["xapi_documents"]), never MEDIA_ROOT."""
    from django.core.files.storage import storages

    return storages["xapi_documents"]


class XapiDocument(models.Model):
    """A document of xAPI's State, Activity Profile or Agent Profile resource (Communication 2.3, 2.6,
    2.7): whatever bytes the client stored, kept in a private storage, with their content type and ETag.
    The key columns a resource does not use are empty. Lookups go through digests of the key, so that
    an IRI or id of any length never meets an index's size limit."""

    STATE, ACTIVITY_PROFILE, AGENT_PROFILE = "state", "activity_profile", "agent_profile"
    KINDS = [(STATE, "State"), (ACTIVITY_PROFILE, "Activity Profile"), (AGENT_PROFILE, "Agent Profile")]

    kind = models.CharField(max_length=20, choices=KINDS)
    activity_id = models.TextField(blank=True)
    agent_key = models.TextField(blank=True)
    registration = models.CharField(max_length=36, blank=True)
    document_id = models.TextField()
    agent_digest = models.CharField(max_length=64, blank=True, help_text="SHA-256 of the agent key (erasure).")
    owner_digest = models.CharField(max_length=64, help_text="SHA-256 of the kind, activity and agent.")
    key_digest = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the whole key.")
    content = models.FileField(storage=xapi_document_storage, max_length=200)
    content_type = models.CharField(max_length=255)
    etag = models.CharField(max_length=42)
    size = models.PositiveIntegerField()
    updated = models.DateTimeField()

    class Meta:
        verbose_name = "xAPI document"
        indexes = [models.Index(fields=["owner_digest", "updated"]), models.Index(fields=["agent_digest"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.document_id}"


class StatementAttachment(models.Model):
    """The data of a statement's attachment that came in a part of its request (Communication 1.5.2),
    in the store's private storage under its SHA-2: the same data sent with several statements is one
    file. Returned with the statement when a client asks for attachments."""

    statement = models.ForeignKey(StoredStatement, on_delete=models.CASCADE, related_name="attachment_data")
    sha2 = models.CharField(max_length=128)
    content_type = models.CharField(max_length=255)
    content = models.FileField(storage=xapi_document_storage, max_length=200)
    size = models.PositiveBigIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["statement", "sha2"], name="one_attachment_data_per_hash")]
        indexes = [models.Index(fields=["sha2"])]

    def __str__(self) -> str:
        return f"{self.sha2[:12]} ({self.content_type}, {self.size} bytes)"
