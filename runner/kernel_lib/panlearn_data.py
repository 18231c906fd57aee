"""Datasets inside a panlearn code cell.

    import panlearn_data as data
    data.available()                       # {"platypus-dmpc-bilayer": ["c_PLP0016596.dat", ...], ...}
    q, r, dr, dq = data.load("platypus-dmpc-bilayer", "c_PLP0016596.dat").T
    with data.open_hdf5("ipns-lrmecs-mgb2", "chopper.nxs") as nexus:
        print(list(nexus))

Datasets are mounted read-only under /data/<id>/ when a lesson or exercise declares them.
This module runs inside the sandbox: it uses only the standard library, numpy and h5py.
"""

import os
from pathlib import Path

ROOT = Path(os.environ.get("PANLEARN_DATA", "/data"))
HDF5_SUFFIXES = (".h5", ".hdf5", ".nxs", ".nx5", ".hdf")


class DatasetNotMounted(LookupError):
    pass


def available() -> dict:
    """The datasets mounted in this session, with their files."""
    if not ROOT.is_dir():
        return {}
    return {
        entry.name: sorted(item.name for item in entry.iterdir() if item.is_file() and item.name != "SHA256SUMS")
        for entry in sorted(ROOT.iterdir())
        if entry.is_dir()
    }


def path(dataset: str, name: str) -> Path:
    """The file's path, or an error that says which datasets and files this session has."""
    mounted = available()
    if dataset not in mounted:
        names = ", ".join(mounted) or "none"
        raise DatasetNotMounted(
            f"The dataset {dataset!r} is not mounted in this session (mounted: {names}). "
            "Datasets are attached by the lesson or exercise."
        )
    if name not in mounted[dataset]:
        raise DatasetNotMounted(f"{dataset!r} has no file {name!r}; its files are: {', '.join(mounted[dataset])}.")
    return ROOT / dataset / name


def load(dataset: str, name: str, **loadtxt_options):
    """A text table as a numpy array (comment lines starting with # are skipped)."""
    import numpy as np

    loadtxt_options.setdefault("comments", "#")
    return np.loadtxt(path(dataset, name), **loadtxt_options)


def open_hdf5(dataset: str, name: str):
    """An HDF5/NeXus file, read-only (use it in a `with` block)."""
    import h5py

    target = path(dataset, name)
    if target.suffix.lower() not in HDF5_SUFFIXES:
        raise ValueError(f"{name!r} is not an HDF5/NeXus file; use load() for text files.")
    return h5py.File(target, "r")
