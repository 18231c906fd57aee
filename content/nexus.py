"""Which entity of an HDF5/NeXus file the viewer opens first.

H5Web draws a file's default plot by following its NeXus `@default` attributes (root -> entry ->
NXdata). Files without that chain, such as Mantid's NXcanSAS output, open on "Nothing to
display"; for those the viewer is given a path to open instead: the canSAS I(Q) data, or else
the first NXdata with a signal, found breadth-first within a bound.
"""

from collections import deque

import h5py

MAX_VISITED = 2_000  # members looked at; a huge file gets no guess rather than a slow page


def _text(value) -> str:
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    if hasattr(value, "shape") and value.shape == ():  # numpy scalars, e.g. np.bytes_
        return _text(value.item())
    return value if isinstance(value, str) else ""


def _attr(entity, name: str) -> str:
    try:
        return _text(entity.attrs.get(name))
    except (OSError, TypeError, ValueError):  # an attribute h5py cannot decode is no hint
        return ""


def _signal(group: h5py.Group) -> str:
    """The path of the group's signal dataset, or "" when it names none."""
    name = _attr(group, "signal")
    if name and isinstance(group.get(name), h5py.Dataset):
        return group[name].name
    return ""


def _is_nxdata(group: h5py.Group) -> bool:
    """What H5Web plots: an NXdata group whose @signal names one of its datasets."""
    return _attr(group, "NX_class") == "NXdata" and bool(_signal(group))


def _default_chain_plots(root: h5py.Group) -> bool:
    """True when root's @default chain ends at an NXdata group: H5Web then finds the plot itself."""
    group = root
    for _ in range(8):  # NeXus chains are root -> entry -> (subentry ->) data
        target = group.get(_attr(group, "default")) if _attr(group, "default") else None
        if not isinstance(target, h5py.Group):
            return False
        if _is_nxdata(target):
            return True
        group = target
    return False


def _cansas_path(group: h5py.Group) -> str:
    """For an NXcanSAS SASdata group with I(Q): the path H5Web can plot, else ""."""
    sas_class = _attr(group, "canSAS_class") or _attr(group, "NX_class")
    if sas_class != "SASdata" or not _attr(group, "I_axes") or not _signal(group):
        return ""
    # Current NXcanSAS also marks the group NXdata, which H5Web plots against Q; older files
    # (Mantid 3.x) mark it SASdata only, which H5Web does not plot, so open the I dataset.
    return group.name if _is_nxdata(group) else _signal(group)


def initial_path(root: h5py.Group) -> str:
    """The path the viewer should open first, or "" to let H5Web follow the file's @default chain.

    A file without a chain gets its canSAS I(Q) data, or else its first plottable NXdata group,
    searched breadth-first through hard links only, looking at no more than MAX_VISITED members.
    """
    if _default_chain_plots(root):
        return ""
    first_nxdata = ""
    queue = deque([root])
    seen = {root.id}
    visited = 0
    while queue:
        group = queue.popleft()
        for name in group:
            visited += 1
            if visited > MAX_VISITED:
                return first_nxdata
            if not isinstance(group.get(name, getlink=True), h5py.HardLink):
                continue
            member = group.get(name)
            if not isinstance(member, h5py.Group) or member.id in seen:
                continue
            seen.add(member.id)
            cansas = _cansas_path(member)
            if cansas:
                return cansas
            if not first_nxdata and _is_nxdata(member):
                first_nxdata = member.name
            queue.append(member)
    return first_nxdata
