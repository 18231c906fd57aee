"""The lesson block that attaches a dataset: its files are mounted at /data/<id>/ in the lesson's
code cells, and the block shows the dataset's card with the viewer or a plot of one of its files."""

from django.core.exceptions import ValidationError
from wagtail import blocks
from wagtail.snippets.blocks import SnippetChooserBlock

from .selectors import viewer_initial_path

HDF5_FORMATS = {"nexus", "nxcansas", "hdf5"}
TEXT_FORMATS = {"text", "spec", "mca"}


def file_kind(record) -> str:
    """HDF5 files open in H5Web and text tables get a plot; XML (CanSAS) and anything else neither."""
    fmt = (record.format or "").lower()
    if fmt in HDF5_FORMATS:
        return "hdf5"
    return "text" if fmt in TEXT_FORMATS and not record.name.lower().endswith(".xml") else "other"


class DatasetBlock(blocks.StructBlock):
    dataset = SnippetChooserBlock("panlearn_content.Dataset")
    file = blocks.CharBlock(
        required=False, help_text="A file of the dataset to open in the viewer or plot, e.g. chopper.nxs."
    )
    path = blocks.CharBlock(required=False, help_text="For HDF5/NeXus files: the path to open first, e.g. /entry.")
    show_viewer = blocks.BooleanBlock(required=False, default=True, help_text="Show the viewer or plot of the file.")

    class Meta:
        icon = "table"
        template = "content/blocks/dataset.html"
        label = "Dataset"
        help_text = "Mounts the dataset read-only at /data/<id>/ in this lesson's code cells."

    def clean(self, value):
        value = super().clean(value)
        dataset, name, path = value.get("dataset"), value.get("file"), value.get("path")
        errors = {}
        if dataset is not None and not dataset.is_public:
            errors["dataset"] = ValidationError(
                f"{dataset.title} is not public yet: students could not see it. Tick Public on the dataset first."
            )
        if dataset is not None and name and not dataset.files.filter(name=name).exists():
            names = ", ".join(dataset.files.values_list("name", flat=True))
            errors["file"] = ValidationError(f"{dataset.slug} has no file {name!r}; its files are: {names}.")
        if path and not path.startswith("/"):
            errors["path"] = ValidationError("An HDF5 path starts with /, e.g. /entry/data.")
        if path and not name:
            errors["path"] = ValidationError("Choose the file this path is in.")
        if errors:
            raise blocks.StructBlockValidationError(block_errors=errors)
        return value

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context=parent_context)
        dataset = value.get("dataset")
        record = dataset.files.filter(name=value.get("file")).first() if dataset and value.get("file") else None
        context["record"] = record
        context["kind"] = file_kind(record) if record else ""
        context["initial_path"] = value.get("path") or ""
        if context["kind"] == "hdf5" and not context["initial_path"] and value.get("show_viewer"):
            context["initial_path"] = viewer_initial_path(dataset, record)
        return context


def lesson_blocks():
    return [("dataset", DatasetBlock())]
