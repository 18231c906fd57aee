"""Writes of the dataset registry."""

import filecmp
import os
import shutil
import tempfile
from pathlib import Path

from django.conf import settings
from django.db import transaction

from .imports import citation_for, guess_format, plain_text, unique_slug
from .models import Dataset, DatasetFile, DatasetImport
from .resolvers.base import RemoteDataset, ResolverError
from .sources import is_plain_name, locate_files
from .tasks import import_dataset
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


@transaction.atomic
def import_create(remote: RemoteDataset, *, chosen: list[str], user, slug: str = "", **overrides) -> DatasetImport:
    """Register the dataset and its chosen files, then queue their download (after commit)."""
    files = [item for item in remote.files if item.name in set(chosen)]
    if not files:
        raise ResolverError("Choose at least one file to download.")
    limit = settings.PANLEARN_CONTENT_MAX_DOWNLOAD_BYTES
    too_big = [item.name for item in files if item.size > limit]
    if too_big:
        raise ResolverError(f"Over the download limit of {limit} bytes: {', '.join(too_big)}.")
    values = {
        "title": remote.title[:250],
        "description": plain_text(remote.description),
        "licence": remote.licence[:60],
        "doi": remote.doi[:200],
        "citation": citation_for(remote),
        "facility": remote.facility[:80],
        "instrument": remote.instrument[:120],
        "notes": remote.notes,
    }
    values.update({key: value for key, value in overrides.items() if value})
    dataset = Dataset.objects.create(
        slug=slug or unique_slug(values["title"]),
        source_kind=remote.source,
        source_reference=remote.reference[:500],
        is_public=False,
        **values,
    )
    used: set[str] = set()
    for item in files:
        algorithm, _, value = item.checksum.partition(":")
        DatasetFile.objects.create(
            dataset=dataset,
            name=_unused_name(item.name, used),
            path=item.url,
            format=guess_format(item.name),
            size=item.size,
            sha256=value.lower() if algorithm.lower() == "sha256" else "",
            source_checksum=item.checksum,
        )
    job = DatasetImport.objects.create(dataset=dataset, requested_by=user, bytes_total=sum(item.size for item in files))
    transaction.on_commit(lambda: import_dataset.enqueue(job.pk))
    return job


def _unused_name(name: str, used: set[str]) -> str:
    """Sources may list the same file name in two folders; the registry needs one name per file."""
    stem, suffix = Path(name).stem, Path(name).suffix
    candidate, number = name, 2
    while candidate in used:
        candidate, number = f"{stem}-{number}{suffix}", number + 1
    used.add(candidate)
    return candidate
