"""Which entity the HDF5 viewer opens first when a file names no default plot."""

from contextlib import contextmanager
from importlib.metadata import distribution
from pathlib import Path

import h5py
import numpy as np
import pytest

from content import nexus
from content.nexus import initial_path

SURFACTANT = Path(
    distribution("sasdata").locate_file("sasdata/example_data/1d_data/33837rear_1D_1.75_16.5_NXcanSAS.h5")
)
CHOPPER = Path(distribution("nexusformat").locate_file("nexusformat/examples/chopper.nxs"))


@contextmanager
def memory_file():
    with h5py.File("in-memory.h5", "w", driver="core", backing_store=False) as handle:
        yield handle


def nxdata(parent, name, *, signal="y", nx_class="NXdata"):
    group = parent.create_group(name)
    group.attrs["NX_class"] = nx_class
    group[signal] = np.arange(3.0)
    group.attrs["signal"] = signal
    return group


def test_mantid_nxcansas_opens_on_its_intensity():
    """SASdata groups that are not NXdata are not plotted by H5Web: its I dataset is."""
    with h5py.File(SURFACTANT, "r") as handle:
        assert initial_path(handle) == "/sasentry01/sasdata/I"


def test_a_file_with_a_default_chain_is_left_to_h5web():
    with h5py.File(CHOPPER, "r") as handle:
        assert initial_path(handle) == ""


def test_current_nxcansas_opens_on_its_sasdata_group():
    with memory_file() as handle:
        entry = handle.create_group("sasentry01")
        entry.attrs["canSAS_class"] = "SASentry"
        nxdata(entry, "other")  # found first, but canSAS I(Q) is preferred
        data = nxdata(entry, "sasdata", signal="I")
        data.attrs["canSAS_class"] = "SASdata"
        data.attrs["I_axes"] = "Q"
        assert initial_path(handle) == "/sasentry01/sasdata"


def test_the_first_plottable_nxdata_breadth_first():
    with memory_file() as handle:
        deep = handle.create_group("a/b/c")
        nxdata(deep, "deep")
        empty = handle.create_group("z/no_signal")
        empty.attrs["NX_class"] = np.bytes_(b"NXdata")  # no @signal: nothing to plot
        nxdata(handle["z"], "shallow", nx_class=np.bytes_(b"NXdata"))
        assert initial_path(handle) == "/z/shallow"


def test_a_broken_default_chain_does_not_stop_the_search():
    with memory_file() as handle:
        handle.attrs["default"] = "entry"
        entry = handle.create_group("entry")
        entry.attrs["default"] = "missing"
        nxdata(entry, "data")
        assert initial_path(handle) == "/entry/data"


def test_links_and_cycles_are_not_followed_and_the_search_is_bounded(monkeypatch):
    with memory_file() as handle:
        loop = handle.create_group("loop")
        loop["back"] = loop  # a hard-link cycle
        loop["soft"] = h5py.SoftLink("/elsewhere")
        elsewhere = handle.create_group("elsewhere")
        nxdata(elsewhere, "data")
        assert initial_path(handle) == "/elsewhere/data"
        monkeypatch.setattr(nexus, "MAX_VISITED", 2)  # elsewhere, loop: not their members
        assert initial_path(handle) == ""


@pytest.mark.parametrize("content", [{}, {"plain": np.arange(3)}])
def test_nothing_plottable_gives_no_path(content):
    with memory_file() as handle:
        for name, value in content.items():
            handle[name] = value
        assert initial_path(handle) == ""
