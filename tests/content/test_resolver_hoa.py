"""The Human Organ Atlas resolver on the metadata hoa-tools 2.0.0 ships (requirements-data.txt).

Nothing is fetched: the resolver reads the package's JSON files where pip put them. HTTP errors and
timeouts cannot happen; broken or missing metadata are the failures tested instead.
"""

import json
import re
import shutil
from importlib import metadata

import pytest

from content.resolvers import hoa
from content.resolvers.base import ResolverError

DOI = "10.15151/ESRF-DC-2222688798"
NAME = "LADAF-2021-17_testis_2_complete-organ_9.595um_bm18"


def test_the_package_ships_its_metadata_where_we_look():
    assert metadata.version("hoa-tools") == "2.0.0"
    known = hoa.entries()
    assert len(known) > 300
    assert NAME in known


@pytest.mark.parametrize("reference", [DOI, f"https://doi.org/{DOI}", NAME, NAME.lower()])
def test_a_doi_or_name_resolves_with_every_field(reference):
    found = hoa.resolve(None, reference)
    assert (found.source, found.reference, found.doi) == ("hoa", NAME, DOI)
    assert found.title == "Overview at 9.595um of the testis of donor LADAF-2021-17, scanned at ESRF on beamline BM18."
    assert found.creators[:2] == ["The Human Organ Atlas Collaboration", "Alexandre Bellier"]
    assert (found.facility, found.instrument) == ("ESRF", "BM18")
    assert found.technique == "Hierarchical Phase-Contrast Tomography (HiP-CT)"
    assert "testis 2 of donor LADAF-2021-17" in found.description and "9.595 µm voxels" in found.description
    extra = found.extra
    assert (extra["organ"], extra["organ_context"], extra["voxel_size_um"]) == ("testis", "2", 9.595)
    assert (extra["shape"], extra["beamline"], extra["proposal"]) == ([6781, 4860, 3611], "BM18", "md1389")
    assert extra["scan"]["energy"] == 96.0 and extra["scan"]["n_frames"] == 12000
    assert extra["donor"] == {"id": "LADAF-2021-17", "age": 63, "sex": "M"}  # no medical history shown
    assert extra["storage_url"].startswith("https://storage.googleapis.com/ucl-hip-ct-")
    assert extra["metadata_package"] == "hoa-tools 2.0.0"
    assert found.files == []
    assert "far too large" in found.notes and "no file is listed" in found.notes
    assert found.licence == ""


def test_a_dataset_without_a_doi_resolves_by_name():
    found = hoa.resolve(None, "VL-367-23_achillesTendon_overview_10.088um_bm18")
    assert found.doi == "" and "no DOI yet" in found.notes


def test_a_doi_shared_by_two_datasets_asks_for_a_name():
    with pytest.raises(ResolverError, match=re.escape("pick one by name: LADAF-2020-27_lung_left_FSC-A_2.51um_bm05")):
        hoa.resolve(None, "10.15151/ESRF-DC-572216900")


@pytest.mark.parametrize("reference", ["10.15151/ESRF-DC-1", "LADAF-1900-01_heart", "10.5281/zenodo.123"])
def test_unknown_references_are_plain_messages(reference):
    with pytest.raises(ResolverError, match="has no dataset with DOI or name"):
        hoa.resolve(None, reference)
    assert not hoa.knows(reference)


def test_broken_metadata_is_a_plain_message(tmp_path):
    shutil.copy(hoa.metadata_dir() / f"{NAME}.json", tmp_path)
    (tmp_path / "broken.json").write_text('{"name": "broken", "data": ')
    with pytest.raises(ResolverError, match=re.escape("broken.json is not valid JSON")):
        hoa.resolve(None, DOI, directory=tmp_path)


def test_metadata_in_another_shape_is_a_plain_message(tmp_path):
    (tmp_path / "odd.json").write_text(json.dumps(["not", "an", "entry"]))
    with pytest.raises(ResolverError, match=re.escape("odd.json is not in the expected shape")):
        hoa.resolve(None, DOI, directory=tmp_path)


def test_a_missing_package_is_a_plain_message(monkeypatch):
    def missing(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(hoa.metadata, "distribution", missing)
    with pytest.raises(ResolverError, match=re.escape("hoa-tools, requirements-data.txt")):
        hoa.resolve(None, DOI)
    assert not hoa.knows(DOI)
