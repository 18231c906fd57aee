"""The h5grove endpoints behind H5Web, the text plot preview, and who may read what."""

import os
from importlib.metadata import distribution
from pathlib import Path

import h5py
import numpy as np
import pytest
from django.contrib.auth.models import Permission

from content.bundled import BUNDLED_DATASETS
from content.models import Dataset, DatasetFile, SourceKind
from content.services import dataset_sync_bundled
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

H5GROVE = "/datasets/{slug}/h5grove/{endpoint}/"
# Wherever the venv is: the file as the pinned nexusformat package installed it.
CHOPPER = Path(distribution("nexusformat").locate_file("nexusformat/examples/chopper.nxs"))


@pytest.fixture
def bundled():
    dataset_sync_bundled(BUNDLED_DATASETS)


def h5grove(client, endpoint, slug="ipns-lrmecs-mgb2", **params):
    params.setdefault("file", "chopper.nxs")
    return client.get(H5GROVE.format(slug=slug, endpoint=endpoint), params)


def test_meta_lists_the_nexus_tree(client, bundled):
    response = h5grove(client, "meta", path="/")
    assert response.status_code == 200
    root = response.json()
    assert root["kind"] == "group"
    assert [child["name"] for child in root["children"]] == ["entry"]
    entry = h5grove(client, "meta", path="/entry").json()
    assert {"data", "instrument", "sample"} <= {child["name"] for child in entry["children"]}
    # The NXdata default plot H5Web draws: the signal and its axes are announced in attributes.
    attrs = h5grove(client, "attr", path="/entry/data").json()
    assert attrs["NX_class"] == "NXdata"


def test_data_in_binary_matches_h5py(client, bundled):
    with h5py.File(CHOPPER) as nexus:
        expected = nexus["/entry/data/data"][0:2]
    response = h5grove(client, "data", path="/entry/data/data", selection="0:2", format="bin", dtype="safe")
    assert response["Content-Type"] == "application/octet-stream"
    values = np.frombuffer(response.content, dtype=expected.dtype)
    assert np.array_equal(values, expected.ravel())
    stats = h5grove(client, "stats", path="/entry/data/data").json()
    assert stats["max"] >= stats["min"]


def test_paths_and_errors_inside_the_file(client, bundled):
    paths = h5grove(client, "paths", path="/entry/instrument").json()
    assert paths[0] == "/entry/instrument" and any(item.endswith("/name") for item in paths)
    missing = h5grove(client, "meta", path="/entry/nothing")
    assert missing.status_code == 404 and "not a valid path" in missing.json()["message"]
    not_a_dataset = h5grove(client, "data", path="/entry")
    assert not_a_dataset.status_code == 422 and "not a dataset" in not_a_dataset.json()["message"]
    beyond = h5grove(client, "data", path="/entry/data/data", selection="0:1,0:1,0:1,0:1")
    assert beyond.status_code == 422


def test_a_selection_over_the_cap_is_refused(client, bundled, settings):
    settings.PANLEARN_CONTENT_VIEWER_MAX_BYTES = 1024
    response = h5grove(client, "data", path="/entry/data/data")
    assert response.status_code == 413 and "at most 1024 bytes" in response.json()["message"]


@pytest.mark.parametrize("name", ["../../../../etc/passwd", "/etc/passwd", "chopper.nxs/..", "", "SHA256SUMS"])
def test_only_registered_file_names_are_read(client, bundled, name):
    response = h5grove(client, "meta", file=name, path="/")
    assert response.status_code in (404, 422)
    assert "message" in response.json()


def test_a_registry_path_leading_out_of_its_package_is_refused(client, bundled):
    """A trainer editing a package path to climb out of site-packages gets nothing back."""
    DatasetFile.objects.filter(name="chopper.nxs").update(path="../../../../../../etc/hostname")
    response = h5grove(client, "meta", path="/")
    assert response.status_code == 404
    assert client.get("/datasets/ipns-lrmecs-mgb2/files/chopper.nxs").status_code == 404


