"""SciCat: a published-data DOI to its datasets (pidArray) and their files (origdatablocks).

Shapes followed, from SciCatProject/scicat-backend-next:

- `GET /api/v3/publisheddata/{doi}` (src/published-data/published-data.controller.ts, schemas/
  published-data.schema.ts): {doi, title, abstract, creator [names], authors, publisher, publicationYear,
  resourceType, url (landing page), downloadLink ("URL pointing to page from which data can be
  downloaded"), numberOfFiles, sizeOfArchive, pidArray}. An unknown DOI answers 200 with an empty body
  (the controller returns null); older LoopBack backends answer 404. A v4 backend serves the v3 route
  through its v4-to-v3 interceptor, and its native shape (datasetPids, metadata.creators[].name,
  metadata.publisher.name, metadata.downloadLink; dto/published-data.obsolete.dto.ts) is read too.
- `GET /api/v3/datasets/{pid}` (datasets controller, pid URL-encoded): {pid, datasetName, description,
  creationLocation, principalInvestigator, owner, license, techniques [{pid, name}], instrumentId,
  sourceFolder, size, numberOfFiles, type, keywords}.
- `GET /api/v3/datasets/{pid}/origdatablocks` (schemas/origdatablock.schema.ts, common/schemas/
  datafile.schema.ts): [{datasetId, size, chkAlg, dataFileList [{path (relative to the dataset folder),
  size, time, chk, uid, gid, perm}]}].

SciCat publishes one download link per publication, not per file: files are offered at
`downloadLink/<path>` (how PSI's and ESS's public download pages lay files out); with no downloadLink the
files are listed in `extra` and the notes say they cannot be fetched. Checksums are kept when `chkAlg`
is md5 or sha256, the algorithms our downloader verifies.
"""

from urllib.parse import quote

import httpx

from .base import RemoteDataset, RemoteFile, ResolverError, fetch_json, safe_name

SOURCE = "SciCat"
MAX_DATASETS = 25
CHECKED = {"md5": "md5", "sha256": "sha256", "sha-256": "sha256", "sha2": "sha256"}


def _doi(reference: str) -> str:
    doi = reference.strip()
    for prefix in ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "doi:"):
        if doi.lower().startswith(prefix):
            doi = doi[len(prefix) :]
    if not doi.startswith("10.") or "/" not in doi:
        raise ResolverError(f"“{reference[:100]}” is not a DOI (10.prefix/suffix) of SciCat published data.")
    return doi


def _names(value) -> list[str]:
    names = []
    for item in value or []:
        name = item.get("name", "") if isinstance(item, dict) else str(item or "")
        if name and name not in names:
            names.append(name)
    return names


def _published(payload: dict) -> dict:
    """The v3 fields, read from either shape."""
    metadata = payload.get("metadata") if isinstance(payload.get("metadata"), dict) else {}
    publisher = payload.get("publisher") or metadata.get("publisher") or ""
    return {
        "doi": payload.get("doi", ""),
        "title": payload.get("title", ""),
        "abstract": payload.get("abstract", ""),
        "creators": _names(
            [*(payload.get("creator") or metadata.get("creators") or []), *(payload.get("authors") or [])]
        ),
        "publisher": publisher.get("name", "") if isinstance(publisher, dict) else str(publisher),
        "pids": list(payload.get("pidArray") or payload.get("datasetPids") or []),
        "download": str(payload.get("downloadLink") or metadata.get("downloadLink") or ""),
        "url": str(payload.get("url") or metadata.get("url") or metadata.get("landingPage") or ""),
        "year": payload.get("publicationYear") or metadata.get("publicationYear") or "",
        "resource_type": payload.get("resourceType") or metadata.get("resourceType") or "",
        "data_description": payload.get("dataDescription") or metadata.get("dataDescription") or "",
    }


def _fetch_dataset(client: httpx.Client, api: str, pid: str) -> tuple[dict, list]:
    quoted = quote(pid, safe="")
    dataset = fetch_json(
        client,
        "GET",
        f"{api}/datasets/{quoted}",
        source=SOURCE,
        not_found=f"SciCat lists dataset {pid} in the publication but has no such dataset.",
    )
    if not isinstance(dataset, dict):
        raise ResolverError(f"SciCat lists dataset {pid} in the publication but has no such public dataset.")
    blocks = fetch_json(
        client,
        "GET",
        f"{api}/datasets/{quoted}/origdatablocks",
        source=SOURCE,
        not_found=f"SciCat has no file list for dataset {pid}.",
    )
    if blocks is not None and not isinstance(blocks, list):
        raise ResolverError("SciCat answered a file listing with something that is not a list.")
    return dataset, blocks or []


