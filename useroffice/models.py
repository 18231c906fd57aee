"""API tokens (only a hash is kept), a facility's webhook, and each webhook event's delivery record."""

from django.conf import settings
from django.db import models

from facilities.models import Facility
from onboarding.models import ProgrammeCompletion


class ApiToken(models.Model):
    """A user office's key to one facility's export. The token is shown once, when made; only its SHA-256
    is stored (a token is 256 random bits: a fast hash is enough, unlike a password)."""

    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="useroffice_tokens")
    name = models.CharField(max_length=100, help_text="Who uses it, e.g. 'User office portal (production)'.")
    prefix = models.CharField(max_length=16, editable=False, help_text="The token's first characters, to tell it.")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["facility__short_name", "-created_at"]
        verbose_name = "user-office API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…, {self.facility})"


class Webhook(models.Model):
    """Where a facility wants to hear of passes and expiries. The secret signs each body (HMAC-SHA256);
    it must be kept to sign, so it is stored as is, and shown once."""

    facility = models.OneToOneField(Facility, on_delete=models.CASCADE, related_name="useroffice_webhook")
    url = models.URLField(max_length=500, help_text="HTTPS endpoint of the user office that receives the events.")
    secret = models.CharField(max_length=128, editable=False)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True, help_text="HTTP status of the last attempt.")
    last_error = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.facility} → {self.url}"


class Event(models.TextChoices):
    COMPLETION = "completion", "Completion"
    EXPIRY = "expiry", "Expiry"


class WebhookDelivery(models.Model):
    """One event for one webhook: sent until the receiver answers 2xx, or given up after the attempts."""

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    completion = models.ForeignKey(ProgrammeCompletion, on_delete=models.CASCADE, related_name="+")
    event = models.CharField(max_length=20, choices=Event.choices)
    body = models.TextField(help_text="The JSON sent, fixed when the event happened: every retry sends the same.")
    created_at = models.DateTimeField(auto_now_add=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    given_up_at = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["webhook", "completion", "event"], name="one_delivery_per_event")
        ]
        indexes = [models.Index(fields=["delivered_at", "given_up_at", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.event} of completion {self.completion_id} to {self.webhook}"
