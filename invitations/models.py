"""Bulk invitations: an uploaded CSV kept as a batch of validated rows until staff confirm it, the
invitation links it emails, and the reminders already sent (so each goes out once)."""

from django.conf import settings
from django.db import models

from facilities.models import Facility


class BatchStatus(models.TextChoices):
    PENDING = "pending", "Waiting for confirmation"
    CONFIRMED = "confirmed", "Importing"
    IMPORTED = "imported", "Imported"
    DISCARDED = "discarded", "Discarded"


class InvitationBatch(models.Model):
    """One uploaded CSV. Nothing reaches accounts or experiments until it is confirmed."""

    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="invitation_batches")
    filename = models.CharField(max_length=255, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=20, choices=BatchStatus.choices, default=BatchStatus.PENDING)
    file_errors = models.JSONField(default=list, blank=True, help_text="Problems with the file as a whole.")
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    imported_at = models.DateTimeField(null=True, blank=True)
    total_rows = models.PositiveIntegerField(default=0)
    valid_rows = models.PositiveIntegerField(default=0)
    imported_rows = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-uploaded_at", "-pk"]
        verbose_name = "invitation batch"
        verbose_name_plural = "invitation batches"

    def __str__(self) -> str:
        return f"{self.filename or 'upload'} ({self.facility}, {self.uploaded_at:%Y-%m-%d %H:%M})"

    @property
    def invalid_rows(self) -> int:
        return self.total_rows - self.valid_rows

    @property
    def can_confirm(self) -> bool:
        return self.status == BatchStatus.PENDING and self.valid_rows > 0 and not self.file_errors


class RowStatus(models.TextChoices):
    VALID = "valid", "Valid"
    INVALID = "invalid", "Invalid"
    IMPORTED = "imported", "Imported"
    FAILED = "failed", "Not imported"


class InvitationRow(models.Model):
    """A row of the file as read (cleaned) and what validation found; `line` is the file's line number."""

    batch = models.ForeignKey(InvitationBatch, on_delete=models.CASCADE, related_name="rows")
    line = models.PositiveIntegerField()
    email = models.CharField(max_length=254, blank=True)
    name = models.CharField(max_length=300, blank=True)
    proposal = models.CharField(max_length=200, blank=True)
    start_date = models.DateField(null=True, blank=True)
    role = models.CharField(max_length=40, blank=True, help_text="The onboarding role value, once recognised.")
    title = models.CharField(max_length=300, blank=True)
    instrument = models.CharField(max_length=100, blank=True)
    experiment_type = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=20, choices=RowStatus.choices)
    errors = models.JSONField(default=list, blank=True)
    notes = models.JSONField(default=list, blank=True, help_text="What importing does: new account, new experiment…")

    class Meta:
        ordering = ["batch", "line"]
        indexes = [models.Index(fields=["batch", "status", "line"])]

    def __str__(self) -> str:
        return f"line {self.line}: {self.email}"


class ParticipantInvitation(models.Model):
    """A participant's invitation to an experiment: the emailed one-time link (only its sha256 is stored)
    and what the import did for them. One per experiment and user, so importing a row again sends
    nothing new. Not `courses.CourseInvitation`, which admits an address to one course."""

    experiment = models.ForeignKey(
        "panlearn_onboarding.Experiment", on_delete=models.CASCADE, related_name="invitations"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitations")
    row = models.ForeignKey(InvitationRow, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_account = models.BooleanField(default=False, help_text="The import made the account.")
    enrolled_course_ids = models.JSONField(
        default=list, blank=True, help_text="Courses the import enrolled the user in (new enrolments)."
    )
    token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_to = models.CharField(
        max_length=254, blank=True, help_text="The address the link was mailed to: spending it proves that one."
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "panlearn_invitations_invitation"  # the table of the model's first name, kept
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["experiment", "user"], name="one_invitation_per_experiment_user")
        ]
        indexes = [models.Index(fields=["sent_at", "created_at"])]

    def __str__(self) -> str:
        return f"{self.user} to {self.experiment}"


class ReminderKind(models.TextChoices):
    START = "start", "Before the experiment"
    EXPIRY = "expiry", "Before a pass expires"


class ReminderSent(models.Model):
    """A reminder that went out; `key` (kind, subject, days) is unique, so none goes out twice."""

    key = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=20, choices=ReminderKind.choices)
    days = models.PositiveSmallIntegerField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    participant = models.ForeignKey(
        "panlearn_onboarding.Participant", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    completion = models.ForeignKey(
        "panlearn_onboarding.ProgrammeCompletion", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    sent_at = models.DateTimeField()

    class Meta:
        ordering = ["-sent_at"]

    def __str__(self) -> str:
        return self.key