def parse(published: dict, datasets: list[tuple[dict, list]], *, reference: str) -> RemoteDataset:
    files: list[RemoteFile] = []
    listed: list[dict] = []
    names: set[str] = set()
    link = published["download"].rstrip("/")
    for dataset, blocks in datasets:
        for block in blocks:
            algorithm = CHECKED.get(str(block.get("chkAlg") or "").lower(), "")
            for item in block.get("dataFileList") or []:
                path = str(item.get("path") or "").lstrip("/")
                name = safe_name(path)
                if not name:
                    continue
                if name in names:
                    name = f"{safe_name(str(dataset.get('pid', '')))}-{name}"
                names.add(name)
                size = int(item.get("size") or 0)
                listed.append({"dataset": dataset.get("pid", ""), "path": path, "size": size})
                if link:
                    checksum = f"{algorithm}:{item['chk']}" if algorithm and item.get("chk") else ""
                    files.append(RemoteFile(name=name, url=f"{link}/{quote(path)}", size=size, checksum=checksum))
    techniques = [technique for dataset, _ in datasets for technique in dataset.get("techniques") or []]
    notes = []
    if link:
        notes.append(f"SciCat publishes one download page ({link}); file links are that page plus each file's path.")
    elif listed:
        notes.append(
            f"SciCat lists {len(listed)} file(s) but the publication has no download link, so panlearn "
            "cannot fetch them; download them from the landing page."
        )
    if not listed:
        notes.append("SciCat lists no files for this publication.")
    licences = _names(dataset.get("license") for dataset, _ in datasets)
    return RemoteDataset(
        source="scicat",
        reference=reference,
        title=published["title"] or (datasets[0][0].get("datasetName") if datasets else "") or reference,
        description=published["abstract"] or (datasets[0][0].get("description", "") if datasets else ""),
        licence="; ".join(licences),
        creators=published["creators"],
        doi=published["doi"] or reference,
        files=files,
        facility=published["publisher"],
        instrument="; ".join(_names(dataset.get("creationLocation") for dataset, _ in datasets)),
        technique="; ".join(_names(techniques)),
        extra={
            "landing_page": published["url"],
            "download_page": link,
            "publication_year": published["year"],
            "resource_type": published["resource_type"],
            "data_description": published["data_description"],
            "datasets": [
                {
                    "pid": dataset.get("pid", ""),
                    "name": dataset.get("datasetName", ""),
                    "instrument_id": dataset.get("instrumentId", ""),
                    "type": dataset.get("type", ""),
                    "principal_investigator": dataset.get("principalInvestigator", ""),
                    "size": dataset.get("size"),
                    "keywords": dataset.get("keywords") or [],
                }
                for dataset, _ in datasets
            ],
            "listed_files": listed,
        },
        notes=" ".join(notes),
    )


def resolve(client: httpx.Client, reference: str, *, base_url: str = "https://scicat.ess.eu/api/v3") -> RemoteDataset:
    doi = _doi(reference)
    api = base_url.rstrip("/")
    missing = f"SciCat has no published data with DOI {doi}."
    payload = fetch_json(client, "GET", f"{api}/publisheddata/{quote(doi, safe='')}", source=SOURCE, not_found=missing)
    if not payload:
        raise ResolverError(missing)
    if not isinstance(payload, dict):
        raise ResolverError("SciCat answered with published data that is not a JSON object.")
    published = _published(payload)
    if not published["pids"]:
        raise ResolverError(f"The SciCat publication {doi} lists no datasets.")
    datasets = [_fetch_dataset(client, api, pid) for pid in published["pids"][:MAX_DATASETS]]
    dataset = parse(published, datasets, reference=doi)
    if len(published["pids"]) > MAX_DATASETS:
        dataset.notes += f" Only the first {MAX_DATASETS} of its {len(published['pids'])} datasets are listed."
    return dataset
