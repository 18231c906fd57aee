"""Public dataset pages: provenance, files, how to cite, schema.org JSON-LD, downloads."""

import hashlib
import json
import re

import pytest

from content.bundled import BUNDLED_DATASETS
from content.metadata import citation_bibtex
from content.models import Dataset
from content.services import dataset_sync_bundled

pytestmark = pytest.mark.django_db


@pytest.fixture
def chopper():
    dataset_sync_bundled(BUNDLED_DATASETS)
    return Dataset.objects.get(slug="ipns-lrmecs-mgb2")


def test_dataset_list_and_empty_state(client):
    assert "No datasets yet" in client.get("/datasets/").text
    dataset_sync_bundled(BUNDLED_DATASETS)
    response = client.get("/datasets/")
    assert all(spec["title"] in response.text for spec in BUNDLED_DATASETS)


def test_dataset_page_shows_provenance_files_and_citation(client, chopper):
    response = client.get(f"/datasets/{chopper.slug}/")
    assert response.status_code == 200
    for text in ("IPNS", "LRMECS", "chopper.nxs", chopper.files.get().sha256, "@misc{", f"/data/{chopper.slug}/"):
        assert text in response.text


def test_json_ld_is_a_schema_org_dataset(client, chopper):
    html = client.get(f"/datasets/{chopper.slug}/").text
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1))
    assert data["@type"] == "Dataset"
    assert data["license"] == f"https://spdx.org/licenses/{chopper.licence}.html"
    assert data["distribution"][0]["contentUrl"].endswith(f"/datasets/{chopper.slug}/files/chopper.nxs")
    assert data["measurementTechnique"].startswith("http://purl.org/pan-science/PaNET/")


def test_json_ld_cannot_close_its_script_element(client, chopper):
    chopper.description = "evil </script><script>alert(1)</script>"
    chopper.save()
    html = client.get(f"/datasets/{chopper.slug}/").text
    assert "</script><script>alert(1)" not in html


def test_bibtex_escapes_special_characters(chopper):
    chopper.title = "MgB2 at 8 K & 50% {flux}"
    assert r"8 K \& 50\% \{flux\}" in citation_bibtex(chopper)


def test_file_download_is_the_registered_bytes(client, chopper):
    record = chopper.files.get()
    response = client.get(f"/datasets/{chopper.slug}/files/{record.name}")
    assert response.status_code == 200
    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == record.sha256


@pytest.mark.parametrize("name", ["nope.nxs", "..%2F..%2Fsettings.py", "SHA256SUMS"])
def test_only_registered_files_are_served(client, chopper, name):
    assert client.get(f"/datasets/{chopper.slug}/files/{name}").status_code == 404


def test_unknown_dataset_is_a_404(client):
    assert client.get("/datasets/no-such-data/").status_code == 404
