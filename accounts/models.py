from django.conf import settings
from django.db import models


class PanIdentity(models.Model):
    """An account at a PaN identity provider, linked to a panlearn user.

    The provider's issuer and the `sub` claim identify the person; an email address never does on its own.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pan_identities")
    issuer = models.CharField(max_length=255)
    subject = models.CharField(max_length=255)
    # What the provider said at the last sign-in, for the account page and for support; never used to match.
    email = models.EmailField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_login_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "PaN identity"
        verbose_name_plural = "PaN identities"
        constraints = [models.UniqueConstraint(fields=["issuer", "subject"], name="pan_identity_unique_issuer_subject")]

    def __str__(self) -> str:
        return f"{self.subject} at {self.issuer}"
