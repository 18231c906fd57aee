"""Add by DOI: look up in the admin, choose files, download in a background task, pin checksums.

The remote source is a loopback server answering in Zenodo's record shape; nothing leaves 127.0.0.1.
"""

import hashlib
from importlib.metadata import distribution
from pathlib import Path

import httpx
import pytest
from django.contrib.auth.models import Permission

from content.imports import import_run
from content.models import Dataset, DatasetImport, ImportStatus
from content.resolvers import resolve
from content.resolvers.base import ResolverError
from content.services import import_create
from tests.content.loopback import NOT_FOUND, LoopbackServer, Reply
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NEXUS = Path(distribution("nexusformat").locate_file("nexusformat/examples/chopper.nxs"))
CURVE = b"# Q R dR\n0.01 1.0 0.01\n0.02 0.5 0.01\n0.03 0.1 0.01\n"


def md5(data: bytes) -> str:
    return "md5:" + hashlib.md5(data, usedforsecurity=False).hexdigest()


def record(base: str, number: str, files: dict[str, tuple[bytes, int, str]]) -> dict:
    """Zenodo's InvenioRDM record shape; files map name -> (bytes, declared size, published checksum)."""
    return {
        "id": number,
        "doi": f"10.5281/zenodo.{number}",
        "metadata": {
            "title": f"Chopper spectrometer data {number}",
            "description": "<p>Time-of-flight <b>inelastic</b> data.</p>",
            "creators": [{"name": "Osborn, Ray"}],
            "license": {"id": "cc-by-4.0"},
        },
        "files": [
            {"key": name, "size": size, "checksum": checksum,
             "links": {"self": f"{base}/api/records/{number}/files/{name}/content"}}
            for name, (_, size, checksum) in files.items()
        ],
    }  # fmt: skip


@pytest.fixture
def zenodo(settings, tmp_path):
    nexus = NEXUS.read_bytes()
    broken = nexus[:2048]
    records = {
        "100": {"chopper.nxs": (nexus, len(nexus), md5(nexus)), "curve.dat": (CURVE, len(CURVE), md5(CURVE))},
        "200": {"curve.dat": (CURVE, len(CURVE), md5(b"other bytes"))},  # the source's checksum disagrees
        "300": {"curve.dat": (CURVE, len(CURVE) + 100, "")},  # the transfer stops short of the size
        "400": {"broken.nxs": (broken, len(broken), md5(broken))},  # HDF5 cut off: checksum fine, file not
        "500": {"curve.dat": (CURVE * 50, 10, "")},  # the source understates the size
    }

    def respond(request):
        parts = request.path.strip("/").split("/")
        if parts[:2] != ["api", "records"] or len(parts) < 3 or parts[2] not in records:
            return NOT_FOUND
        files = records[parts[2]]
        if len(parts) == 3:
            return Reply(body=record(request.base, parts[2], files))
        return Reply(body=files[parts[4]][0], content_type="application/octet-stream")

    settings.PANLEARN_CONTENT_CACHE_DIR = str(tmp_path / "cache")
    with LoopbackServer(respond) as server:
        settings.PANLEARN_CONTENT_ZENODO_URL = server.url
        yield server


@pytest.fixture
def trainer(client):
    user = UserFactory(username="trainer")
    codenames = ["access_admin", "add_dataset", "change_dataset"]
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client.force_login(user)
    return user


def cache_entries(settings) -> list[str]:
    root = Path(settings.PANLEARN_CONTENT_CACHE_DIR)
    return sorted(str(path.relative_to(root)) for path in root.rglob("*")) if root.exists() else []


