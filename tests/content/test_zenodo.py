"""The Zenodo resolver and downloader against a loopback server answering in Zenodo's shapes."""

import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from content.resolvers.base import ResolverError, download
from content.resolvers.zenodo import record_id, resolve

CURVE = b"# Q R dR\n0.01 1.0 0.01\n0.02 0.5 0.01\n"
MD5 = hashlib.md5(CURVE, usedforsecurity=False).hexdigest()


def legacy_record(base: str) -> dict:
    """The pre-2023 shape: files[] with links.self under /api/files/<bucket>/<key>."""
    return {
        "id": 123,
        "doi": "10.5281/zenodo.123",
        "metadata": {
            "title": "Reflectivity of a lipid bilayer",
            "description": "<p>Three contrasts.</p>",
            "creators": [{"name": "Doe, Jane", "affiliation": "Somewhere"}],
            "license": {"id": "CC-BY-4.0"},
        },
        "files": [
            {
                "bucket": "b1",
                "checksum": f"md5:{MD5}",
                "key": "curve.dat",
                "size": len(CURVE),
                "type": "dat",
                "links": {"self": f"{base}/api/files/b1/curve.dat"},
            },
        ],
    }


def new_record(base: str) -> dict:
    """The InvenioRDM-based shape: links to /api/records/<id>/files/<key>/content, lower-case licence."""
    return {
        "id": "456",
        "doi": "10.5281/zenodo.456",
        "metadata": {"title": "SANS of micelles", "creators": [{"name": "Roe, R."}], "license": {"id": "cc-by-4.0"}},
        "files": [
            {
                "id": "f-1",
                "key": "curve.dat",
                "size": len(CURVE),
                "checksum": f"md5:{MD5}",
                "links": {"self": f"{base}/api/records/456/files/curve.dat/content"},
            },
        ],
    }


def entries_record(base: str) -> dict:
    """The InvenioRDM media type: files.entries keyed by name, links.content."""
    return {
        "id": "789",
        "metadata": {"title": "Entries shape", "rights": [{"id": "cc0-1.0"}]},
        "files": {"enabled": True, "entries": {"curve.dat": {
            "key": "curve.dat", "size": len(CURVE), "checksum": f"md5:{MD5}",
            "links": {"content": f"{base}/api/records/789/files/curve.dat/content"}}}},
    }  # fmt: skip


class ZenodoStandIn(BaseHTTPRequestHandler):
    calls: dict = {}

    def log_message(self, *args):
        pass

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        base = f"http://127.0.0.1:{self.server.server_port}"
        self.calls[self.path] = self.calls.get(self.path, 0) + 1
        records = {"123": legacy_record, "456": new_record, "789": entries_record}
        if self.path.startswith("/api/records/") and self.path.count("/") == 3:
            number = self.path.rsplit("/", 1)[1]
            if number in records:
                return self._send(200, json.dumps(records[number](base)).encode())
            if number == "500":
                return self._send(500, b'{"status": 500}')
            if number == "999":
                time.sleep(2)
                return self._send(200, b"{}")
            return self._send(404, b'{"status": 404, "message": "PID does not exist."}')
        if self.path.endswith("/curve.dat") or self.path.endswith("/curve.dat/content"):
            return self._send(200, CURVE, "application/octet-stream")
        if self.path == "/bad-checksum":
            return self._send(200, b"something else", "application/octet-stream")
        if self.path == "/flaky":
            if self.calls[self.path] == 1:
                return self._send(503, b"busy")
            return self._send(200, CURVE, "application/octet-stream")
        return self._send(404, b"{}")


@pytest.fixture(scope="module")
def zenodo():
    ZenodoStandIn.calls = {}
    server = ThreadingHTTPServer(("127.0.0.1", 0), ZenodoStandIn)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def http():
    with httpx.Client(timeout=1.0) as client:
        yield client


@pytest.mark.parametrize(
    ("reference", "expected"),
    [("123", "123"), ("10.5281/zenodo.123", "123"), ("https://doi.org/10.5281/zenodo.456", "456")],
)
def test_dois_and_record_numbers(reference, expected):
    assert record_id(reference) == expected


def test_a_doi_from_elsewhere_is_refused():
    with pytest.raises(ResolverError, match="not a Zenodo DOI"):
        record_id("10.1107/S1600576718017296")


@pytest.mark.parametrize(("number", "licence"), [("123", "CC-BY-4.0"), ("456", "CC-BY-4.0"), ("789", "CC0-1.0")])
def test_every_response_shape_resolves_to_files(zenodo, http, number, licence):
    dataset = resolve(http, number, base_url=zenodo)
    assert dataset.licence == licence
    assert [(item.name, item.size, item.checksum) for item in dataset.files] == [
        ("curve.dat", len(CURVE), f"md5:{MD5}")
    ]


def test_download_checks_md5_and_pins_sha256(zenodo, http, tmp_path):
    remote = resolve(http, "123", base_url=zenodo).files[0]
    seen = []
    downloaded = download(http, remote, directory=tmp_path, max_bytes=1 << 20, progress=lambda n, total: seen.append(n))
    assert downloaded.path.read_bytes() == CURVE
    assert downloaded.sha256 == hashlib.sha256(CURVE).hexdigest()
    assert seen[-1] == len(CURVE)


@pytest.mark.parametrize(
    ("number", "message"),
    [("404", "has no record"), ("500", "HTTP 500"), ("999", "could not be reached")],
)
def test_source_errors_are_plain_messages(zenodo, http, number, message):
    with pytest.raises(ResolverError, match=message):
        resolve(http, number, base_url=zenodo)


def test_checksum_mismatch_leaves_nothing(zenodo, http, tmp_path):
    from content.resolvers.base import RemoteFile

    remote = RemoteFile("curve.dat", f"{zenodo}/bad-checksum", size=len(b"something else"), checksum=f"md5:{MD5}")
    with pytest.raises(ResolverError, match="does not match"):
        download(http, remote, directory=tmp_path, max_bytes=1 << 20)
    assert list(tmp_path.iterdir()) == []


def test_truncated_download_is_retried_then_refused(zenodo, http, tmp_path):
    from content.resolvers.base import RemoteFile

    remote = RemoteFile("curve.dat", f"{zenodo}/api/files/b1/curve.dat", size=len(CURVE) + 100)
    with pytest.raises(ResolverError, match="after 2 attempts"):
        download(http, remote, directory=tmp_path, max_bytes=1 << 20, attempts=2, backoff=0.01)
    assert list(tmp_path.iterdir()) == []


def test_a_busy_server_is_retried(zenodo, http, tmp_path):
    from content.resolvers.base import RemoteFile

    remote = RemoteFile("curve.dat", f"{zenodo}/flaky", size=len(CURVE), checksum=f"md5:{MD5}")
    assert download(http, remote, directory=tmp_path, max_bytes=1 << 20, backoff=0.01).size == len(CURVE)


def test_files_over_the_cap_are_refused_before_downloading(zenodo, http, tmp_path):
    remote = resolve(http, "123", base_url=zenodo).files[0]
    with pytest.raises(ResolverError, match="over the limit"):
        download(http, remote, directory=tmp_path, max_bytes=10)
    assert list(tmp_path.iterdir()) == []
