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


class ConfirmedEmail(models.Model):
    """An email address its user has shown they receive mail at. Only a confirmed address matches a course
    invitation, a facility's bulk-invitation row, a PaN identity or the user-office export: sign-up takes
    any address, so an unconfirmed one may be someone else's."""

    LINK, PROVIDER, FACILITY, ADMINISTRATOR = "link", "provider", "facility", "administrator"
    HOW = [
        (LINK, "opened the link we sent"),
        (PROVIDER, "verified by their identity provider"),
        (FACILITY, "given by a facility that invited them"),
        (ADMINISTRATOR, "confirmed by an administrator"),
    ]

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="confirmed_emails")
    email = models.EmailField()  # lower-cased
    how = models.CharField(max_length=20, choices=HOW)
    confirmed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "email"], name="confirmed_email_unique_per_user"),
            # One account per confirmed address: the owner of the mailbox decides which.
            models.UniqueConstraint(fields=["email"], name="confirmed_email_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.email} ({self.get_how_display()})"