@pytest.fixture
def cached(settings, tmp_path):
    """A downloaded (Zenodo) dataset whose files sit in the cache directory."""
    settings.PANLEARN_CONTENT_CACHE_DIR = str(tmp_path / "cache")
    dataset = Dataset.objects.create(slug="downloaded", title="Downloaded", licence="CC-BY-4.0",
                                     source_kind=SourceKind.ZENODO)  # fmt: skip
    directory = tmp_path / "cache" / "downloaded"
    directory.mkdir(parents=True)
    return dataset, directory


def register(dataset, name, path, fmt="hdf5"):
    DatasetFile.objects.create(dataset=dataset, name=name, path=name, format=fmt, size=path.stat().st_size)


def test_symlinks_are_refused(client, cached, tmp_path):
    dataset, directory = cached
    outside = tmp_path / "outside.h5"
    with h5py.File(outside, "w") as handle:
        handle["secret"] = 42
    (directory / "link.h5").symlink_to(outside)
    register(dataset, "link.h5", outside)
    response = h5grove(client, "meta", slug="downloaded", file="link.h5", path="/")
    assert response.status_code == 404 and "not a regular file inside its dataset" in response.json()["message"]
    assert client.get("/datasets/downloaded/files/link.h5").status_code == 404
    # A symlinked dataset directory is no better than a symlinked file.
    os.rename(directory, tmp_path / "real")
    os.symlink(tmp_path / "real", directory)
    (tmp_path / "real" / "link.h5").unlink()
    os.link(outside, tmp_path / "real" / "link.h5")
    assert h5grove(client, "meta", slug="downloaded", file="link.h5", path="/").status_code == 404


def test_files_reaching_into_other_files_are_refused(client, cached, tmp_path):
    dataset, directory = cached
    secret = tmp_path / "secret.h5"
    with h5py.File(secret, "w") as handle:
        handle["value"] = np.arange(4)
    with h5py.File(directory / "external.h5", "w") as handle:
        handle["entry/ok"] = 1
        handle["entry/steal"] = h5py.ExternalLink(str(secret), "/")
    layout = h5py.VirtualLayout(shape=(4,), dtype="i8")
    layout[:] = h5py.VirtualSource(str(secret), "value", shape=(4,))
    with h5py.File(directory / "virtual.h5", "w") as handle:
        handle.create_virtual_dataset("steal", layout)
    for name in ("external.h5", "virtual.h5"):
        register(dataset, name, directory / name)
        response = h5grove(client, "meta", slug="downloaded", file=name, path="/")
        assert response.status_code == 403, name
        assert "does not follow such links" in response.json()["message"]


def test_damaged_and_wrong_files_get_a_clear_message(client, cached, bundled, settings):
    dataset, directory = cached
    chopper = CHOPPER
    (directory / "truncated.nxs").write_bytes(chopper.read_bytes()[:4096])
    (directory / "notes.h5").write_text("not HDF5 at all\n")
    register(dataset, "truncated.nxs", directory / "truncated.nxs")
    register(dataset, "notes.h5", directory / "notes.h5")
    truncated = h5grove(client, "meta", slug="downloaded", file="truncated.nxs", path="/entry")
    assert truncated.status_code == 422 and "damaged or truncated" in truncated.json()["message"]
    wrong = h5grove(client, "meta", slug="downloaded", file="notes.h5", path="/")
    assert wrong.status_code == 415 and "not an HDF5 file" in wrong.json()["message"]
    not_downloaded = DatasetFile.objects.create(dataset=dataset, name="later.h5", path="x", size=1)
    response = h5grove(client, "meta", slug="downloaded", file=not_downloaded.name, path="/")
    assert response.status_code == 404 and "not been downloaded yet" in response.json()["message"]


def test_unpublished_datasets_are_only_for_those_who_manage_them(client, bundled):
    Dataset.objects.filter(slug="ipns-lrmecs-mgb2").update(is_public=False)
    assert h5grove(client, "meta", path="/").status_code == 404
    student = UserFactory(username="student")
    client.force_login(student)
    for url in ("/datasets/ipns-lrmecs-mgb2/", "/datasets/ipns-lrmecs-mgb2/files/chopper.nxs"):
        assert client.get(url).status_code == 404
    assert h5grove(client, "meta", path="/").status_code == 404
    assert "MgB2" not in client.get("/datasets/").text
    trainer = UserFactory(username="trainer")
    trainer.user_permissions.add(Permission.objects.get(codename="change_dataset"))
    client.force_login(trainer)
    assert h5grove(client, "meta", path="/").status_code == 200
    assert "only trainers see this dataset" in client.get("/datasets/ipns-lrmecs-mgb2/").text


