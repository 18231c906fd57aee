from django.db import models


class RecordChange(models.Model):
    """When a course or dataset last left or re-entered the repository without a change of its own.

    While its item is not published (unpublished, made private, deleted) the row is the record's tombstone:
    a deleted record, dated when it went, with the sets and formats it had then. When the item is published
    again by a new publication (or a dataset's save) the row goes, the item's own datestamp being newer;
    when it comes back without one (a view restriction lifted, a move out of a private section) the row
    stays, restamped, and dates the record, so that an incremental harvest sees it return.
    """

    kind = models.CharField(max_length=20)
    item_id = models.BigIntegerField(help_text="The course page's or the dataset's id; the item may be gone.")
    datestamp = models.DateTimeField()
    set_specs = models.CharField(
        max_length=1000, help_text="The record's sets when it went, space-delimited with a space at each end."
    )
    prefixes = models.CharField(max_length=200, help_text="Its metadata formats when it went, delimited alike.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "item_id"], name="oaipmh_one_change_per_record")]
        indexes = [models.Index(fields=["kind", "datestamp", "item_id"], name="oaipmh_change_order")]

    def __str__(self) -> str:
        return f"{self.kind}/{self.item_id} at {self.datestamp:%Y-%m-%dT%H:%M:%SZ}"
