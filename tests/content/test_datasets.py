"""The dataset registry: bundled real data resolved from pinned packages and checked by sha256."""

import pytest
from django.core.management import CommandError, call_command

from content.bundled import BUNDLED_DATASETS
from content.models import Dataset, DatasetFile
from content.services import dataset_install, dataset_sync_bundled
from content.verification import verify_dataset
from runner.datasets import DirectoryDatasets
from runner.exceptions import DatasetUnavailable
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

REQUIRED = {"reflectometry", "small-angle-scattering", "inelastic-scattering", "x-ray-fluorescence"}


@pytest.fixture
def registry():
    return dataset_sync_bundled(BUNDLED_DATASETS)


def test_bundled_registry_covers_the_promised_techniques_with_provenance():
    assert {spec["technique"] for spec in BUNDLED_DATASETS} >= REQUIRED
    for spec in BUNDLED_DATASETS:
        assert spec["licence"] and spec["files"], spec["id"]
        assert spec["facility"] or spec["notes"], f"{spec['id']}: unknown provenance must be explained"
        for item in spec["files"]:
            assert len(item["sha256"]) == 64 and item["size"] > 0, item["name"]


def test_every_bundled_dataset_verifies_byte_for_byte(registry, capsys):
    call_command("datasets", "verify")
    printed = capsys.readouterr().out
    for spec in BUNDLED_DATASETS:
        count = len(spec["files"])
        assert f" {spec['id']}  {count} file{'s' if count != 1 else ''}," in printed


def test_sync_is_idempotent(registry):
    counts = (Dataset.objects.count(), DatasetFile.objects.count())
    dataset_sync_bundled(BUNDLED_DATASETS)
    assert (Dataset.objects.count(), DatasetFile.objects.count()) == counts


def test_a_checksum_mismatch_fails_the_command(registry, capsys):
    record = DatasetFile.objects.filter(dataset=registry[0]).first()
    record.sha256 = "0" * 64
    record.save()
    with pytest.raises(CommandError, match="1 dataset"):
        call_command("datasets", "verify")
    assert f"FAILED    {registry[0].slug}: {record.name}: sha256 differs" in capsys.readouterr().out


def test_a_wrong_pin_or_missing_package_is_named(registry):
    dataset = registry[0]
    dataset.source_version = "0.0.1"
    assert "but the registry pins 0.0.1" in verify_dataset(dataset).problems[0]
    dataset.source_package = "no-such-package-panlearn"
    assert "is not installed" in verify_dataset(dataset).problems[0]


def test_unknown_dataset_and_empty_registry_are_clear_errors(registry):
    with pytest.raises(CommandError, match="Unknown dataset"):
        call_command("datasets", "verify", "nope")
    Dataset.objects.all().delete()
    with pytest.raises(CommandError, match="datasets sync"):
        call_command("datasets", "verify")


def test_installed_datasets_are_what_the_runner_mounts(registry, tmp_path):
    dataset = registry[0]
    assert dataset_install(dataset, root=tmp_path).ok
    resolved = DirectoryDatasets(tmp_path).resolve([dataset.slug])
    assert resolved == ((dataset.slug, str((tmp_path / dataset.slug).resolve())),)
    first = dataset.files.first()
    installed = tmp_path / dataset.slug / first.name
    installed.chmod(0o644)
    installed.write_bytes(b"tampered")
    with pytest.raises(DatasetUnavailable, match="failed its checksum"):
        DirectoryDatasets(tmp_path).resolve([dataset.slug])


def test_a_failing_dataset_installs_nothing(registry, tmp_path):
    dataset = registry[0]
    DatasetFile.objects.filter(dataset=dataset).update(sha256="f" * 64)
    assert not dataset_install(dataset, root=tmp_path).ok
    assert list(tmp_path.iterdir()) == []


def test_datasets_are_managed_in_the_admin(client, registry):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    response = client.get("/admin/snippets/panlearn_content/dataset/")
    assert response.status_code == 200
    assert registry[0].title in response.text


def test_installing_again_keeps_an_unchanged_copy_and_mends_a_changed_one(registry, tmp_path):
    """A running kernel host has the installed directory mounted: an unchanged reinstall must leave it in place."""
    dataset = registry[0]
    assert dataset_install(dataset, root=tmp_path).ok
    directory = tmp_path / dataset.slug
    inode = directory.stat().st_ino
    assert dataset_install(dataset, root=tmp_path).ok
    assert directory.stat().st_ino == inode
    installed = directory / dataset.files.first().name
    installed.chmod(0o644)
    installed.write_bytes(b"x" * installed.stat().st_size)  # same size, other bytes
    assert dataset_install(dataset, root=tmp_path).ok
    assert directory.stat().st_ino != inode
    DirectoryDatasets(tmp_path).resolve([dataset.slug])  # the checksums hold again
    assert [path.name for path in tmp_path.iterdir()] == [dataset.slug]  # no staging left behind
