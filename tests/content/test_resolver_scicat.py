"""The SciCat resolver against a loopback server answering in scicat-backend-next's shapes.

Recorded shapes: `GET /api/v3/publisheddata/{doi}` (v3 fields, and the v4 document with datasetPids and
metadata.*), `GET /api/v3/datasets/{pid}` and `/origdatablocks` with dataFileList {path, size, chk} and
chkAlg; an unknown DOI answers 200 with an empty body (backend-next) or 404 (older backends).
"""

import hashlib

import httpx
import pytest

from content.resolvers.base import ResolverError, download
from content.resolvers.scicat import resolve
from tests.content.loopback import NOT_FOUND, LoopbackServer, Reply

DOI = "10.16907/7eb141d3-11f1-47a6-9d0e-76f8832ed1b2"
DOI_V4 = "10.16907/5c1b2e90-4f7a-4e8e-9a51-0c3d1d6c2b7e"
PID = "20.500.11935/0b6f2a3c-93b7-4a43-8f5e-2b1a4c9d7e10"
PROJECTION = b"P5\n4 2\n255\n\x00\x10\x20\x30\x40\x50\x60\x70"
SHA256 = hashlib.sha256(PROJECTION).hexdigest()


def published_v3(base: str) -> dict:
    return {
        "_id": DOI, "doi": DOI, "affiliation": "Paul Scherrer Institute", "creator": ["Jane Doe"],
        "publisher": "PSI", "publicationYear": 2021, "title": "Tomography of a snail shell",
        "url": f"https://doi.psi.ch/detail/{DOI.replace('/', '%2F')}",
        "abstract": "Phase-contrast micro-tomography of a snail shell at TOMCAT.",
        "dataDescription": "https://github.com/paulscherrerinstitute/tomcat-data-description",
        "resourceType": "raw", "numberOfFiles": 1, "sizeOfArchive": len(PROJECTION), "pidArray": [PID],
        "authors": ["Jane Doe", "Max Muster"], "registeredTime": "2021-09-01T12:00:00.000Z", "status": "registered",
        "downloadLink": f"{base}/datasets/sls/X02DA/2021/snail", "createdAt": "2021-08-30T09:00:00.000Z",
    }  # fmt: skip


def published_v4(base: str) -> dict:
    return {
        "_id": "b5f0", "pid": "b5f0", "doi": DOI_V4, "title": "Tomography of a snail shell, v4",
        "abstract": "The same, published through a v4 backend.", "datasetPids": [PID], "status": "registered",
        "metadata": {"creators": [{"name": "Jane Doe", "nameType": "Personal"}], "publisher": {"name": "PSI"},
                     "publicationYear": 2024, "resourceType": "raw",
                     "downloadLink": f"{base}/datasets/sls/X02DA/2021/snail"},
    }  # fmt: skip


def dataset() -> dict:
    return {
        "pid": PID, "datasetName": "snail_shell_001", "description": "Snail shell, 1.6 µm pixels",
        "creationLocation": "/PSI/SLS/TOMCAT", "principalInvestigator": "jane.doe@psi.ch", "owner": "Jane Doe",
        "license": "CC BY-SA 4.0", "techniques": [{"pid": "http://purl.org/pan-science/PaNET/PaNET01114",
        "name": "phase contrast tomography"}], "instrumentId": "20.500.11935/instrument-tomcat",
        "sourceFolder": "/sls/X02DA/data/e12345/snail", "size": len(PROJECTION), "numberOfFiles": 1, "type": "raw",
        "keywords": ["tomography"], "isPublished": True,
    }  # fmt: skip


def origdatablocks() -> list:
    return [
        {"_id": "3c7d", "datasetId": PID, "size": len(PROJECTION), "chkAlg": "sha256",
         "dataFileList": [{"path": "scan_0001/projection_0000.pgm", "size": len(PROJECTION),
                           "time": "2021-05-02T10:20:00.000Z", "chk": SHA256, "uid": "e12345", "gid": "p12345",
                           "perm": "-rw-r--r--"}]},
    ]  # fmt: skip


