"""Safe reads of a dataset's HDF5/NeXus files for the viewer, on top of h5grove's content objects.

h5grove gives H5Web its API (meta, attr, data, paths, stats); what it does not do is decide
which files may be read. Here a file is served only when it is a registered file of a dataset
the user may see (`sources.open_file` refuses names outside the registry and symlinks), when it
really is HDF5, and when it does not reach into other files: HDF5 external links and virtual
datasets would let a crafted file make the server read any HDF5 file on disk, so such files
are refused whole rather than followed.
"""

from collections import OrderedDict
from contextlib import contextmanager
from pathlib import Path

import h5py
import numpy as np
from h5grove.content import DatasetContent, GroupContent, ResolvedEntityContent, create_content
from h5grove.encoders import encode
from h5grove.models import LinkResolution
from h5grove.utils import NotFoundError, QueryArgumentError, parse_bool_arg, parse_slice


class ViewerError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


_LINK_SCAN_CACHE: "OrderedDict[tuple, str]" = OrderedDict()
_LINK_SCAN_CACHE_SIZE = 256


def outside_references(h5file: h5py.File) -> str:
    """The first external link or virtual dataset in the file, described, or "" when there is none."""
    found: list[str] = []

    def visit(name: str, link) -> bool | None:
        if isinstance(link, h5py.ExternalLink):
            found.append(f"/{name} is an external link to {link.filename}")
            return True
        if isinstance(link, h5py.HardLink):
            item = h5file.get(name)
            if isinstance(item, h5py.Dataset) and item.is_virtual:
                found.append(f"/{name} is a virtual dataset")
                return True
        return None

    h5file.visititems_links(visit)
    return found[0] if found else ""


def _scan(path: Path, h5file: h5py.File) -> str:
    stat = path.stat()
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    if key not in _LINK_SCAN_CACHE:
        _LINK_SCAN_CACHE[key] = outside_references(h5file)
        while len(_LINK_SCAN_CACHE) > _LINK_SCAN_CACHE_SIZE:
            _LINK_SCAN_CACHE.popitem(last=False)
    return _LINK_SCAN_CACHE[key]


@contextmanager
def open_hdf5(path: Path):
    if not h5py.is_hdf5(path):
        raise ViewerError(415, f"{path.name} is not an HDF5 file; the viewer opens HDF5 and NeXus files only.")
    try:
        h5file = h5py.File(path, "r", locking=False)
    except OSError as error:
        raise ViewerError(422, f"{path.name} could not be read as HDF5 (damaged or truncated file: {error}).") from None
    with h5file:
        reason = _scan(path, h5file)
        if reason:
            raise ViewerError(
                403, f"{path.name} refers to data in other files ({reason}); the viewer does not follow such links."
            )
        yield h5file


def _selection_size(dataset: h5py.Dataset, selection: str | None) -> int:
    """How many elements a selection reads, worked out without reading or allocating them."""
    if selection is None or dataset.shape is None:
        return int(dataset.size or 0)
    parsed = parse_slice(selection)
    if len(parsed) > dataset.ndim:
        raise ViewerError(422, f"{selection} has too many members to slice a {dataset.ndim}D dataset.")
    shape = dataset.shape
    template = np.lib.stride_tricks.as_strided(np.zeros(1, dtype=np.uint8), shape=shape, strides=(0,) * len(shape))
    try:
        return int(template[parsed].size)
    except IndexError as error:
        raise ViewerError(422, f"The selection {selection} is outside the dataset: {error}.") from None


def _content(h5file: h5py.File, path: str | None, resolve_links: str | None):
    try:
        resolution = LinkResolution(resolve_links) if resolve_links else LinkResolution.ONLY_VALID
    except ValueError:
        raise ViewerError(422, f"resolve_links must be one of {[item.value for item in LinkResolution]}.") from None
    try:
        return create_content(h5file, path or "/", resolution)
    except NotFoundError as error:
        raise ViewerError(404, str(error)) from None


def respond(endpoint: str, path: Path, params, *, max_bytes: int):
    """Run one h5grove endpoint on a checked file: returns h5grove's encoded response."""
    entity_path = params.get("path")
    try:
        with open_hdf5(path) as h5file:
            if endpoint == "meta":
                return encode(_content(h5file, entity_path, params.get("resolve_links")).metadata())
            if endpoint == "paths":
                content = _content(h5file, entity_path, params.get("resolve_links"))
                if not isinstance(content, GroupContent):
                    raise ViewerError(422, f"{content.path} is not a group.")
                names = [content.path]
                base = content.path.rstrip("/")
                content._h5py_entity.id.links.visit(lambda name: names.append(f"{base}/{name.decode()}"))
                return encode(names)
            content = _content(h5file, entity_path, None)
            if endpoint == "attr":
                if not isinstance(content, ResolvedEntityContent):
                    raise ViewerError(422, f"{content.path} is a link that cannot be resolved.")
                keys = params.getlist("attr_keys") if "attr_keys" in params else None
                return encode(content.attributes(keys))
            if not isinstance(content, DatasetContent):
                raise ViewerError(422, f"{content.path} is not a dataset.")
            selection = params.get("selection") or None
            dataset = content._h5py_entity
            size = _selection_size(dataset, selection) * dataset.dtype.itemsize
            if size > max_bytes:
                raise ViewerError(
                    413, f"That selection is {size} bytes; the viewer reads at most {max_bytes} bytes at a time."
                )
            if endpoint == "stats":
                return encode(content.data_stats(selection))
            flatten = parse_bool_arg(params.get("flatten"), fallback=False)
            data = content.data(selection, flatten, params.get("dtype") or "origin")
            return encode(data, params.get("format") or "json")
    except (QueryArgumentError, ValueError, TypeError) as error:
        raise ViewerError(422, str(error)) from None
    except OSError as error:  # a damaged chunk shows up only when it is read
        raise ViewerError(422, f"{path.name} could not be read: {error}.") from None
