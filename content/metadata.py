"""Pure functions turning a dataset into what people and machines cite: text, BibTeX, schema.org."""

import re

from courses import structured_data
from courses.vocabularies import TECHNIQUES_BY_KEY

from .models import Dataset

SPDX_URL = "https://spdx.org/licenses/{}.html"
FORMAT_MIME = {
    "hdf5": "application/x-hdf5",
    "nexus": "application/x-hdf5",
    "nxcanSAS": "application/x-hdf5",
    "text": "text/plain",
    "spec": "text/plain",
    "mca": "text/plain",
}


def citation_text(dataset: Dataset) -> str:
    if dataset.citation:
        return dataset.citation
    parts = [dataset.title]
    if dataset.facility or dataset.instrument:
        parts.append(", ".join(part for part in (dataset.facility, dataset.instrument) if part))
    if dataset.source_package:
        parts.append(f"distributed with {dataset.source_package} {dataset.source_version}".strip())
    parts.append(f"licence {dataset.licence}")
    if dataset.doi:
        parts.append(f"https://doi.org/{dataset.doi}")
    return ". ".join(parts) + "."


def _bibtex_escape(value: str) -> str:
    return re.sub(r"([{}%&#_$])", r"\\\1", value)


def citation_bibtex(dataset: Dataset) -> str:
    key = re.sub(r"[^a-z0-9]+", "", dataset.slug.lower())[:40] or "dataset"
    fields = [("title", dataset.title), ("note", f"Licence: {dataset.licence}")]
    if dataset.facility:
        fields.append(("organization", dataset.facility))
    if dataset.instrument:
        fields.append(("howpublished", f"Instrument: {dataset.instrument}"))
    if dataset.source_package:
        fields.append(("publisher", f"{dataset.source_package} {dataset.source_version}".strip()))
    if dataset.doi:
        fields.append(("doi", dataset.doi))
    body = ",\n".join(f"  {name} = {{{_bibtex_escape(value)}}}" for name, value in fields)
    return f"@misc{{{key},\n{body}\n}}"


def dataset_keywords(dataset: Dataset) -> list[str]:
    technique = TECHNIQUES_BY_KEY.get(dataset.technique)
    candidates = [technique.label if technique else "", dataset.facility, dataset.instrument, dataset.sample]
    return [word for word in candidates if word] + [structured_data.FIELD_KEYWORD]


def schema_org(dataset: Dataset, *, page_url: str, file_url) -> dict:
    """schema.org `Dataset` JSON-LD, following the Bioschemas Dataset profile (Google Dataset Search, TeSS
    and FAIR harvesters read it)."""
    data: dict = {
        "@context": structured_data.CONTEXT,
        "@type": "Dataset",
        "@id": page_url,
        "dct:conformsTo": structured_data.conforms_to("Dataset"),
        "name": dataset.title,
        # Bioschemas Dataset's minimum: name, description, identifier, keywords, license, url.
        "identifier": f"https://doi.org/{dataset.doi}" if dataset.doi else page_url,
        "keywords": ", ".join(dataset_keywords(dataset)),
        "description": dataset.description or dataset.title,
        "url": page_url,
        "license": SPDX_URL.format(dataset.licence),
        "isAccessibleForFree": True,
        "distribution": [
            {
                "@type": "DataDownload",
                "name": item.name,
                "contentUrl": file_url(item),
                "encodingFormat": FORMAT_MIME.get(item.format, "application/octet-stream"),
                "contentSize": f"{item.size} B",
            }
            for item in dataset.files.all()
        ],
    }
    technique = TECHNIQUES_BY_KEY.get(dataset.technique)
    if technique:
        data["measurementTechnique"] = technique.iri or technique.label
    if dataset.facility:
        data["provider"] = {"@type": "Organization", "name": dataset.facility}
    if dataset.citation:
        data["citation"] = dataset.citation
    return data
