"""A student's saved code in each cell, with its earlier versions.

The tables keep the names they had in exercises, where these models lived first
(migrations/0001_initial.py moves them without touching a row).
"""

from django.conf import settings
from django.db import models
from wagtail.models import Page


class CellDraft(models.Model):
    """A student's current code in one cell (`cell_id` is the StreamField block's id)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cell_drafts")
    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="+")
    cell_id = models.CharField(max_length=64)
    code = models.TextField()
    version = models.PositiveIntegerField(default=1)
    saved_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "panlearn_exercises_celldraft"
        constraints = [models.UniqueConstraint(fields=["user", "page", "cell_id"], name="one_draft_per_cell")]

    def __str__(self) -> str:
        return f"{self.user} · {self.page_id} · {self.cell_id} v{self.version}"


class CellDraftVersion(models.Model):
    """An earlier version of a draft, kept so a student can go back."""

    draft = models.ForeignKey(CellDraft, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    code = models.TextField()
    saved_at = models.DateTimeField()

    class Meta:
        db_table = "panlearn_exercises_celldraftversion"
        ordering = ["-version"]
        constraints = [models.UniqueConstraint(fields=["draft", "version"], name="one_row_per_draft_version")]

    def __str__(self) -> str:
        return f"{self.draft} (version {self.version})"
