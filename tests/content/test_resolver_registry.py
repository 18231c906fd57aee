"""The source registry: guessing a source from a reference, and resolve() reading its settings at call time."""

import httpx
import pytest

from content.resolvers import SOURCES, guess_source, resolve
from content.resolvers.base import ResolverError
from tests.content.loopback import NOT_FOUND, LoopbackServer, Reply

RECORD = {
    "id": 123, "doi": "10.5281/zenodo.123",
    "metadata": {"title": "Reflectivity", "creators": [{"name": "Doe, Jane"}], "license": {"id": "cc-by-4.0"}},
    "files": [{"key": "curve.dat", "size": 4, "checksum": "md5:00", "links": {"self": "http://127.0.0.1:9/x"}}],
}  # fmt: skip


def respond(request):
    if request.path == "/api/records/123":
        return Reply(body=RECORD)
    if request.path == "/api/records/999":
        return Reply(body=RECORD, delay=1.5)
    return NOT_FOUND


@pytest.fixture(scope="module")
def server():
    with LoopbackServer(respond) as running:
        yield running


def test_every_source_kind_has_a_resolver():
    assert set(SOURCES) == {"zenodo", "panosc", "icat", "scicat", "hoa"}


@pytest.mark.parametrize(
    ("reference", "source"),
    [
        ("10.5281/zenodo.123", "zenodo"),
        ("https://doi.org/10.5281/zenodo.4567", "zenodo"),
        ("10.15151/ESRF-ES-513237367", "icat"),
        ("10.15151/ESRF-DC-1", "icat"),  # a data collection the atlas does not hold
        ("10.15151/ESRF-DC-2222688798", "hoa"),  # in hoa-tools' metadata
        ("LADAF-2021-17_testis_2_complete-organ_9.595um_bm18", "hoa"),
    ],
)
def test_guess_source(reference, source):
    assert guess_source(reference) == source


@pytest.mark.parametrize("reference", ["10.5291/ILL-DATA.9-10-1567", "10.16907/7eb1", "something"])
def test_other_references_ask_to_pick_a_source(reference):
    with pytest.raises(ResolverError, match="pick one of: zenodo, panosc, icat, scicat, hoa"):
        guess_source(reference)


def test_resolve_reads_the_base_url_from_settings(server, settings):
    settings.PANLEARN_CONTENT_ZENODO_URL = server.url
    found = resolve("zenodo", "10.5281/zenodo.123")
    assert (found.title, found.licence) == ("Reflectivity", "CC-BY-4.0")


def test_resolve_uses_a_given_client_and_base_url(server):
    with httpx.Client(timeout=1.0) as client:
        assert resolve("zenodo", "123", client=client, base_url=server.url).doi == "10.5281/zenodo.123"


def test_resolve_times_out_after_the_configured_seconds(server, settings):
    settings.PANLEARN_CONTENT_ZENODO_URL = server.url
    settings.PANLEARN_CONTENT_HTTP_TIMEOUT = 0.5
    with pytest.raises(ResolverError, match="could not be reached"):
        resolve("zenodo", "999")


def test_hoa_needs_no_network():
    assert resolve("hoa", "10.15151/ESRF-DC-2222688798", base_url="http://127.0.0.1:9").instrument == "BM18"


def test_an_unknown_source_is_a_plain_message():
    with pytest.raises(ResolverError, match="Unknown source “figshare”"):
        resolve("figshare", "10.6084/m9.figshare.1")
