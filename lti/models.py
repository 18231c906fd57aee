"""LMS platforms registered by the operator, the tool's own signing keys, and what launches leave behind:
who an LMS user is here, which LMS course a panlearn course is placed in (and whether the course's editors let
its instructors train), its line items and score posts."""

from urllib.parse import urlsplit

from django.conf import settings
from django.db import models


class Platform(models.Model):
    """One registration of panlearn in an LMS (in Moodle: one external tool). Values come from the LMS."""

    name = models.CharField(max_length=100, help_text="Shown to staff only, e.g. “University Moodle”.")
    issuer = models.URLField(max_length=255, help_text="The platform ID (Moodle: the site's URL).")
    client_id = models.CharField(max_length=255, help_text="The client ID the LMS gave this tool.")
    auth_login_url = models.URLField(max_length=500, help_text="Authentication request URL (OIDC auth endpoint).")
    auth_token_url = models.URLField(max_length=500, help_text="Access token URL (OAuth 2 token endpoint).")
    key_set_url = models.URLField(max_length=500, help_text="Public keyset URL (the platform's JWKS).")
    deployment_ids = models.TextField(help_text="The deployment IDs allowed to launch, one per line.")
    is_active = models.BooleanField(default=True, help_text="Untick to refuse every launch from this platform.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issuer", "client_id"], name="lti_one_registration")]

    def __str__(self) -> str:
        return self.name

    def deployment_id_list(self) -> list[str]:
        return [line.strip() for line in self.deployment_ids.splitlines() if line.strip()]

    def frame_origins(self) -> list[str]:
        """The origins the LMS shows the tool from: its issuer's and its login endpoint's."""
        origins = []
        for url in (self.issuer, self.auth_login_url):
            parts = urlsplit(url)
            if parts.scheme in ("http", "https") and parts.netloc:
                origins.append(f"{parts.scheme}://{parts.netloc}")
        return list(dict.fromkeys(origins))


class ToolKey(models.Model):
    """An RSA key the tool signs with. The newest unretired one signs; retired ones stay published for
    the grace period (PANLEARN_LTI_KEY_GRACE_DAYS)."""

    kid = models.CharField(max_length=64, unique=True)
    private_key = models.TextField(help_text="PEM; never leaves the server.")
    public_jwk = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.kid


class LtiIdentity(models.Model):
    """An LMS user (the launch's `sub` at one platform) and the panlearn account it signs in as."""

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="identities")
    subject = models.CharField(max_length=255)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lti_identities")
    name = models.CharField(max_length=255, blank=True)
    email = models.EmailField(blank=True, help_text="As the LMS claimed it; never used to find an account.")
    created_at = models.DateTimeField(auto_now_add=True)
    last_launch_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["platform", "subject"], name="lti_one_identity")]

    def __str__(self) -> str:
        return f"{self.subject} at {self.platform}"


class LtiContext(models.Model):
    """An LMS course (context) in which a panlearn course is placed, and its roster service.

    Its instructors train the panlearn course only once an editor of that course has said so
    (`instructors_train`): the LMS's roles are typed by the LMS's teachers, not by the course's editors."""

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="contexts")
    context_id = models.CharField(max_length=255)
    title = models.CharField(max_length=255, blank=True)
    course = models.ForeignKey("panlearn_courses.CoursePage", on_delete=models.CASCADE, related_name="+")
    memberships_url = models.URLField(max_length=500, blank=True)
    roster_synced_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    instructors_train = models.BooleanField(
        default=False, help_text="An editor of the course lets this LMS course's instructors edit it.",
    )  # fmt: skip
    bound_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+", help_text="The editor who let its instructors train.")  # fmt: skip
    bound_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["platform", "context_id", "course"], name="lti_one_context_course")
        ]

    def __str__(self) -> str:
        return f"{self.title or self.context_id} → {self.course}"


class TrainerGrant(models.Model):
    """Editing of a course that a launch gave an instructor of a bound LMS course. Revoking the binding takes
    back these grants and nothing else: `made_editor` says whether the launch added the user to the course's
    editors, or found them there already (then panlearn, not the LMS, made them an editor)."""

    context = models.ForeignKey(LtiContext, on_delete=models.CASCADE, related_name="trainer_grants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lti_trainer_grants")
    made_editor = models.BooleanField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["context", "user"], name="lti_one_trainer_grant")]

    def __str__(self) -> str:
        return f"{self.user} trains {self.context.course} from {self.context}"


class LineItem(models.Model):
    """A gradebook column of the LMS that an exercise's scores are posted to."""

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="line_items")
    url = models.URLField(max_length=500)
    exercise = models.ForeignKey("panlearn_exercises.Exercise", on_delete=models.CASCADE, related_name="+")
    course = models.ForeignKey(
        "panlearn_courses.CoursePage", null=True, blank=True, on_delete=models.CASCADE, related_name="+",
        help_text="Only submissions from this course's lessons are posted (overrides always are).",
    )  # fmt: skip
    context_id = models.CharField(
        max_length=255, blank=True,
        help_text="The LMS course the column is in: only its members' scores are posted to it.",
    )  # fmt: skip

    class Meta:
        constraints = [models.UniqueConstraint(fields=["platform", "url"], name="lti_one_line_item")]

    def __str__(self) -> str:
        return self.url


class ContextMember(models.Model):
    """An LMS user seen in an LMS course (launched in it, or listed by its roster): their scores may go to
    that course's line items, and no other course's."""

    identity = models.ForeignKey(LtiIdentity, on_delete=models.CASCADE, related_name="memberships")
    context_id = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["identity", "context_id"], name="lti_one_membership")]

    def __str__(self) -> str:
        return f"{self.identity} in {self.context_id}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be posted"
    SENT = "sent", "Posted"
    FAILED = "failed", "Gave up"


class ScoreDelivery(models.Model):
    """One score posted (or to be posted) to a line item: what was sent, how often it was tried, and why
    it failed last."""

    line_item = models.ForeignKey(LineItem, on_delete=models.CASCADE, related_name="deliveries")
    identity = models.ForeignKey(LtiIdentity, on_delete=models.CASCADE, related_name="+")
    score_given = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    score_maximum = models.DecimalField(max_digits=8, decimal_places=2)
    activity_progress = models.CharField(max_length=20)
    grading_progress = models.CharField(max_length=20)
    timestamp = models.DateTimeField(help_text="When the score was made; the platform keeps the newest.")
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "score deliveries"

    def __str__(self) -> str:
        return f"{self.identity.subject}: {self.score_given}/{self.score_maximum} → {self.line_item}"

    def payload(self) -> dict:
        """The AGS Score (https://www.imsglobal.org/spec/lti-ags/v2p0/#score-publish-service)."""
        score = {
            "userId": self.identity.subject,
            "scoreMaximum": float(self.score_maximum),
            "activityProgress": self.activity_progress,
            "gradingProgress": self.grading_progress,
            "timestamp": self.timestamp.isoformat(),
        }
        if self.score_given is not None:
            score["scoreGiven"] = float(self.score_given)
        return score
