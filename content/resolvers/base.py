"""What every remote source resolves to, and the safe downloader they share."""

import hashlib
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx


class ResolverError(Exception):
    """A source could not give us the dataset; the message says why in plain words."""


@dataclass(frozen=True)
class RemoteFile:
    name: str
    url: str
    size: int
    checksum: str = ""  # "algorithm:hexdigest" as the source publishes it ("md5:…", "sha256:…"), or ""


@dataclass
class RemoteDataset:
    source: str
    reference: str  # DOI or record id
    title: str
    description: str = ""
    licence: str = ""
    creators: list[str] = field(default_factory=list)
    doi: str = ""
    files: list[RemoteFile] = field(default_factory=list)


@dataclass(frozen=True)
class DownloadedFile:
    name: str
    path: Path
    size: int
    sha256: str


def _check_against(expected: str, digests: dict[str, "hashlib._Hash"]) -> None:
    if not expected:
        return
    algorithm, _, value = expected.partition(":")
    digest = digests.get(algorithm.lower())
    if digest is None:
        raise ResolverError(f"Unsupported checksum algorithm {algorithm!r}.")
    if digest.hexdigest() != value.lower():
        raise ResolverError("The downloaded file does not match the checksum its source publishes.")


def download(
    client: httpx.Client,
    remote: RemoteFile,
    *,
    directory: Path,
    max_bytes: int,
    attempts: int = 3,
    backoff: float = 0.5,
    progress: Callable[[int, int], None] | None = None,
) -> DownloadedFile:
    """Stream to a temporary file, check size and checksum, then rename into place.

    Nothing half-written is ever left under its final name: a failed or refused download leaves
    only what was there before.
    """
    if remote.size > max_bytes:
        raise ResolverError(f"{remote.name} is {remote.size} bytes, over the limit of {max_bytes} bytes.")
    if "/" in remote.name or remote.name in ("", ".", ".."):
        raise ResolverError(f"Refusing the file name {remote.name!r}.")
    directory.mkdir(parents=True, exist_ok=True)
    last_error: Exception | None = None
    for attempt in range(attempts):
        handle, temporary = tempfile.mkstemp(prefix=".part-", dir=directory)
        try:
            digests = {"md5": hashlib.md5(usedforsecurity=False), "sha256": hashlib.sha256()}
            received = 0
            with os.fdopen(handle, "wb") as sink, client.stream("GET", remote.url) as response:
                if response.status_code >= 500:
                    raise httpx.HTTPStatusError("server error", request=response.request, response=response)
                if response.status_code != 200:
                    raise ResolverError(f"{remote.name}: the source answered HTTP {response.status_code}.")
                for chunk in response.iter_bytes():
                    received += len(chunk)
                    if received > max_bytes:
                        raise ResolverError(f"{remote.name} grew past the limit of {max_bytes} bytes.")
                    sink.write(chunk)
                    for digest in digests.values():
                        digest.update(chunk)
                    if progress is not None:
                        progress(received, remote.size)
            if remote.size and received != remote.size:
                raise httpx.ReadError(f"truncated: {received} of {remote.size} bytes")
            _check_against(remote.checksum, digests)
            final = directory / remote.name
            os.replace(temporary, final)
            return DownloadedFile(remote.name, final, received, digests["sha256"].hexdigest())
        except (httpx.TransportError, httpx.HTTPStatusError) as error:
            last_error = error
            os.unlink(temporary)
            time.sleep(backoff * (2**attempt))
        except BaseException:
            os.unlink(temporary)
            raise
    raise ResolverError(f"{remote.name}: download failed after {attempts} attempts ({last_error}).")