def test_text_plot_previews(client, bundled):
    reflectivity = client.get("/datasets/platypus-dmpc-bilayer/plot/c_PLP0016596.dat").json()
    assert len(reflectivity["x"]) == len(reflectivity["y"]) == len(reflectivity["errors"]) > 50
    assert reflectivity["log_y"] is True  # reflectivity falls over decades
    assert 0.005 < reflectivity["x"][0] < reflectivity["x"][-1] < 0.5
    loq = client.get("/datasets/isis-loq-polyamide6-fibres/plot/ISIS_98929.TXT").json()
    assert loq["x"][0] == pytest.approx(0.007)  # the Fortran header lines are not the curve
    spectrum = client.get("/datasets/pymca-xrf-thin-standard/plot/XRFSpectrum.mca").json()
    assert spectrum["xlabel"] == "channel" and spectrum["points"] > 1000 and len(spectrum["x"]) <= 4000
    missing = client.get("/datasets/platypus-dmpc-bilayer/plot/nothing.dat")
    assert missing.status_code == 404


def test_text_plots_name_their_axes_from_the_registry(client, bundled):
    reflectivity = client.get("/datasets/platypus-dmpc-bilayer/plot/c_PLP0016596.dat").json()
    assert (reflectivity["xlabel"], reflectivity["ylabel"]) == ("Q (Å⁻¹)", "R")
    sans = client.get("/datasets/isis-loq-polyamide6-fibres/plot/98929.txt").json()
    assert (sans["xlabel"], sans["ylabel"]) == ("Q (Å⁻¹)", "I(Q)")
    # The registry's names replace the header's placeholders ("#L Column 1  Column 2").
    exafs = client.get("/datasets/pymca-cu-exafs/plot/EXAFS_Cu.dat").json()
    assert (exafs["xlabel"], exafs["ylabel"]) == ("energy (eV)", "absorption")
    # A SPEC file of many scans has no registry names: each scan's #L header names its columns.
    spec = client.get("/datasets/aps-spec-33bm-lno-lao/plot/33bm_spec.dat").json()
    assert (spec["xlabel"], spec["ylabel"], spec["errors"]) == ("L", "signal / I0", None)
    assert spec["title"].startswith("Scan 16:")


def test_dataset_page_embeds_the_viewer_for_the_chosen_file(client, bundled):
    page = client.get("/datasets/ipns-lrmecs-mgb2/").text
    assert 'data-h5web data-h5grove-url="/datasets/ipns-lrmecs-mgb2/h5grove/" data-file="chopper.nxs"' in page
    assert "panlearn/dist/h5web.js" in page
    text = client.get("/datasets/platypus-dmpc-bilayer/?view=c_PLP0016601.dat").text
    assert 'data-src="/datasets/platypus-dmpc-bilayer/plot/c_PLP0016601.dat"' in text
    assert "No published lesson or exercise uses this dataset yet." in text


def test_a_file_without_a_default_plot_opens_on_its_intensity(client, bundled):
    """The NXcanSAS file names no @default: the page tells the viewer to open its I(Q) data."""
    page = client.get("/datasets/isis-sans2d-oriented-surfactant/").text
    assert 'data-file="33837rear_1D_1.75_16.5_NXcanSAS.h5" data-initial-path="/sasentry01/sasdata/I"' in page
    # chopper.nxs has a @default chain: H5Web follows it from the root, as before.
    assert "data-initial-path" not in client.get("/datasets/ipns-lrmecs-mgb2/").text


