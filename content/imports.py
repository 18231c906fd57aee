"""Adding a dataset from a remote source: register it, then download its files in the background.

The registry row is created at once (unpublished, so students do not see it half-ready); a
task downloads the chosen files into a staging directory with the downloader's size cap,
retries and checksum check, proves that HDF5 files open, pins every file's sha256, and only
then renames the staging directory into the cache. A failure leaves the cache as it was.
"""

import html
import re
import shutil
import time
from pathlib import Path

import h5py
import httpx
from django.conf import settings
from django.utils.text import slugify

from .blocks import file_kind
from .hdf5 import outside_references
from .models import Dataset, DatasetImport, ImportStatus
from .resolvers import http_client
from .resolvers.base import RemoteDataset, RemoteFile, ResolverError, download
from .sources import cache_root, dataset_cache_dir

FORMATS_BY_SUFFIX = {".nxs": "nexus", ".nx5": "nexus", ".h5": "hdf5", ".hdf5": "hdf5", ".hdf": "hdf5",
                     ".dat": "text", ".txt": "text", ".csv": "text", ".xy": "text", ".mca": "mca",
                     ".spec": "spec", ".xml": "xml", ".json": "json", ".tif": "tiff", ".tiff": "tiff",
                     ".zip": "zip", ".gz": "gzip"}  # fmt: skip
PROGRESS_EVERY_S = 0.5


def guess_format(name: str) -> str:
    return FORMATS_BY_SUFFIX.get(Path(name).suffix.lower(), "")


def plain_text(markup: str) -> str:
    """Source descriptions often come as HTML; the registry keeps plain text."""
    return html.unescape(re.sub(r"<[^>]+>", " ", markup or "")).strip()


def unique_slug(title: str) -> str:
    base = slugify(title)[:70] or "dataset"
    slug, number = base, 2
    while Dataset.objects.filter(slug=slug).exists():
        slug, number = f"{base}-{number}", number + 1
    return slug


def citation_for(remote: RemoteDataset) -> str:
    authors = "; ".join(name for name in remote.creators if name)
    parts = [part for part in (authors, remote.title, f"https://doi.org/{remote.doi}" if remote.doi else "") if part]
    return ". ".join(parts)


def check_hdf5(path: Path) -> None:
    """A file that claims to be HDF5 must open and list its tree, or the import fails."""
    if not h5py.is_hdf5(path):
        raise ResolverError(f"{path.name} should be HDF5 but is not (wrong or damaged file).")
    try:
        with h5py.File(path, "r", locking=False) as handle:
            reason = outside_references(handle)  # also walks the whole tree
    except (OSError, RuntimeError, KeyError) as error:
        raise ResolverError(f"{path.name} is a damaged HDF5 file: {error}.") from None
    if reason:
        raise ResolverError(f"{path.name} refers to data in other files ({reason}); it is not imported.")


class _Progress:
    """Saves download progress now and then, not on every chunk."""

    def __init__(self, job: DatasetImport):
        self.job = job
        self.done_before = 0
        self.saved_at = 0.0

    def file_done(self, size: int) -> None:
        self.done_before += size
        self.save(self.done_before, force=True)

    def __call__(self, received: int, total: int) -> None:
        self.save(self.done_before + received)

    def save(self, done: int, *, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self.saved_at >= PROGRESS_EVERY_S:
            self.saved_at = now
            self.job.bytes_done = done
            self.job.save(update_fields=["bytes_done", "current_file", "updated_at"])


def _swap_into_place(staging: Path, target: Path) -> None:
    """Readers see the old complete copy or the new one, never a directory being replaced."""
    if not target.exists():
        staging.rename(target)
        return
    retired = target.with_name(f".retired-{target.name}-{staging.name}")
    target.rename(retired)
    staging.rename(target)
    shutil.rmtree(retired, ignore_errors=True)


def import_run(job_id: int, *, client: httpx.Client | None = None) -> DatasetImport:
    job = DatasetImport.objects.select_related("dataset").get(pk=job_id)
    dataset = job.dataset
    job.status, job.message, job.bytes_done = ImportStatus.DOWNLOADING, "", 0
    job.save(update_fields=["status", "message", "bytes_done", "updated_at"])
    staging = cache_root() / f".import-{job.pk}"
    shutil.rmtree(staging, ignore_errors=True)
    progress = _Progress(job)
    own_client = client is None
    client = client or http_client()
    try:
        for record in dataset.files.all():
            job.current_file = record.name
            expected = record.source_checksum or (f"sha256:{record.sha256}" if record.sha256 else "")
            remote = RemoteFile(name=record.name, url=record.path, size=record.size, checksum=expected)
            fetched = download(client, remote, directory=staging,
                               max_bytes=settings.PANLEARN_CONTENT_MAX_DOWNLOAD_BYTES, progress=progress)  # fmt: skip
            if record.sha256 and fetched.sha256 != record.sha256:
                raise ResolverError(f"{record.name} does not match its pinned sha256.")
            if file_kind(record) == "hdf5":
                check_hdf5(fetched.path)
            record.sha256, record.size = fetched.sha256, fetched.size
            record.save(update_fields=["sha256", "size"])
            progress.file_done(fetched.size)
        _swap_into_place(staging, dataset_cache_dir(dataset))
    except (ResolverError, OSError) as error:
        shutil.rmtree(staging, ignore_errors=True)
        job.status, job.message = ImportStatus.FAILED, str(error)
        job.save(update_fields=["status", "message", "current_file", "updated_at"])
        return job
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        job.status, job.message = ImportStatus.FAILED, "The import stopped unexpectedly; see the server log."
        job.save(update_fields=["status", "message", "updated_at"])
        raise
    finally:
        if own_client:
            client.close()
    job.status, job.current_file = ImportStatus.DONE, ""
    job.save(update_fields=["status", "current_file", "updated_at"])
    return job