def test_add_by_doi_in_the_admin_downloads_and_pins(client, trainer, zenodo, settings,
                                                    django_capture_on_commit_callbacks):  # fmt: skip
    page = client.post("/admin/datasets/add-by-doi/", {"reference": "10.5281/zenodo.100", "lookup": "1"})
    assert page.status_code == 200
    for text in ("Chopper spectrometer data 100", "chopper.nxs", "curve.dat", "CC-BY-4.0", "Osborn, Ray"):
        assert text in page.text
    assert cache_entries(settings) == []  # nothing is downloaded before the trainer chooses
    form = {"source": "zenodo", "reference": "100", "files": ["chopper.nxs"], "slug": "lrmecs-copy",
            "title": "LRMECS chopper data", "licence": "CC-BY-4.0", "technique": "", "import": "1"}  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/datasets/add-by-doi/", form)
    job = DatasetImport.objects.get()
    assert response.status_code == 302 and response.url == f"/admin/datasets/imports/{job.pk}/"
    assert job.status == ImportStatus.DONE and job.percent == 100 and job.bytes_done == NEXUS.stat().st_size
    status = client.get(f"/admin/datasets/imports/{job.pk}/", {"format": "json"}).json()
    assert status["status"] == "done" and status["finished"] is True
    assert "Done" in client.get(f"/admin/datasets/imports/{job.pk}/").text

    dataset = Dataset.objects.get(slug="lrmecs-copy")
    assert not dataset.is_public and dataset.source_kind == "zenodo" and dataset.doi == "10.5281/zenodo.100"
    assert dataset.description == "Time-of-flight  inelastic  data."
    record_file = dataset.files.get()
    assert record_file.sha256 == hashlib.sha256(NEXUS.read_bytes()).hexdigest()  # pinned on download
    assert record_file.format == "nexus"
    assert cache_entries(settings) == ["lrmecs-copy", "lrmecs-copy/chopper.nxs"]
    # The trainer can browse it in the viewer before publishing; students cannot see it yet.
    meta = client.get("/datasets/lrmecs-copy/h5grove/meta/", {"file": "chopper.nxs", "path": "/"})
    assert meta.status_code == 200 and meta.json()["children"][0]["name"] == "entry"
    client.logout()
    assert client.get("/datasets/lrmecs-copy/").status_code == 404


@pytest.mark.parametrize(
    ("number", "files", "message"),
    [
        ("200", ["curve.dat"], "does not match the checksum its source publishes"),
        ("300", ["curve.dat"], "download failed after 3 attempts"),
        ("400", ["broken.nxs"], "damaged HDF5 file"),
        ("500", ["curve.dat"], "grew past the limit"),
    ],
)
def test_failed_downloads_leave_nothing_half_written(zenodo, settings, number, files, message):
    if number == "500":
        settings.PANLEARN_CONTENT_MAX_DOWNLOAD_BYTES = 100
    remote = resolve("zenodo", number)
    job = import_create(remote, chosen=files, user=None, slug=f"attempt-{number}")
    job = import_run(job.pk)
    assert job.status == ImportStatus.FAILED
    assert message in job.message
    assert cache_entries(settings) == []  # no staging directory, no partial file
    assert Dataset.objects.get(slug=f"attempt-{number}").files.get().sha256 == ""


def test_a_file_over_the_cap_is_refused_before_downloading(zenodo, settings):
    settings.PANLEARN_CONTENT_MAX_DOWNLOAD_BYTES = 1000
    remote = resolve("zenodo", "100")
    with pytest.raises(ResolverError, match=r"Over the download limit of 1000 bytes: chopper\.nxs"):
        import_create(remote, chosen=["chopper.nxs"], user=None)
    assert not Dataset.objects.exists()


def test_a_rerun_replaces_the_cached_copy_only_on_success(zenodo, settings):
    job = import_create(resolve("zenodo", "100"), chosen=["curve.dat"], user=None, slug="curves")
    assert import_run(job.pk).status == ImportStatus.DONE
    cached = Path(settings.PANLEARN_CONTENT_CACHE_DIR) / "curves" / "curve.dat"
    assert cached.read_bytes() == CURVE
    Dataset.objects.get(slug="curves").files.update(sha256="0" * 64)  # the pin now disagrees with the source
    assert import_run(job.pk).status == ImportStatus.FAILED
    assert cached.read_bytes() == CURVE  # the earlier good copy is still there


