"""A certificate per recorded validity period (onboarding's ProgrammeCompletion).

The public id is random (80 bits), not derived from the completion: it is what the PDF and its QR
code carry, so knowing one certificate's id tells nothing about another's. Validity is never stored
here: it comes from the completion's `valid_until` and the revocation, read at `now` (`status.py`).
"""

from django.conf import settings
from django.db import models

from onboarding.models import ProgrammeCompletion


class Certificate(models.Model):
    completion = models.OneToOneField(ProgrammeCompletion, on_delete=models.CASCADE, related_name="certificate")
    public_id = models.CharField(max_length=32, unique=True, editable=False)
    issued_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoke_reason = models.TextField(blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-issued_at"]

    def __str__(self) -> str:
        return self.public_id
