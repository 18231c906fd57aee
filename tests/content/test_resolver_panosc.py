"""The PaNOSC Search API resolver against a loopback server answering in the Search API's shapes.

Recorded shapes: panosc-eu/search-api doc/data-model.md and doc/*-example-queries.md, the LoopBack 4
models of ILLGrenoble/panosc-search-api and the SciCat mapping (SciCatProject/panosc-search-api
common/response-mapper.js); the federated service adds `provider`.
"""

import json

import httpx
import pytest

from content.resolvers.base import ResolverError
from content.resolvers.panosc import resolve
from tests.content.loopback import NOT_FOUND, LoopbackServer, Reply

DOI = "10.5291/ILL-DATA.9-10-1567"
DATASET_PID = "20.500.12269/panosc-dataset1"
CURVE = b"# Q I dI\n0.01 120.0 1.1\n0.02 80.5 0.9\n"


def dataset(pid: str = DATASET_PID) -> dict:
    return {
        "pid": pid,
        "title": "SANS of micelles, 5 m",
        "isPublic": True,
        "size": len(CURVE),
        "creationDate": "2021-03-10T22:00:00.000Z",
        "score": 0,
        "files": [
            {"id": "49rjgro3w30ropur048eog210", "name": "curve.dat", "path": "/rawdata/9-10-1567",
             "size": len(CURVE), "datasetId": pid},
        ],
        "instrument": {"pid": "20.500.12269/0f98fcf2-7bd7-430e-ad20-d47031ca8f71", "name": "D22", "facility": "ILL"},
        "techniques": [{"pid": "http://purl.org/pan-science/PaNET/PaNET01188",
                        "name": "small angle neutron scattering"}],
        "parameters": [{"id": 1, "name": "wavelength", "value": 6, "unit": "Å"}],
    }  # fmt: skip


def document() -> dict:
    return {
        "pid": DOI,
        "isPublic": True,
        "type": "proposal",
        "title": "Self-assembly of block copolymer micelles",
        "summary": "Contrast-variation SANS of micelles in D2O/H2O.",
        "doi": DOI,
        "startDate": "2021-03-08T08:00:00.000Z",
        "endDate": "2021-03-11T08:00:00.000Z",
        "releaseDate": "2024-03-11T08:00:00.000Z",
        "license": "CC-BY-4.0",
        "keywords": ["micelles", "SANS"],
        "score": 0,
        "provider": "https://data.ill.eu/api",
        "members": [
            {"id": 1, "role": "principal investigator", "person": {"id": "p1", "fullName": "Jane Doe", "orcid": None}},
            {"id": 2, "role": "co-investigator", "person": {"id": "p2", "firstName": "Max", "lastName": "Muster"}},
        ],
        "datasets": [dataset()],
    }


def respond(request):
    filters = json.loads(request.query.get("filter", "{}"))
    if request.path == "/api/documents":
        doi = filters.get("where", {}).get("doi")
        if doi == DOI:
            return Reply(body=[document()])
        if doi == "10.5291/ILL-DATA.0-00-0500":
            return Reply(500, {"error": {"statusCode": 500, "message": "Internal Server Error"}})
        if doi == "10.5291/ILL-DATA.0-00-0999":
            return Reply(body=[], delay=1.5)
        if doi == "10.5291/ILL-DATA.0-00-0666":
            return Reply(body=b"<html><body>Bad gateway</body></html>", content_type="text/html")
        return Reply(body=[])
    if request.path == "/api/datasets/20.500.12269%2Fpanosc-dataset1":
        return Reply(body=dataset())
    if request.path.startswith("/files/") and request.path.endswith("/curve.dat"):
        return Reply(body=CURVE, content_type="application/octet-stream")
    return NOT_FOUND


@pytest.fixture(scope="module")
def server():
    with LoopbackServer(respond) as running:
        yield running


@pytest.fixture
def http():
    with httpx.Client(timeout=0.5) as client:
        yield client


def test_a_document_doi_resolves_with_every_field(server, http):
    found = resolve(http, f"https://doi.org/{DOI}", base_url=f"{server.url}/api",
                    download_template=f"{server.url}/files/{{pid}}/{{path}}/{{name}}")  # fmt: skip
    assert (found.source, found.reference, found.doi) == ("panosc", DOI, DOI)
    assert found.title == "Self-assembly of block copolymer micelles"
    assert found.description.startswith("Contrast-variation SANS")
    assert found.licence == "CC-BY-4.0"
    assert found.creators == ["Jane Doe", "Max Muster"]
    assert (found.facility, found.instrument) == ("ILL", "D22")
    assert found.technique == "small angle neutron scattering"
    assert found.extra["provider"] == "https://data.ill.eu/api"
    assert found.extra["datasets"][0]["parameters"] == [{"name": "wavelength", "value": 6, "unit": "Å"}]
    assert [(item.name, item.size) for item in found.files] == [("curve.dat", len(CURVE))]
    assert found.files[0].url == f"{server.url}/files/20.500.12269%2Fpanosc-dataset1/rawdata/9-10-1567/curve.dat"
    assert found.notes == ""
    sent = json.loads([seen for seen in server.seen if seen.path == "/api/documents"][-1].query["filter"])
    assert sent["where"] == {"doi": DOI}
    assert {"relation": "files"} in sent["include"][1]["scope"]["include"]


def test_files_without_a_download_template_are_listed_but_not_downloadable(server, http):
    found = resolve(http, DOI, base_url=f"{server.url}/api")
    assert found.files == []
    assert found.extra["listed_files"] == [
        {"dataset": DATASET_PID, "name": "curve.dat", "path": "/rawdata/9-10-1567", "size": len(CURVE)}
    ]
    assert "publishes no download links" in found.notes


def test_a_dataset_pid_resolves_with_its_files_included(server, http):
    found = resolve(http, DATASET_PID, base_url=f"{server.url}/api")
    assert (found.reference, found.title, found.instrument) == (DATASET_PID, "SANS of micelles, 5 m", "D22")
    sent = json.loads(server.seen[-1].query["filter"])
    assert {"relation": "files"} in sent["include"]


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ("10.5291/ILL-DATA.0-00-0000", "knows no document or dataset"),
        ("20.500.12269/nothing-here", "knows no document or dataset"),
        ("10.5291/ILL-DATA.0-00-0500", "HTTP 500"),
        ("10.5291/ILL-DATA.0-00-0999", "could not be reached"),
        ("10.5291/ILL-DATA.0-00-0666", "not JSON"),
        ("  ", "Give a DOI"),
    ],
)
def test_source_errors_are_plain_messages(server, http, reference, message):
    with pytest.raises(ResolverError, match=message):
        resolve(http, reference, base_url=f"{server.url}/api")
