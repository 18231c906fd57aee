"""Zenodo records: a DOI (10.5281/zenodo.<id>) or record id to metadata and files.

Zenodo has answered in two shapes. The legacy API lists `files` with `links.self` under
`/api/files/<bucket>/<key>`; the InvenioRDM-based API (since 2023) lists them with
`/api/records/<id>/files/<key>/content` links, or, with the InvenioRDM media type, as
`files.entries` keyed by file name. Checksums are published as "md5:<hex>".
"""

import re

import httpx

from .base import RemoteDataset, RemoteFile, ResolverError

ZENODO_DOI = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/)?10\.5281/zenodo\.(\d+)$", re.IGNORECASE)
SPDX_CASE = {"cc-by-4.0": "CC-BY-4.0", "cc-by-sa-4.0": "CC-BY-SA-4.0", "cc0-1.0": "CC0-1.0", "mit": "MIT",
             "bsd-3-clause": "BSD-3-Clause", "cc-by-nc-4.0": "CC-BY-NC-4.0"}  # fmt: skip


def record_id(reference: str) -> str:
    reference = reference.strip()
    if reference.isdigit():
        return reference
    match = ZENODO_DOI.match(reference)
    if not match:
        raise ResolverError(f"“{reference[:100]}” is not a Zenodo DOI (10.5281/zenodo.N) or record number.")
    return match.group(1)


def _files(payload) -> list[RemoteFile]:
    raw = payload.get("files") or []
    if isinstance(raw, dict):  # InvenioRDM media type: {"enabled": true, "entries": {key: {...}}}
        raw = list((raw.get("entries") or {}).values())
    files = []
    for item in raw:
        links = item.get("links") or {}
        url = links.get("content") or links.get("self") or links.get("download")
        name = item.get("key") or item.get("filename")
        if not (url and name):
            continue
        files.append(RemoteFile(name=name, url=url, size=int(item.get("size") or item.get("filesize") or 0),
                                checksum=str(item.get("checksum") or "")))  # fmt: skip
    return files


def parse_record(payload: dict, *, reference: str) -> RemoteDataset:
    metadata = payload.get("metadata") or {}
    licence = metadata.get("license") or metadata.get("rights") or {}
    if isinstance(licence, list):
        licence = licence[0] if licence else {}
    licence_id = str(licence.get("id", "")) if isinstance(licence, dict) else str(licence)
    return RemoteDataset(
        source="zenodo",
        reference=reference,
        title=metadata.get("title") or payload.get("title") or f"Zenodo record {reference}",
        description=metadata.get("description", ""),
        licence=SPDX_CASE.get(licence_id.lower(), licence_id),
        creators=[creator.get("name", "") for creator in metadata.get("creators", []) if isinstance(creator, dict)],
        doi=payload.get("doi") or metadata.get("doi") or "",
        files=_files(payload),
    )


def resolve(client: httpx.Client, reference: str, *, base_url: str = "https://zenodo.org") -> RemoteDataset:
    number = record_id(reference)
    try:
        response = client.get(f"{base_url.rstrip('/')}/api/records/{number}", headers={"Accept": "application/json"})
    except httpx.TransportError as error:
        raise ResolverError(f"Zenodo could not be reached ({error.__class__.__name__}); try again later.") from error
    if response.status_code == 404:
        raise ResolverError(f"Zenodo has no record {number}.")
    if response.status_code != 200:
        raise ResolverError(f"Zenodo answered HTTP {response.status_code} for record {number}; try again later.")
    try:
        payload = response.json()
    except ValueError as error:
        raise ResolverError("Zenodo answered with something that is not JSON.") from error
    dataset = parse_record(payload, reference=number)
    if not dataset.files:
        raise ResolverError(f"Zenodo record {number} has no files that can be downloaded (restricted or empty).")
    return dataset
