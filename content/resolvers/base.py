"""What every remote source resolves to, and the safe downloader they share."""

import hashlib
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from panlearn.outbound import PublicOnlyTransport, RefusedAddress, resolve_public


class ResolverError(Exception):
    """A source could not give us the dataset; the message says why in plain words."""


def refuse_local_addresses(request: httpx.Request) -> None:
    """An httpx request hook (it runs for every redirect too): only https to public addresses.

    File URLs come from a remote record that anyone can publish; without this a record could make
    the server fetch its own services (127.0.0.1, the cloud metadata address, the intranet) and
    serve the answer as a dataset file. Tests, whose sources are loopback servers, turn it off.
    """
    url = request.url
    if url.scheme != "https":
        raise ResolverError(f"Refusing {url.scheme}:// addresses from a remote source ({url.host}); only https.")
    try:
        resolve_public(url.host, url.port or 443)
    except RefusedAddress as error:
        raise ResolverError(str(error)) from None


def source_client(*, timeout: float, allow_local: bool = False) -> httpx.Client:
    """The HTTP client for remote sources: a timeout, redirects followed, local addresses refused.

    The hook says in plain words why an address is refused; the transport is what holds: it connects to
    the address it checked, so a name that resolves elsewhere the second time (DNS rebinding) gains nothing.
    """
    hooks = {} if allow_local else {"request": [refuse_local_addresses]}
    transport = None if allow_local else PublicOnlyTransport(schemes=("https",))
    return httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=True, headers={"User-Agent": "panlearn"},
                        event_hooks=hooks, transport=transport)  # fmt: skip


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
    facility: str = ""  # free text as the source names it ("ESRF", "ILL"); mapped to our facilities later
    instrument: str = ""  # beamline or instrument, free text ("ID19", "D22")
    technique: str = ""  # free text, several joined with "; "
    extra: dict = field(default_factory=dict)  # source-specific metadata shown to trainers (JSON-serialisable)
    notes: str = ""  # what the source could not give (no download links, files too large, links that expire)


def fetch_json(client: httpx.Client, method: str, url: str, *, source: str, not_found: str, **kwargs):
    """One request to a source, answered with its parsed JSON or a ResolverError in plain words.

    `not_found` is the message for HTTP 404. An empty body is returned as None (SciCat answers an unknown
    id with 200 and nothing), so callers decide what "nothing" means.
    """
    headers = {"Accept": "application/json", **kwargs.pop("headers", {})}
    try:
        response = client.request(method, url, headers=headers, **kwargs)
    except httpx.TransportError as error:
        raise ResolverError(f"{source} could not be reached ({error.__class__.__name__}); try again later.") from error
    if response.status_code == 404:
        raise ResolverError(not_found)
    if response.status_code in (401, 403):
        raise ResolverError(f"{source} refused access (HTTP {response.status_code}); the data may not be public yet.")
    if response.status_code not in (200, 201):
        raise ResolverError(f"{source} answered HTTP {response.status_code}; try again later.")
    if not response.content.strip():
        return None
    try:
        return response.json()
    except ValueError as error:
        raise ResolverError(f"{source} answered with something that is not JSON.") from error


def safe_name(path: str) -> str:
    """The last part of a source's file path, usable as a file name in our cache."""
    name = path.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    return "" if name in (".", "..") else name


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
                if response.status_code in (401, 403):
                    raise ResolverError(
                        f"{remote.name}: the source refused the download (HTTP {response.status_code}); "
                        "its link may have expired: look the DOI up again."
                    )
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
