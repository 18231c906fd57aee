"""Human Organ Atlas (HiP-CT at the ESRF): a dataset's DOI or name to its metadata, from hoa-tools.

The PyPI package hoa-tools 2.0.0 (requirements-data.txt, installed without its dependencies) ships one
JSON file per public dataset in `hoa_tools/data/metadata/metadata/<name>.json`, schema
`metadata_version` 1.1 (generated models in `hoa_tools/metadata.py`):

    name, dataset_type ("overview"/"zoom"), voi,
    data {shape [3], voxel_size_um, gcs_url ("n5://gs://…" or "zarr://gs://…")},
    sample {organ, organ_context, fixation_*, scan_temperature, …},
    donor {id, age, sex, …}, scan {date, beamline, energy (keV), n_frames, exposure_time, scan_type,
    scan_range, n_scans, acquisition, filters, scintillator, optic, pixel_size, technique, …},
    proposal {proposal_number, title, proposers}, registration, citation {title, contributors,
    doi ("10.15151/ESRF-DC-…", null for a few), author_list}.

We read those files where the package installed them (importlib.metadata's locate_file), never
importing hoa_tools itself. The volumes are chunked N5/OME-Zarr arrays in Google Cloud Storage, tens of
gigabytes at full resolution; even their downsampled levels are directories of chunks, not single files
with a known size. So no file is listed: the notes say why, and where to read the data in a notebook.
The metadata carries no licence; the DOI's landing page states it.
"""

import json
import math
import re
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import httpx

from .base import RemoteDataset, ResolverError

PACKAGE = "hoa-tools"
METADATA_PATH = "hoa_tools/data/metadata/metadata"
DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:)", re.IGNORECASE)
DONOR_FIELDS = ("id", "age", "sex")  # the rest (medical history, cause of death) is not shown to trainers


def metadata_dir() -> Path:
    try:
        distribution = metadata.distribution(PACKAGE)
    except metadata.PackageNotFoundError as error:
        raise ResolverError(
            "The Human Organ Atlas metadata (hoa-tools, requirements-data.txt) is not installed."
        ) from error
    return Path(distribution.locate_file(METADATA_PATH))


@lru_cache(maxsize=4)
def _load(directory: str) -> dict[str, dict]:
    entries = {}
    for path in sorted(Path(directory).glob("*.json")):
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as error:
            raise ResolverError(f"The Human Organ Atlas metadata file {path.name} is not valid JSON.") from error
        if not isinstance(entry, dict) or not isinstance(entry.get("data"), dict):
            raise ResolverError(f"The Human Organ Atlas metadata file {path.name} is not in the expected shape.")
        entries[str(entry.get("name") or path.stem)] = entry
    if not entries:
        raise ResolverError(f"No Human Organ Atlas metadata files were found in {directory}.")
    return entries


def entries(directory: Path | None = None) -> dict[str, dict]:
    return _load(str(directory or metadata_dir()))


def find(reference: str, directory: Path | None = None) -> list[dict]:
    """The entries a DOI or dataset name names: one, several (a DOI shared by two datasets) or none."""
    wanted = DOI_PREFIX.sub("", reference.strip()).lower()
    known = entries(directory)
    by_name = [entry for name, entry in known.items() if name.lower() == wanted]
    if by_name:
        return by_name
    return [entry for entry in known.values() if str((entry.get("citation") or {}).get("doi") or "").lower() == wanted]


def knows(reference: str) -> bool:
    try:
        return bool(find(reference))
    except ResolverError:
        return False


def _storage_url(gcs_url: str) -> str:
    """The public HTTPS address of the bucket prefix that holds the chunks."""
    path = re.sub(r"^(?:n5|zarr)://gs://", "", gcs_url)
    return f"https://storage.googleapis.com/{path}" if path != gcs_url else ""


