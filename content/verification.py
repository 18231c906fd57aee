"""Checking a dataset's files against the registry's sizes and sha256 sums."""

from dataclasses import dataclass, field

from runner.datasets import sha256_of

from .models import Dataset
from .sources import SourceError, locate_files


@dataclass
class DatasetStatus:
    slug: str
    files: int = 0
    size: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_dataset(dataset: Dataset) -> DatasetStatus:
    status = DatasetStatus(slug=dataset.slug)
    try:
        located = locate_files(dataset)
    except SourceError as error:
        status.problems.append(str(error))
        return status
    if not located:
        status.problems.append("the registry lists no files")
    for item in located:
        record = item.record
        if not item.path.is_file():
            status.problems.append(f"{record.name}: missing from the source ({record.path})")
            continue
        size = item.path.stat().st_size
        if size != record.size:
            status.problems.append(f"{record.name}: {size} bytes, the registry says {record.size}")
            continue
        if sha256_of(item.path) != record.sha256:
            status.problems.append(f"{record.name}: sha256 differs from the registry")
            continue
        status.files += 1
        status.size += size
    return status