def test_lookup_errors_are_shown_in_the_form(client, trainer, zenodo):
    unknown = client.post("/admin/datasets/add-by-doi/", {"reference": "10.5281/zenodo.77", "lookup": "1"})
    assert "Zenodo has no record 77" in unknown.text
    unclear = client.post("/admin/datasets/add-by-doi/", {"reference": "10.1000/xyz", "lookup": "1"})
    assert "Cannot tell which source" in unclear.text
    taken = client.post("/admin/datasets/add-by-doi/", {"source": "zenodo", "reference": "100", "files": ["curve.dat"],
                                                         "slug": "curves", "title": "t", "licence": "MIT",
                                                         "import": "1"})  # fmt: skip
    assert taken.status_code == 302
    again = client.post("/admin/datasets/add-by-doi/", {"source": "zenodo", "reference": "100", "files": ["curve.dat"],
                                                        "slug": "curves", "title": "t", "licence": "MIT",
                                                        "import": "1"})  # fmt: skip
    assert "A dataset already has this id" in again.text


def test_only_those_who_may_add_datasets_reach_the_screens(client, zenodo):
    client.force_login(UserFactory(username="student"))
    assert client.get("/admin/datasets/add-by-doi/").url.startswith("/admin/login/")
    staff = UserFactory(username="editor")
    staff.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(staff)
    refused = client.get("/admin/datasets/add-by-doi/", follow=True)  # Wagtail turns 403 into a message
    assert refused.redirect_chain[0] == ("/admin/", 302)
    assert "Sorry, you do not have permission" in refused.text
    assert client.post("/admin/datasets/add-by-doi/", {"reference": "100", "lookup": "1"}).status_code == 302
    assert not zenodo.seen  # the source was never asked


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://example.org/data.h5", "only https"),
        ("file:///etc/passwd", "only https"),
        ("https://127.0.0.1/admin", "private or local address"),
        ("https://localhost:8000/", "private or local address"),
        ("https://169.254.169.254/latest/meta-data/", "private or local address"),
        ("https://[::1]/", "private or local address"),
    ],
)
def test_sources_cannot_point_the_server_at_itself(url, message):
    from content.resolvers.base import refuse_local_addresses

    with pytest.raises(ResolverError, match=message):
        refuse_local_addresses(httpx.Request("GET", url))


def test_without_the_test_switch_a_loopback_source_is_refused(zenodo, settings):
    """The same loopback Zenodo the other tests use, with the production default: refused, never asked."""
    settings.PANLEARN_CONTENT_ALLOW_LOCAL_SOURCES = False
    with pytest.raises(ResolverError, match="only https"):
        resolve("zenodo", "100")
    assert not zenodo.seen


def test_a_source_answering_in_another_shape_is_an_error_not_a_crash(zenodo, monkeypatch):
    from content import resolvers

    def broken(client, reference, **options):
        return int("not a number")

    monkeypatch.setitem(resolvers.SOURCES, "zenodo", broken)
    with pytest.raises(ResolverError, match="unexpected shape"):
        resolve("zenodo", "100")


def test_files_with_the_same_name_in_two_folders_get_distinct_names(zenodo):
    from content.resolvers.base import RemoteDataset, RemoteFile

    remote = RemoteDataset(source="scicat", reference="x", title="Two folders", licence="CC-BY-4.0",
                           files=[RemoteFile("data.h5", "https://a/1/data.h5", 10),
                                  RemoteFile("data.h5", "https://a/2/data.h5", 10),
                                  RemoteFile("data.h5", "https://a/3/data.h5", 10)])  # fmt: skip
    job = import_create(remote, chosen=["data.h5"], user=None)
    assert sorted(job.dataset.files.values_list("name", flat=True)) == ["data-2.h5", "data-3.h5", "data.h5"]


def test_a_source_name_that_rebinds_to_loopback_never_reaches_it(monkeypatch):
    """A file link whose name resolves to a public address when checked and to 127.0.0.1 when connected:
    the client connects to the checked address, so the loopback service sees nothing."""
    from content.resolvers.base import source_client
    from tests.rebinding import NAME, counting_listener, rebinding_resolver

    rebinding_resolver(monkeypatch)
    listening = counting_listener()
    with listening as (port, connections), source_client(timeout=1) as client, pytest.raises(httpx.HTTPError):
        client.get(f"https://{NAME}:{port}/files/data.h5")
    assert connections == [], "the source client connected to the loopback listener"