def test_external_raw_storage_is_refused(client, cached, tmp_path):
    """A dataset whose bytes live in any other file (here a secret) would let the viewer read it."""
    dataset, directory = cached
    secret = tmp_path / "secret.txt"
    secret.write_text("password=hunter2\n")
    with h5py.File(directory / "raw.h5", "w") as handle:
        handle.create_dataset("d", shape=(17,), dtype="u1", external=[(str(secret), 0, h5py.h5f.UNLIMITED)])
    register(dataset, "raw.h5", directory / "raw.h5")
    response = h5grove(client, "data", slug="downloaded", file="raw.h5", path="/d", format="bin")
    assert response.status_code == 403 and "keeps its data in an external file" in response.json()["message"]
    assert b"hunter2" not in response.content


@pytest.fixture
def awkward(cached):
    """Variable-length strings, a big attribute, and more members than the viewer lists."""
    dataset, directory = cached
    with h5py.File(directory / "awkward.h5", "w", libver="latest") as handle:
        handle.create_dataset("strings", data=np.array(["x" * 100] * 20_000, dtype=h5py.string_dtype()))
        handle["numbers"] = np.arange(1000, dtype=np.uint8)
        handle["numbers"].attrs["big"] = np.zeros(300_000)
        many = handle.create_group("many")
        for index in range(30):
            many[f"item{index}"] = index
    register(dataset, "awkward.h5", directory / "awkward.h5")
    return dataset


def test_every_read_is_bounded(client, awkward, settings, monkeypatch):
    from content import hdf5

    get = lambda endpoint, **params: h5grove(client, endpoint, slug="downloaded", file="awkward.h5", **params)  # noqa: E731
    assert get("data", path="/strings").status_code == 413  # 20 000 variable-length strings
    assert get("data", path="/strings", selection="0:10").status_code == 200
    assert get("attr", path="/numbers").status_code == 200
    settings.PANLEARN_CONTENT_VIEWER_MAX_BYTES = 100_000
    assert get("attr", path="/numbers", attr_keys="big").status_code == 413  # 2.4 MB of attribute
    assert get("data", path="/numbers", format="bin").status_code == 200  # 1000 bytes raw...
    settings.PANLEARN_CONTENT_VIEWER_MAX_BYTES = 10_000
    assert get("data", path="/numbers", format="csv").status_code == 413  # ...but 26 kB as CSV text
    monkeypatch.setattr(hdf5, "MAX_LINKS", 10)
    monkeypatch.setattr(hdf5, "MAX_CHILDREN", 10)
    assert get("paths", path="/many").status_code == 413
    assert get("meta", path="/many").status_code == 413


def test_odd_requests_are_answered_not_crashed(client, awkward):
    get = lambda endpoint, **params: h5grove(client, endpoint, slug="downloaded", file="awkward.h5", **params)  # noqa: E731
    missing = get("attr", path="/numbers", attr_keys="nope")
    assert missing.status_code == 404 and "No attribute 'nope'" in missing.json()["message"]
    assert get("data", path="/numbers", format="tiff").status_code == 422  # a 1D array is not an image
    assert get("data", path="/numbers", format="npy").status_code == 200
    not_text = client.get("/datasets/downloaded/plot/awkward.h5")
    assert not_text.status_code == 422 and "not a text table" in not_text.json()["message"]


def test_names_and_sizes_that_do_not_match_the_registry_are_refused(client, cached, tmp_path):
    from django.core.exceptions import ValidationError

    dataset, directory = cached
    with h5py.File(directory / "ok.h5", "w") as handle:
        handle["x"] = 1
    register(dataset, "ok.h5", directory / "ok.h5")
    assert h5grove(client, "meta", slug="downloaded", file="ok.h5", path="/").status_code == 200
    DatasetFile.objects.filter(name="ok.h5").update(size=1)  # replaced behind the registry's back
    response = h5grove(client, "meta", slug="downloaded", file="ok.h5", path="/")
    assert response.status_code == 404 and "does not have the size" in response.json()["message"]
    for name in ("../other/x.h5", ".import-3", "a\\b"):
        with pytest.raises(ValidationError):
            DatasetFile(dataset=dataset, name=name, path="x", size=1, sha256="").full_clean()
    DatasetFile.objects.create(dataset=dataset, name="../downloaded/ok.h5", path="x", size=1)  # bypassing validation
    assert h5grove(client, "meta", slug="downloaded", file="../downloaded/ok.h5", path="/").status_code == 404
