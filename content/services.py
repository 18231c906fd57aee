"""Writes of the dataset registry."""

import filecmp
import os
import shutil
import tempfile
from pathlib import Path

from django.db import transaction

from .models import Dataset, DatasetFile
from .sources import is_plain_name, locate_files
from .verification import DatasetStatus, verify_dataset

DATASET_FIELDS = ("title", "description", "technique", "facility", "instrument", "sample", "licence", "citation",
                  "doi", "notes")  # fmt: skip


@transaction.atomic
def dataset_sync_bundled(specs) -> list[Dataset]:
    """Create or update the registry rows of the bundled datasets from `content.bundled`."""
    datasets = []
    for spec in specs:
        source = spec["source"]
        values = {name: spec.get(name, "") or "" for name in DATASET_FIELDS}
        values.update(source_kind=source["kind"], source_package=source.get("package", ""),
                      source_version=source.get("version", ""), source_reference=spec.get("doi", "") or "")  # fmt: skip
        dataset, _ = Dataset.objects.update_or_create(slug=spec["id"], defaults=values)
        names = []
        for item in spec["files"]:
            DatasetFile.objects.update_or_create(
                dataset=dataset,
                name=item["name"],
                defaults={
                    "path": item["path"],
                    "format": item.get("format", ""),
                    "size": item["size"],
                    "sha256": item["sha256"].lower(),
                    "description": item.get("description", ""),
                    "columns": list(item.get("columns", [])),
                },
            )
            names.append(item["name"])
        dataset.files.exclude(name__in=names).delete()
        datasets.append(dataset)
    return datasets


def _same_install(target: Path, staging: Path) -> bool:
    """The installed copy holds the same files, byte for byte, as the staged one."""
    names = sorted(item.name for item in staging.iterdir())
    if not target.is_dir() or sorted(item.name for item in target.iterdir()) != names:
        return False
    return all(filecmp.cmp(target / name, staging / name, shallow=False) for name in names)


def dataset_install(dataset: Dataset, *, root: Path) -> DatasetStatus:
    """Copy a verified dataset into the runner's datasets directory, with its SHA256SUMS.

    Written to a temporary directory and renamed into place, so a failure never leaves a
    half-written dataset that kernels could mount.
    """
    status = verify_dataset(dataset)
    if not status.ok:
        return status
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dataset.slug}-", dir=root))
    try:
        sums = []
        for item in locate_files(dataset):
            if not is_plain_name(item.record.name):
                raise ValueError(f"{dataset.slug}: refusing the file name {item.record.name!r}.")
            shutil.copyfile(item.path, staging / item.record.name)
            os.chmod(staging / item.record.name, 0o444)
            sums.append(f"{item.record.sha256}  {item.record.name}\n")
        (staging / "SHA256SUMS").write_text("".join(sums))
        os.chmod(staging, 0o755)
        target = root / dataset.slug
        if _same_install(target, staging):
            # Already there: a running kernel host has this directory mounted in its sandboxes, and a
            # replaced one would leave them an empty mount point until they restart.
            shutil.rmtree(staging)
            return status
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return status
