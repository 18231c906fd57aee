"""ESRF ICAT+: a DOI (10.15151/ESRF-ES-… experiment session, ESRF-DC-… data collection) to datasets and files.

Shapes followed, as used against https://icatplus.esrf.fr by public clients of its REST API
(https://icatplus.esrf.fr/api-docs/):

- `POST /session` with the data portal's anonymous account {"plugin": "db", "username": "reader",
  "password": "reader"} answers {"sessionId", "lifeTimeMinutes", "name", "isAdministrator", …}
  (EOSC data-transfer `parser/esrf/Esrf.java`, `EsrfSession.java`; an ESRF metalink generator script).
- `GET /doi/{prefix}/{suffix}/datasets?sessionId=…` answers a list of datasets {id, name, startDate,
  endDate, location, investigation {id, name, title, summary, doi, investigationInstruments
  [{instrument {name}}]}, parameters [{name, value}]}; an unknown DOI answers an empty list.
- `GET /doi/{prefix}/{suffix}/json-datacite` answers the DOI's DataCite JSON (creators, titles,
  descriptions, rightsList) (OSCARS PaN-Finder ESRF collectors).
- `GET /catalogue/{sessionId}/dataset/id/{datasetId}/datafile` answers [{"Datafile": {id, name, location,
  fileSize, createTime, modTime}}].
- Files download from `/catalogue/{sessionId}/data/download?datafileIds={id}`, the link the data portal
  shows; it redirects to the ICAT Data Service (ids.esrf.fr), so the downloading client must follow
  redirects, and it carries the anonymous session, which expires (lifeTimeMinutes).

ICAT+ publishes no file checksums for anonymous readers, so files carry none: the caller computes sha256
on the first download and pins it.
"""

import re

import httpx

from .base import RemoteDataset, RemoteFile, ResolverError, fetch_json, safe_name
from .zenodo import SPDX_CASE

SOURCE = "ESRF ICAT+"
ESRF_DOI = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:)?(10\.15151/ESRF-[A-Z]{2}-\d+)$", re.IGNORECASE)
ANONYMOUS = {"plugin": "db", "username": "reader", "password": "reader"}  # the ESRF data portal's public reader
MAX_DATASETS = 25  # datasets whose files are listed; an experiment session can hold hundreds


def esrf_doi(reference: str) -> str:
    match = ESRF_DOI.match(reference.strip())
    if not match:
        raise ResolverError(f"“{reference[:100]}” is not an ESRF DOI (10.15151/ESRF-ES-N or 10.15151/ESRF-DC-N).")
    prefix, _, suffix = match.group(1).partition("/")
    return f"{prefix}/{suffix.upper()}"


def _session(client: httpx.Client, api: str) -> tuple[str, float]:
    payload = fetch_json(
        client,
        "POST",
        f"{api}/session",
        json=ANONYMOUS,
        source=SOURCE,
        not_found=f"{SOURCE} at {api} offers no anonymous session.",
    )
    if not isinstance(payload, dict) or not payload.get("sessionId"):
        raise ResolverError(f"{SOURCE} gave no anonymous session; try again later.")
    return str(payload["sessionId"]), float(payload.get("lifeTimeMinutes") or 0)


def _datacite(client: httpx.Client, api: str, doi: str) -> dict:
    """The DOI's DataCite record, or {} when ICAT+ has none: titles and creators then come from the datasets."""
    try:
        response = client.get(f"{api}/doi/{doi}/json-datacite", headers={"Accept": "application/json"})
    except httpx.TransportError as error:
        raise ResolverError(f"{SOURCE} could not be reached ({error.__class__.__name__}); try again later.") from error
    try:
        payload = response.json() if response.status_code == 200 else {}
    except ValueError:
        return {}
    if isinstance(payload, dict) and isinstance(payload.get("data"), dict):  # DataCite REST API wrapping
        payload = payload["data"].get("attributes") or {}
    return payload if isinstance(payload, dict) else {}


def _creator(creator) -> str:
    if isinstance(creator, str):
        return creator
    if not isinstance(creator, dict):
        return ""
    if creator.get("name") or creator.get("creatorName"):
        name = creator.get("name") or creator.get("creatorName")
        return str(name.get("#text", "") if isinstance(name, dict) else name)
    return f"{creator.get('givenName', '')} {creator.get('familyName', '')}".strip()


def _first(items, key: str) -> str:
    for item in items or []:
        if isinstance(item, dict) and item.get(key):
            return str(item[key])
        if isinstance(item, str) and item:
            return item
    return ""


def _parameters(dataset: dict) -> dict[str, str]:
    return {
        str(item.get("name")): str(item.get("value", ""))
        for item in dataset.get("parameters") or []
        if isinstance(item, dict) and item.get("name")
    }


def _unique(values) -> list[str]:
    seen: list[str] = []
    for value in values:
        value = str(value or "").strip()
        if value and value not in seen:
            seen.append(value)
    return seen


