"""Public dataset pages: provenance, files, how to cite, schema.org JSON-LD, downloads."""

import hashlib
import json
import re
from pathlib import Path

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


SITE_CSS = Path(__file__).resolve().parents[2] / "panlearn/static/panlearn/site.css"


def _css_colours(selector: str) -> dict[str, str]:
    """color and background of a rule in site.css, var(--name) resolved from :root."""
    css = SITE_CSS.read_text()
    variables = dict(re.findall(r"(--[\w-]+):\s*([^;]+);", css.split("}", 1)[0]))
    body = re.search(re.escape(selector) + r"\s*\{([^}]*)\}", css)
    assert body, f"no rule for {selector} in site.css"
    values = dict(re.findall(r"(?:^|;)\s*(color|background):\s*([^;]+)", body.group(1)))
    return {name: re.sub(r"var\((--[\w-]+)\)", lambda match: variables[match.group(1)], value).strip()
            for name, value in values.items()}  # fmt: skip


def _contrast(first: str, second: str) -> float:
    def luminance(colour: str) -> float:
        digits = colour.lstrip("#")
        digits = "".join(digit * 2 for digit in digits) if len(digits) == 3 else digits  # #fff
        channels = [int(digits[index : index + 2], 16) / 255 for index in (0, 2, 4)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(first), luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_file_tabs_mark_the_file_shown(client, chopper):
    def tabs(url):
        html = client.get(url).text
        nav = re.search(r'<nav class="file-tabs" aria-label="Files to explore">(.*?)</nav>', html, re.S).group(1)
        return re.findall(r"<a ([^>]*)>([^<]*)</a>", nav)

    shown = [name for attributes, name in tabs("/datasets/platypus-dmpc-bilayer/?view=c_PLP0016601.dat")
             if 'aria-current="page"' in attributes]  # fmt: skip
    assert shown == ["c_PLP0016601.dat"]
    first = tabs("/datasets/platypus-dmpc-bilayer/")
    assert [name for attributes, name in first if 'aria-current="page"' in attributes] == ["c_PLP0016596.dat"]


@pytest.mark.parametrize("selector", [".file-tabs a", '.file-tabs a[aria-current="page"]'])
def test_file_tabs_are_styled_with_readable_contrast(selector):
    colours = _css_colours(selector)
    assert _contrast(colours["color"], colours["background"]) >= 4.5, colours
    # The current tab looks different from the others, not only to screen readers.
    if "aria-current" in selector:
        assert colours != _css_colours(".file-tabs a")