def parse(entry: dict) -> RemoteDataset:
    data, sample, scan = entry.get("data") or {}, entry.get("sample") or {}, entry.get("scan") or {}
    donor, citation = entry.get("donor") or {}, entry.get("citation") or {}
    shape = [int(value) for value in data.get("shape") or []]
    voxels = math.prod(shape) if shape else 0
    organ = " ".join(str(part) for part in (sample.get("organ"), sample.get("organ_context")) if part)
    voxel = data.get("voxel_size_um")
    description = (
        f"{scan.get('technique') or 'Synchrotron tomography'} of the {organ or 'organ'} of donor {donor.get('id', '?')}"
        f" ({entry.get('dataset_type', 'dataset')}, {entry.get('voi', '')}), {voxel} µm voxels, "
        f"{' × '.join(str(value) for value in shape) or 'unknown'} voxels, scanned on ESRF {scan.get('beamline', '')}"
        + (f" at {scan['energy']} keV" if scan.get("energy") else "")
        + (f" on {scan['date']}" if scan.get("date") else "")
        + "."
    )
    notes = (
        f"The full-resolution volume ({voxels:,} voxels, about {voxels * 2 / 1e9:.0f} GB at 16 bits per voxel) is far "
        "too large to copy into panlearn, and its downsampled levels are chunked N5/OME-Zarr arrays in Google Cloud "
        "Storage, not single files of known size, so no file is listed. Read a downsampled level in a notebook with "
        "hoa-tools (get_dataset(name).data_array(downsample_level=n)); the licence is stated on the DOI's landing page."
    )
    if not citation.get("doi"):
        notes += " This dataset has no DOI yet; it is known by its name."
    return RemoteDataset(
        source="hoa",
        reference=str(entry.get("name", "")),
        title=citation.get("title") or str(entry.get("name", "")),
        description=description,
        licence="",
        creators=[str(name) for name in citation.get("author_list") or []]
        or [
            f"{person.get('first_name', '')} {person.get('last_name', '')}".strip()
            for person in citation.get("contributors") or []
            if isinstance(person, dict)
        ],
        doi=str(citation.get("doi") or ""),
        files=[],
        facility="ESRF",
        instrument=str(scan.get("beamline") or ""),
        technique=str(scan.get("technique") or scan.get("experiment_type") or ""),
        extra={
            "name": entry.get("name", ""),
            "organ": sample.get("organ", ""),
            "organ_context": sample.get("organ_context") or "",
            "dataset_type": entry.get("dataset_type", ""),
            "voi": entry.get("voi", ""),
            "voxel_size_um": voxel,
            "shape": shape,
            "voxels": voxels,
            "beamline": scan.get("beamline", ""),
            "donor": {key: donor.get(key) for key in DONOR_FIELDS},
            "sample": {key: value for key, value in sample.items() if value is not None},
            "scan": {key: value for key, value in scan.items() if value is not None},
            "proposal": (entry.get("proposal") or {}).get("proposal_number", ""),
            "storage_url": _storage_url(str(data.get("gcs_url", ""))),
            "data_url": data.get("gcs_url", ""),
            "metadata_version": entry.get("metadata_version", ""),
            "metadata_package": f"{PACKAGE} {_version()}",
        },
        notes=notes,
    )


def _version() -> str:
    try:
        return metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:
        return "(not installed)"


def resolve(
    client: httpx.Client | None, reference: str, *, base_url: str | None = None, directory: Path | None = None
) -> RemoteDataset:
    """Nothing is fetched: `client` and `base_url` are accepted for the common resolver signature."""
    if not reference.strip():
        raise ResolverError("Give a Human Organ Atlas DOI (10.15151/ESRF-DC-…) or dataset name.")
    found = find(reference, directory)
    if not found:
        raise ResolverError(f"The Human Organ Atlas metadata has no dataset with DOI or name “{reference[:100]}”.")
    if len(found) > 1:
        names = ", ".join(sorted(str(entry.get("name")) for entry in found))
        raise ResolverError(
            f"The DOI {reference.strip()} covers several Human Organ Atlas datasets; pick one by name: {names}."
        )
    return parse(found[0])