def _files(client: httpx.Client, api: str, session: str, datasets: list[dict]) -> list[RemoteFile]:
    files: list[RemoteFile] = []
    names: set[str] = set()
    for dataset in datasets[:MAX_DATASETS]:
        payload = fetch_json(
            client,
            "GET",
            f"{api}/catalogue/{session}/dataset/id/{dataset['id']}/datafile",
            source=SOURCE,
            not_found=f"{SOURCE} has no file list for dataset {dataset['id']}.",
        )
        if not isinstance(payload, list):
            raise ResolverError(f"{SOURCE} answered a file listing with something that is not a list.")
        for item in payload:
            info = item.get("Datafile", item) if isinstance(item, dict) else {}
            name = safe_name(str(info.get("name") or info.get("location") or ""))
            if not (name and info.get("id") is not None):
                continue
            if name in names:  # the same file name in two datasets: keep both, told apart by dataset
                name = f"{safe_name(str(dataset.get('name', dataset['id'])))}-{name}"
            names.add(name)
            url = f"{api}/catalogue/{session}/data/download?datafileIds={info['id']}"
            files.append(RemoteFile(name=name, url=url, size=int(info.get("fileSize") or 0)))
    return files


def parse(datasets: list[dict], files: list[RemoteFile], *, doi: str, datacite: dict, lifetime: float) -> RemoteDataset:
    investigations = {}
    for dataset in datasets:
        investigation = dataset.get("investigation") or {}
        if isinstance(investigation, dict) and investigation.get("id") is not None:
            investigations[investigation["id"]] = investigation
    first = next(iter(investigations.values()), {})
    instruments = [
        (record.get("instrument") or {}).get("name")
        for investigation in investigations.values()
        for record in investigation.get("investigationInstruments") or []
        if isinstance(record, dict)
    ]
    parameters = [_parameters(dataset) for dataset in datasets]
    instruments += [dataset.get("instrumentName") for dataset in datasets]
    instruments += [values.get("InstrumentName") or values.get("instrumentName") for values in parameters]
    descriptions = datacite.get("descriptions") or []
    abstract = next(
        (
            item.get("description", "")
            for item in descriptions
            if isinstance(item, dict) and item.get("descriptionType", "Abstract") == "Abstract"
        ),
        "",
    )
    rights = datacite.get("rightsList") or []
    licence = _first(rights, "rightsIdentifier") or _first(rights, "rights")
    notes = [
        f"Download links carry an anonymous ICAT+ session that expires after about {lifetime:.0f} minutes; "
        "resolve the DOI again before downloading later. They redirect to the ESRF data service."
    ]
    if len(datasets) > MAX_DATASETS:
        notes.append(f"The DOI holds {len(datasets)} datasets; files are listed for the first {MAX_DATASETS} only.")
    if not files:
        notes.append("ICAT+ lists no files for this DOI (they may still be archived on tape or embargoed).")
    return RemoteDataset(
        source="icat",
        reference=doi,
        title=_first(datacite.get("titles"), "title") or first.get("title") or datasets[0].get("name") or doi,
        description=abstract or first.get("summary") or "",
        licence=SPDX_CASE.get(licence.lower(), licence),
        creators=_unique(_creator(creator) for creator in datacite.get("creators") or []),
        doi=doi,
        files=files,
        facility="ESRF",
        instrument="; ".join(_unique(instruments)),
        technique="; ".join(_unique(values.get("definition") for values in parameters)),
        extra={
            "proposal": "; ".join(_unique(investigation.get("name") for investigation in investigations.values())),
            "investigation_title": first.get("title", ""),
            "release_date": first.get("releaseDate", ""),
            "datasets": [
                {
                    "id": dataset.get("id"),
                    "name": dataset.get("name", ""),
                    "start": dataset.get("startDate", ""),
                    "sample": dataset.get("sampleName", "") or values.get("Sample_name", ""),
                    "definition": values.get("definition", ""),
                }
                for dataset, values in zip(datasets, parameters, strict=True)
            ],
        },
        notes=" ".join(notes),
    )


def resolve(client: httpx.Client, reference: str, *, base_url: str = "https://icatplus.esrf.fr") -> RemoteDataset:
    doi = esrf_doi(reference)
    api = base_url.rstrip("/")
    session, lifetime = _session(client, api)
    payload = fetch_json(
        client,
        "GET",
        f"{api}/doi/{doi}/datasets",
        params={"sessionId": session},
        source=SOURCE,
        not_found=f"ESRF ICAT+ knows no DOI {doi}.",
    )
    if payload is None or payload == []:
        raise ResolverError(f"ESRF ICAT+ has no public datasets for DOI {doi} (unknown, or still embargoed).")
    if not isinstance(payload, list):
        raise ResolverError(f"{SOURCE} answered a DOI lookup with something that is not a list.")
    datasets = [item for item in payload if isinstance(item, dict) and item.get("id") is not None]
    if not datasets:
        raise ResolverError(f"ESRF ICAT+ has no public datasets for DOI {doi} (unknown, or still embargoed).")
    files = _files(client, api, session, datasets)
    return parse(datasets, files, doi=doi, datacite=_datacite(client, api, doi), lifetime=lifetime)
