"""Reads of the dataset registry: what a user may see, and where a dataset is used."""

from django.db.models import QuerySet
from wagtail.models import Page, ReferenceIndex

from . import hdf5
from .models import Dataset, DatasetFile
from .sources import SourceError, open_file

MANAGE_PERMISSION = "panlearn_content.change_dataset"


def can_manage_datasets(user) -> bool:
    return user.is_authenticated and user.has_perm(MANAGE_PERMISSION)


def datasets_visible_to(user) -> QuerySet[Dataset]:
    """Public datasets for everyone; unpublished ones too for those who manage the registry."""
    datasets = Dataset.objects.all()
    if not can_manage_datasets(user):
        datasets = datasets.filter(is_public=True)
    return datasets


def pages_referencing(dataset: Dataset):
    """Every page (live or not) whose saved content refers to the dataset."""
    references = ReferenceIndex.get_references_to(dataset)
    page_ids = {
        int(reference.object_id)
        for reference in references
        if reference.base_content_type.model_class() is not None
        and issubclass(reference.base_content_type.model_class(), Page)
    }
    return Page.objects.filter(id__in=page_ids)


def pages_using(dataset: Dataset) -> list[Page]:
    """Live, public pages (lessons now, exercises later) whose content embeds the dataset.

    Wagtail's reference index records every chooser reference in a StreamField, so this
    is one indexed query, not a scan of every lesson body.
    """
    return list(pages_referencing(dataset).live().public().specific().order_by("title"))


def lesson_dataset_slugs(page) -> list[str]:
    """The dataset ids a lesson declares through its dataset blocks, for the runner to mount."""
    slugs = []
    for block in getattr(page, "body", None) or []:
        # An unpublished dataset is never mounted, even if a lesson saved before it was hidden names it.
        dataset = block.value["dataset"] if block.block_type == "dataset" else None
        if dataset is not None and dataset.is_public:
            slug = dataset.slug
            if slug not in slugs:
                slugs.append(slug)
    return slugs


def viewer_initial_path(dataset: Dataset, record: DatasetFile) -> str:
    """Where the HDF5 viewer opens a file that names no default plot ("" to let H5Web decide)."""
    try:
        located = open_file(dataset, record.name)
    except SourceError:
        return ""
    return hdf5.initial_path_of(located.path)
