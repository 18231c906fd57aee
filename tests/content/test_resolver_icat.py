"""The ESRF ICAT+ resolver against a loopback server answering in ICAT+'s shapes, with a full download.

Recorded shapes: anonymous `POST /session`, `GET /doi/{prefix}/{suffix}/datasets?sessionId=`,
`/doi/…/json-datacite`, `/catalogue/{sessionId}/dataset/id/{id}/datafile` ([{"Datafile": {…}}]) and the
portal's download link redirecting to the ICAT Data Service, as public ICAT+ clients use them.
"""

import hashlib

import httpx
import pytest

from content.resolvers.base import ResolverError, download
from content.resolvers.icat import ANONYMOUS, esrf_doi, resolve
from tests.content.loopback import NOT_FOUND, LoopbackServer, Reply

SESSION = "0f6a1c52-3b0e-4d53-9d2a-7f1c9e8b2a11"
DOI = "10.15151/ESRF-ES-513237367"
SPECTRUM = b"# energy_keV counts\n2.01 12\n2.02 15\n2.03 31\n"


def investigation() -> dict:
    return {
        "id": 513237367,
        "name": "ES-1234",
        "title": "Sulfur speciation in historical pigments",
        "summary": "Micro-XRF and XANES maps of cross-sections.",
        "doi": DOI,
        "releaseDate": "2023-06-01T00:00:00.000+02:00",
        "investigationInstruments": [{"id": 7, "instrument": {"id": 3, "name": "ID21", "fullName": "ID21"}}],
    }


def datasets() -> list:
    return [
        {"id": 513237380, "name": "pigment_0001", "startDate": "2021-05-02T10:00:00.000+02:00",
         "endDate": "2021-05-02T10:20:00.000+02:00", "location": "/data/visitor/es1234/id21/pigment/pigment_0001",
         "investigation": investigation(), "sampleName": "pigment",
         "parameters": [{"id": 1, "name": "definition", "value": "XRF"},
                        {"id": 2, "name": "__fileCount", "value": "1"}]},
        {"id": 513237390, "name": "pigment_0002", "startDate": "2021-05-02T11:00:00.000+02:00",
         "location": "/data/visitor/es1234/id21/pigment/pigment_0002", "investigation": investigation(),
         "parameters": [{"id": 3, "name": "definition", "value": "XANES"}]},
    ]  # fmt: skip


def datacite() -> dict:
    return {
        "doi": DOI,
        "creators": [{"name": "Doe, Jane", "nameType": "Personal", "givenName": "Jane", "familyName": "Doe"},
                     {"givenName": "Max", "familyName": "Muster"}],
        "titles": [{"title": "Sulfur speciation in historical pigments (ES-1234)"}],
        "publisher": "European Synchrotron Radiation Facility",
        "publicationYear": 2023,
        "descriptions": [{"description": "Data of the experiment ES-1234 on ID21.", "descriptionType": "Abstract"}],
        "rightsList": [{"rights": "Creative Commons Attribution 4.0 International", "rightsIdentifier": "cc-by-4.0"}],
    }  # fmt: skip


def datafiles(dataset_id: str) -> list:
    if dataset_id == "513237380":
        return [
            {
                "Datafile": {
                    "id": 513237400,
                    "name": "pigment_0001/spectrum.dat",
                    "fileSize": len(SPECTRUM),
                    "location": "/data/visitor/es1234/id21/pigment/pigment_0001/spectrum.dat",
                    "createTime": "2021-05-02T10:20:00.000+02:00",
                    "modTime": "2021-05-02T10:20:00.000+02:00",
                }
            }
        ]
    return [{"Datafile": {"id": 513237401, "name": "spectrum.dat", "fileSize": len(SPECTRUM),
                          "location": "/data/visitor/es1234/id21/pigment/pigment_0002/spectrum.dat"}}]  # fmt: skip


