"""Resolve dataset ids to read-only host directories, checking them before any code runs.

A dataset directory may carry `SHA256SUMS` (the `sha256sum` format); every listed file must
match. The content app's registry writes these directories; the runner only checks them.
"""

import hashlib
import re
from pathlib import Path

from .exceptions import DatasetUnavailable

DATASET_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class DirectoryDatasets:
    def __init__(self, root: Path):
        self.root = root
        self._verified: dict[str, tuple[float, str]] = {}

    def resolve(self, dataset_ids: list[str] | tuple[str, ...]) -> tuple[tuple[str, str], ...]:
        """(id, host directory) pairs, sorted; raises DatasetUnavailable naming the first bad one."""
        resolved = []
        for dataset_id in sorted(set(dataset_ids)):
            if not DATASET_ID.match(dataset_id):
                raise DatasetUnavailable(f"“{dataset_id[:80]}” is not a dataset name.")
            directory = (self.root / dataset_id).resolve()
            if directory.parent != self.root.resolve() or not directory.is_dir():
                raise DatasetUnavailable(f"The dataset “{dataset_id}” is not installed on this server.")
            self._verify(dataset_id, directory)
            resolved.append((dataset_id, str(directory)))
        return tuple(resolved)

    def _verify(self, dataset_id: str, directory: Path) -> None:
        sums = directory / "SHA256SUMS"
        if not sums.exists():
            return
        stamp = max((path.stat().st_mtime for path in directory.rglob("*")), default=0.0)
        if self._verified.get(dataset_id, (None,))[0] == stamp:
            return
        for line in sums.read_text().splitlines():
            if not line.strip():
                continue
            expected, _, name = line.partition("  ")
            target = (directory / name.strip()).resolve()
            if not target.is_relative_to(directory) or not target.is_file():
                raise DatasetUnavailable(f"The dataset “{dataset_id}” is missing its file {name.strip()}.")
            if sha256_of(target) != expected.strip().lower():
                raise DatasetUnavailable(
                    f"The dataset “{dataset_id}” failed its checksum ({name.strip()}); it will not be used."
                )
        self._verified[dataset_id] = (stamp, "ok")
