"""Bundled datasets, installed by the content app, read inside real sandboxed kernels."""

import pytest

from content.bundled import BUNDLED_DATASETS
from content.services import dataset_install, dataset_sync_bundled
from tests.runner.conftest import text_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def installed(kernel_host):
    for dataset in dataset_sync_bundled(BUNDLED_DATASETS):
        if dataset.slug in ("platypus-dmpc-bilayer", "ipns-lrmecs-mgb2"):
            assert dataset_install(dataset, root=kernel_host.tmp / "datasets").ok


def test_text_and_nexus_data_open_with_the_helper(runner, installed):
    info = runner.create_session(user="reader", context="c", datasets=["platypus-dmpc-bilayer", "ipns-lrmecs-mgb2"])
    code = """
import panlearn_data as data
q, r, dr, dq = data.load("platypus-dmpc-bilayer", "c_PLP0016596.dat").T
print(sorted(data.available()))
print(len(q) > 50, 0.005 < q.min() < 0.02, 0.1 < q.max() < 0.5, r.max() <= 1.5)
with data.open_hdf5("ipns-lrmecs-mgb2", "chopper.nxs") as nexus:
    entry = next(iter(nexus))
    print(nexus[entry].attrs.get("NX_class", b"").decode() if isinstance(nexus[entry].attrs.get("NX_class"), bytes)
          else nexus[entry].attrs.get("NX_class"))
"""
    reply = runner.execute(info["session_id"], user="reader", code=code)
    assert reply.status == "ok", text_of(reply)
    lines = text_of(reply).splitlines()
    assert lines[0] == "['ipns-lrmecs-mgb2', 'platypus-dmpc-bilayer']"
    assert lines[1] == "True True True True"  # a reflectivity curve: Q in Å⁻¹, R at most ~1
    assert lines[2] == "NXentry"
    runner.shutdown(info["session_id"], user="reader")


def test_a_dataset_not_mounted_is_a_clear_error(runner, session, installed):
    session_id, user = session
    reply = runner.execute(
        session_id, user=user, code="import panlearn_data\npanlearn_data.load('platypus-dmpc-bilayer', 'x')"
    )
    assert reply.outputs[-1]["ename"] == "DatasetNotMounted"
    assert "not mounted in this session" in reply.outputs[-1]["evalue"]