def respond(request):
    quoted = "/api/v3/datasets/20.500.11935%2F0b6f2a3c-93b7-4a43-8f5e-2b1a4c9d7e10"
    if request.path.startswith("/api/v3/publisheddata/"):
        doi = request.path.removeprefix("/api/v3/publisheddata/")
        return {
            "10.16907%2F7eb141d3-11f1-47a6-9d0e-76f8832ed1b2": Reply(body=published_v3(request.base)),
            "10.16907%2F5c1b2e90-4f7a-4e8e-9a51-0c3d1d6c2b7e": Reply(body=published_v4(request.base)),
            "10.16907%2Fgone": NOT_FOUND,
            "10.16907%2Fbroken": Reply(500, {"statusCode": 500, "message": "Internal server error"}),
            "10.16907%2Fslow": Reply(body={}, delay=1.5),
            "10.16907%2Fgarbled": Reply(body=b"{'doi': ", content_type="application/json"),
        }.get(doi, Reply(body=b""))  # backend-next answers an unknown DOI with 200 and no body
    if request.path == quoted:
        return Reply(body=dataset())
    if request.path == f"{quoted}/origdatablocks":
        return Reply(body=origdatablocks())
    if request.path == "/datasets/sls/X02DA/2021/snail/scan_0001/projection_0000.pgm":
        return Reply(body=PROJECTION, content_type="application/octet-stream")
    return NOT_FOUND


@pytest.fixture(scope="module")
def server():
    with LoopbackServer(respond) as running:
        yield running


@pytest.fixture
def http():
    with httpx.Client(timeout=0.5) as client:
        yield client


def test_published_data_resolves_with_every_field(server, http):
    found = resolve(http, f"https://doi.org/{DOI}", base_url=f"{server.url}/api/v3")
    assert (found.source, found.reference, found.doi) == ("scicat", DOI, DOI)
    assert found.title == "Tomography of a snail shell"
    assert found.description.startswith("Phase-contrast micro-tomography")
    assert found.licence == "CC BY-SA 4.0"
    assert found.creators == ["Jane Doe", "Max Muster"]
    assert (found.facility, found.instrument, found.technique) == (
        "PSI",
        "/PSI/SLS/TOMCAT",
        "phase contrast tomography",
    )
    assert found.extra["datasets"][0]["pid"] == PID
    assert found.extra["landing_page"].startswith("https://doi.psi.ch/detail/")
    assert [(item.name, item.size, item.checksum) for item in found.files] == [
        ("projection_0000.pgm", len(PROJECTION), f"sha256:{SHA256}")
    ]
    assert found.files[0].url == f"{server.url}/datasets/sls/X02DA/2021/snail/scan_0001/projection_0000.pgm"


def test_the_v4_shape_resolves_too(server, http):
    found = resolve(http, DOI_V4, base_url=f"{server.url}/api/v3")
    assert (found.title, found.creators, found.facility) == ("Tomography of a snail shell, v4", ["Jane Doe"], "PSI")
    assert len(found.files) == 1


def test_a_listed_file_downloads_with_its_published_checksum(server, http, tmp_path):
    remote = resolve(http, DOI, base_url=f"{server.url}/api/v3").files[0]
    downloaded = download(http, remote, directory=tmp_path, max_bytes=1 << 20)
    assert downloaded.sha256 == SHA256


def test_without_a_download_link_files_are_listed_only(server, http):
    def no_link(request):
        reply = respond(request)
        if request.path.startswith("/api/v3/publisheddata/") and isinstance(reply.body, dict):
            reply.body.pop("downloadLink", None)
        return reply

    with LoopbackServer(no_link) as bare:
        found = resolve(http, DOI, base_url=f"{bare.url}/api/v3")
    assert found.files == []
    assert found.extra["listed_files"] == [
        {"dataset": PID, "path": "scan_0001/projection_0000.pgm", "size": len(PROJECTION)}
    ]
    assert "no download link" in found.notes


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ("10.16907/unknown", "no published data with DOI 10.16907/unknown"),
        ("10.16907/gone", "no published data with DOI 10.16907/gone"),
        ("10.16907/broken", "HTTP 500"),
        ("10.16907/slow", "could not be reached"),
        ("10.16907/garbled", "not JSON"),
        ("snail", "is not a DOI"),
    ],
)
def test_source_errors_are_plain_messages(server, http, reference, message):
    with pytest.raises(ResolverError, match=message):
        resolve(http, reference, base_url=f"{server.url}/api/v3")
