"""PaNOSC Search API: a document DOI, or a dataset pid, to metadata and the files it lists.

Shapes followed (LoopBack 3 and 4 implementations of the same data model):

- panosc-eu/search-api, doc/data-model.md and doc/api-calls.md: `GET /documents?filter=…` and
  `GET /datasets/{pid}?filter=…`, the `filter` query parameter a JSON LoopBack filter with `where` and
  `include: [{"relation": …, "scope": {"include": […]}}]`; Document (pid, type, title, summary, doi,
  license as SPDX, keywords, members → person), Dataset (pid, title, size, creationDate, files,
  instrument, techniques, parameters), File (id, name, path, size), Instrument (pid, name, facility),
  Technique (pid, name).
- ILLGrenoble/panosc-search-api src/models/*.model.ts (LoopBack 4): Person.fullName/firstName/lastName,
  Member.role, Dataset.document (singular), 404 for an unknown id.
- SciCatProject/panosc-search-api common/response-mapper.js: files from SciCat origdatablocks as
  {id, name, path, size}, members as {person: {fullName}}, instrument {pid, name, facility}.
- panosc-eu/panosc-federated-search-service docs: the federated API adds `provider` to each result.

The Search API publishes no download links: a file is {name, path, size}. Files become downloadable
only through an operator-given `download_template`; without one they are listed in `extra` and the
notes say plainly that panlearn cannot fetch them.
"""

import json
import re
from urllib.parse import quote

import httpx

from .base import RemoteDataset, RemoteFile, ResolverError, fetch_json, safe_name

SOURCE = "The PaNOSC search API"
DOI = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:)?(10\.\d{4,9}/\S+)$", re.IGNORECASE)
DATASET_INCLUDE = [
    {"relation": "files"},
    {"relation": "instrument"},
    {"relation": "techniques"},
    {"relation": "parameters"},
]
DOCUMENT_INCLUDE = [
    {"relation": "members", "scope": {"include": [{"relation": "person"}]}},
    {"relation": "datasets", "scope": {"include": DATASET_INCLUDE}},
]


def _filter(value: dict) -> dict:
    return {"filter": json.dumps(value, separators=(",", ":"))}


def person_name(person: dict) -> str:
    if not isinstance(person, dict):
        return ""
    full = person.get("fullName") or person.get("fullname") or person.get("name")
    if full:
        return str(full)
    given = person.get("firstName") or person.get("givenName") or ""
    family = person.get("lastName") or person.get("familyName") or ""
    return f"{given} {family}".strip()


def _unique(values) -> list[str]:
    seen: list[str] = []
    for value in values:
        value = str(value or "").strip()
        if value and value not in seen:
            seen.append(value)
    return seen


def _file_url(template: str, *, dataset: dict, doi: str, item: dict) -> str:
    return template.format(
        pid=quote(str(dataset.get("pid", "")), safe=""),
        doi=quote(doi, safe=""),
        path=quote(str(item.get("path") or "").strip("/")),
        name=quote(str(item.get("name") or "")),
    )