def respond(request):
    if request.method == "POST" and request.path == "/session":
        if request.json() != ANONYMOUS:
            return Reply(403, {"message": "wrong credentials"})
        return Reply(body={"sessionId": SESSION, "lifeTimeMinutes": 119.98, "name": "reader", "username": "reader",
                           "isAdministrator": False, "isInstrumentScientist": False, "isMinter": False})  # fmt: skip
    if request.path.startswith("/doi/") and request.path.endswith("/datasets"):
        if request.query.get("sessionId") != SESSION:
            return Reply(403, {"message": "session required"})
        doi = request.path.removeprefix("/doi/").removesuffix("/datasets")
        return {
            DOI: Reply(body=datasets()),
            "10.15151/ESRF-ES-500": Reply(500, {"message": "Internal Server Error"}),
            "10.15151/ESRF-ES-999": Reply(body=[], delay=1.5),
            "10.15151/ESRF-ES-666": Reply(body=b"<html>Maintenance</html>", content_type="text/html"),
        }.get(doi, Reply(body=[]))
    if request.path == f"/doi/{DOI}/json-datacite":
        return Reply(body=datacite())
    if request.path.startswith(f"/catalogue/{SESSION}/dataset/id/") and request.path.endswith("/datafile"):
        return Reply(body=datafiles(request.path.split("/")[5]))
    if request.path == f"/catalogue/{SESSION}/data/download":
        target = f"/ids/getData?sessionId={SESSION}&datafileIds={request.query['datafileIds']}"
        return Reply(302, b"", content_type="text/plain", headers={"Location": f"{request.base}{target}"})
    if request.path == "/ids/getData" and request.query.get("sessionId") == SESSION:
        return Reply(body=SPECTRUM, content_type="application/octet-stream")
    return NOT_FOUND


@pytest.fixture(scope="module")
def server():
    with LoopbackServer(respond) as running:
        yield running


@pytest.fixture
def http():
    with httpx.Client(timeout=0.5, follow_redirects=True) as client:
        yield client


@pytest.mark.parametrize("reference", [DOI, f"https://doi.org/{DOI}", "doi:10.15151/esrf-es-513237367"])
def test_esrf_dois(reference):
    assert esrf_doi(reference) == DOI


def test_a_doi_resolves_with_every_field(server, http):
    found = resolve(http, DOI, base_url=server.url)
    assert (found.source, found.reference, found.doi) == ("icat", DOI, DOI)
    assert found.title == "Sulfur speciation in historical pigments (ES-1234)"
    assert found.description == "Data of the experiment ES-1234 on ID21."
    assert (found.licence, found.creators) == ("CC-BY-4.0", ["Doe, Jane", "Max Muster"])
    assert (found.facility, found.instrument, found.technique) == ("ESRF", "ID21", "XRF; XANES")
    assert found.extra["proposal"] == "ES-1234"
    assert [item["sample"] for item in found.extra["datasets"]] == ["pigment", ""]
    assert [(item.name, item.size, item.checksum) for item in found.files] == [
        ("spectrum.dat", len(SPECTRUM), ""),
        ("pigment_0002-spectrum.dat", len(SPECTRUM), ""),
    ]
    assert found.files[0].url == f"{server.url}/catalogue/{SESSION}/data/download?datafileIds=513237400"
    assert "expires after about 120 minutes" in found.notes


def test_download_follows_the_redirect_and_computes_sha256(server, http, tmp_path):
    remote = resolve(http, DOI, base_url=server.url).files[0]
    downloaded = download(http, remote, directory=tmp_path, max_bytes=1 << 20)
    assert downloaded.path == tmp_path / "spectrum.dat"
    assert downloaded.path.read_bytes() == SPECTRUM
    assert downloaded.sha256 == hashlib.sha256(SPECTRUM).hexdigest()


def test_without_a_datacite_record_the_investigation_gives_title_and_summary(server, http):
    def no_datacite(request):
        return NOT_FOUND if request.path.endswith("/json-datacite") else respond(request)

    with LoopbackServer(no_datacite) as bare:
        found = resolve(http, DOI, base_url=bare.url)
    assert found.title == "Sulfur speciation in historical pigments"
    assert found.description == "Micro-XRF and XANES maps of cross-sections."
    assert (found.licence, found.creators) == ("", [])


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ("10.15151/ESRF-ES-1", "no public datasets for DOI 10.15151/ESRF-ES-1"),
        ("10.15151/ESRF-ES-500", "HTTP 500"),
        ("10.15151/ESRF-ES-999", "could not be reached"),
        ("10.15151/ESRF-ES-666", "not JSON"),
        ("10.5281/zenodo.123", "not an ESRF DOI"),
    ],
)
def test_source_errors_are_plain_messages(server, http, reference, message):
    with pytest.raises(ResolverError, match=message):
        resolve(http, reference, base_url=server.url)
