"""The dataset registry: real, openly licensed PaN data with provenance, licence and checksums."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.search import index

from courses.vocabularies import TECHNIQUE_CHOICES


class SourceKind(models.TextChoices):
    PACKAGE = "package", "Pinned Python package"
    LOCAL = "local", "Local file"
    ZENODO = "zenodo", "Zenodo"
    PANOSC = "panosc", "PaNOSC Search API"
    ICAT = "icat", "ESRF ICAT+"
    SCICAT = "scicat", "SciCat"
    HOA = "hoa", "Human Organ Atlas"


class Dataset(index.Indexed, ClusterableModel):
    slug = models.SlugField(max_length=80, unique=True, help_text="Kernels see the files under /data/<slug>/.")
    title = models.CharField(max_length=250)
    description = models.TextField(blank=True)
    technique = models.CharField(max_length=40, choices=TECHNIQUE_CHOICES, blank=True)
    facility = models.CharField(max_length=80, blank=True)
    instrument = models.CharField(max_length=120, blank=True)
    sample = models.CharField(max_length=250, blank=True)
    licence = models.CharField(max_length=60, help_text="SPDX identifier, e.g. CC-BY-4.0 or BSD-3-Clause.")
    citation = models.TextField(blank=True)
    doi = models.CharField(max_length=200, blank=True, verbose_name="DOI")
    source_kind = models.CharField(max_length=20, choices=SourceKind.choices, default=SourceKind.PACKAGE)
    source_package = models.CharField(max_length=100, blank=True)
    source_version = models.CharField(max_length=40, blank=True)
    source_reference = models.CharField(max_length=500, blank=True, help_text="DOI, record id or URL at the source.")
    notes = models.TextField(blank=True, help_text="What is uncertain about the provenance.")
    is_public = models.BooleanField(
        default=True,
        verbose_name="Public",
        help_text="Visible to everyone. Untick while checking a new dataset: only trainers will see it.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    panels = [
        FieldPanel("title"),
        FieldPanel("slug"),
        FieldPanel("is_public"),
        FieldPanel("description"),
        MultiFieldPanel(
            [FieldPanel("technique"), FieldPanel("facility"), FieldPanel("instrument"), FieldPanel("sample")],
            heading="Experiment",
        ),
        MultiFieldPanel([FieldPanel("licence"), FieldPanel("citation"), FieldPanel("doi")], heading="Licence"),
        MultiFieldPanel(
            [
                FieldPanel("source_kind"),
                FieldPanel("source_package"),
                FieldPanel("source_version"),
                FieldPanel("source_reference"),
            ],
            heading="Source",
        ),
        InlinePanel("files", label="Files"),
        FieldPanel("notes"),
    ]
    search_fields = [
        index.SearchField("title"),
        index.SearchField("description"),
        index.SearchField("sample"),
        index.FilterField("technique"),
    ]

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


def validate_file_name(name: str) -> None:
    """A file name kernels and the viewer see as /data/<dataset>/<name>: one plain name."""
    if not name or "/" in name or "\\" in name or name.startswith(".") or "\x00" in name:
        raise ValidationError("A file name cannot contain / or \\ or start with a dot.")


def validate_column_names(value) -> None:
    if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
        raise ValidationError('A list of column names, e.g. ["Q (Å⁻¹)", "R", "dR", "dQ (Å⁻¹)"].')


class DatasetFile(models.Model):
    dataset = ParentalKey(Dataset, on_delete=models.CASCADE, related_name="files")
    name = models.CharField(
        max_length=200, validators=[validate_file_name], help_text="File name under /data/<dataset>/."
    )
    path = models.CharField(max_length=500, help_text="Where the source keeps it (package-relative path, URL...).")
    format = models.CharField(max_length=20, blank=True)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64, blank=True, help_text="Pinned on first download when empty.")
    source_checksum = models.CharField(
        max_length=140, blank=True, help_text="The checksum its source publishes, as algorithm:hex (md5:…)."
    )
    description = models.CharField(max_length=250, blank=True)
    columns = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_column_names],
        help_text='Text tables: the names of the columns, with units, e.g. ["Q (Å⁻¹)", "R", "dR"]. '
        "The plot draws the second against the first, with a third as error bars (SPEC scans: the last against "
        "the first). Empty: the file's header names them.",
    )

    panels = [
        FieldPanel("name"),
        FieldPanel("path"),
        FieldPanel("format"),
        FieldPanel("size"),
        FieldPanel("sha256"),
        FieldPanel("source_checksum"),
        FieldPanel("description"),
        FieldPanel("columns"),
    ]

    class Meta:
        constraints = [models.UniqueConstraint(fields=["dataset", "name"], name="one_file_name_per_dataset")]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ImportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    DOWNLOADING = "downloading", "Downloading"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class DatasetImport(models.Model):
    """A background download of a dataset's files from its remote source, with its progress."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="imports")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    status = models.CharField(max_length=20, choices=ImportStatus.choices, default=ImportStatus.QUEUED)
    bytes_done = models.PositiveBigIntegerField(default=0)
    bytes_total = models.PositiveBigIntegerField(default=0)
    current_file = models.CharField(max_length=200, blank=True)
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.dataset} ({self.get_status_display()})"

    @property
    def percent(self) -> int:
        if self.status == ImportStatus.DONE:
            return 100
        return int(100 * self.bytes_done / self.bytes_total) if self.bytes_total else 0

    @property
    def finished(self) -> bool:
        return self.status in (ImportStatus.DONE, ImportStatus.FAILED)