def parse(
    datasets: list[dict], *, reference: str, document: dict | None = None, download_template: str = ""
) -> RemoteDataset:
    document = document or {}
    if not document:  # a dataset fetched by pid may embed its document (LoopBack 4: `document`)
        embedded = datasets[0].get("document") or datasets[0].get("documents") or {}
        document = (embedded[0] if embedded else {}) if isinstance(embedded, list) else embedded
    doi = str(document.get("doi") or "").strip()
    files: list[RemoteFile] = []
    listed: list[dict] = []
    for dataset in datasets:
        for item in dataset.get("files") or []:
            name = safe_name(str(item.get("name") or ""))
            if not name:
                continue
            entry = {
                "dataset": dataset.get("pid", ""),
                "name": name,
                "path": item.get("path") or "",
                "size": int(item.get("size") or 0),
            }
            listed.append(entry)
            if download_template:
                url = _file_url(download_template, dataset=dataset, doi=doi, item=item)
                files.append(RemoteFile(name=name, url=url, size=entry["size"]))
    instruments = [dataset.get("instrument") or {} for dataset in datasets]
    techniques = [technique for dataset in datasets for technique in dataset.get("techniques") or []]
    members = document.get("members") or []
    notes = ""
    if listed and not download_template:
        notes = (
            f"The PaNOSC search API lists {len(listed)} file(s) but publishes no download links, so panlearn "
            "cannot fetch them; ask the facility for a download address "
            "(PANLEARN_CONTENT_PANOSC_DOWNLOAD_TEMPLATE) or download them from its portal."
        )
    elif not listed:
        notes = "The PaNOSC search API lists no files for this entry."
    return RemoteDataset(
        source="panosc",
        reference=reference,
        title=document.get("title") or datasets[0].get("title") or reference,
        description=document.get("summary") or "",
        licence=str(document.get("license") or ""),
        creators=_unique(person_name(member.get("person") or {}) for member in members if isinstance(member, dict)),
        doi=doi,
        files=files,
        facility="; ".join(_unique(instrument.get("facility") for instrument in instruments)),
        instrument="; ".join(_unique(instrument.get("name") for instrument in instruments)),
        technique="; ".join(_unique(technique.get("name") for technique in techniques if isinstance(technique, dict))),
        extra={
            "document_pid": document.get("pid", ""),
            "document_type": document.get("type", ""),
            "keywords": document.get("keywords") or [],
            "provider": document.get("provider") or datasets[0].get("provider") or "",
            "datasets": [
                {
                    "pid": dataset.get("pid", ""),
                    "title": dataset.get("title", ""),
                    "size": dataset.get("size"),
                    "creationDate": dataset.get("creationDate", ""),
                    "parameters": [
                        {key: parameter.get(key) for key in ("name", "value", "unit")}
                        for parameter in dataset.get("parameters") or []
                    ],
                }
                for dataset in datasets
            ],
            "technique_pids": _unique(technique.get("pid") for technique in techniques if isinstance(technique, dict)),
            "members": [
                {"name": person_name(member.get("person") or {}), "role": member.get("role", "")}
                for member in members
                if isinstance(member, dict)
            ],
            "listed_files": listed,
        },
        notes=notes,
    )


def _document_by_doi(client: httpx.Client, api: str, doi: str) -> dict | None:
    payload = fetch_json(
        client,
        "GET",
        f"{api}/documents",
        params=_filter({"where": {"doi": doi}, "include": DOCUMENT_INCLUDE}),
        source=SOURCE,
        not_found=f"The PaNOSC search API at {api} has no documents endpoint.",
    )
    if payload is None:
        return None
    if not isinstance(payload, list):
        raise ResolverError("The PaNOSC search API answered a search with something that is not a list.")
    # Only an exact DOI match counts: a catalogue that ignored the `where` would answer anything.
    matches = [item for item in payload if isinstance(item, dict) and str(item.get("doi", "")).lower() == doi.lower()]
    return matches[0] if matches else None


def resolve(
    client: httpx.Client,
    reference: str,
    *,
    base_url: str = "https://federated.scicat.ess.eu/api",
    download_template: str = "",
) -> RemoteDataset:
    reference = reference.strip()
    if not reference:
        raise ResolverError("Give a DOI or a dataset pid to look up in the PaNOSC search API.")
    api = base_url.rstrip("/")
    match = DOI.match(reference)
    if match:
        doi = match.group(1)
        document = _document_by_doi(client, api, doi)
        if document is not None:
            datasets = [item for item in document.get("datasets") or [] if isinstance(item, dict)]
            if not datasets:
                raise ResolverError(f"The PaNOSC document {doi} lists no datasets.")
            return parse(datasets, reference=doi, document=document, download_template=download_template)
        reference = doi  # some facilities use the DOI as a dataset pid
    dataset = fetch_json(
        client,
        "GET",
        f"{api}/datasets/{quote(reference, safe='')}",
        params=_filter({"include": DATASET_INCLUDE}),
        source=SOURCE,
        not_found=f"The PaNOSC search API knows no document or dataset “{reference[:100]}”.",
    )
    if not dataset:
        raise ResolverError(f"The PaNOSC search API knows no document or dataset “{reference[:100]}”.")
    if not isinstance(dataset, dict):
        raise ResolverError("The PaNOSC search API answered with a dataset that is not a JSON object.")
    return parse([dataset], reference=reference, download_template=download_template)
