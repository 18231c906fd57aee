"""Safe reads of a dataset's HDF5/NeXus files for the viewer, on top of h5grove's content objects.

h5grove gives H5Web its API (meta, attr, data, paths, stats); what it does not do is decide
which files may be read. Here a file is served only when it is a registered file of a dataset
the user may see (`sources.open_file` refuses names outside the registry and symlinks), when it
really is HDF5, and when it does not reach into other files: HDF5 external links, virtual
datasets and external raw storage would let a crafted file make the server read other files on
disk, so such files are refused whole rather than followed. Every read is bounded: the encoded
size of a selection or of attributes, the number of paths listed and of children described.
"""

import functools
from collections import OrderedDict
from contextlib import contextmanager
from pathlib import Path

import h5py
import numpy as np
from h5grove.content import DatasetContent, GroupContent, ResolvedEntityContent, create_content
from h5grove.encoders import encode
from h5grove.models import LinkResolution
from h5grove.utils import NotFoundError, QueryArgumentError, parse_bool_arg, parse_slice

from .nexus import initial_path


class ViewerError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


_LINK_SCAN_CACHE: "OrderedDict[tuple, str]" = OrderedDict()
_LINK_SCAN_CACHE_SIZE = 256
MAX_LINKS = 200_000  # links scanned, paths listed: a file with more is not browsed
MAX_CHILDREN = 20_000  # children described in one group's metadata
MAX_VARIABLE_LENGTH_ITEMS = 10_000  # variable-length strings/arrays: their size is unknown before reading
# Bytes per element of the encoded response, at worst, for text encodings.
ENCODED_BYTES_PER_ITEM = {"json": 24, "csv": 26}


def outside_references(h5file: h5py.File) -> str:
    """The first thing in the file that reads another file, described, or "" when there is none.

    That is an external link, a virtual dataset (its sources are other files) or a dataset with
    external raw storage (its bytes live in another file, any file).
    """
    found: list[str] = []
    seen = 0

    def visit(name: str, link) -> bool | None:
        nonlocal seen
        seen += 1
        if seen > MAX_LINKS:
            found.append(f"it has more than {MAX_LINKS} links to check")
            return True
        if isinstance(link, h5py.ExternalLink):
            found.append(f"/{name} is an external link to {link.filename}")
            return True
        if isinstance(link, h5py.HardLink):
            item = h5file.get(name)
            if isinstance(item, h5py.Dataset) and item.is_virtual:
                found.append(f"/{name} is a virtual dataset")
                return True
            if isinstance(item, h5py.Dataset) and item.external:
                found.append(f"/{name} keeps its data in an external file")
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


def initial_path_of(path: Path) -> str:
    """The entity the viewer opens first (see `nexus.initial_path`); "" when the file is not served."""
    stat = path.stat()
    return _cached_initial_path(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=64)
def _cached_initial_path(path_name: str, mtime_ns: int, size: int) -> str:
    try:
        with open_hdf5(Path(path_name)) as h5file:
            return initial_path(h5file)
    except (ViewerError, OSError):  # the viewer itself explains why the file does not open
        return ""


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


def _too_big(size: int, max_bytes: int, what: str) -> None:
    if size > max_bytes:
        raise ViewerError(413, f"{what} is about {size} bytes; the viewer reads at most {max_bytes} bytes at a time.")


def _check_selection(dataset: h5py.Dataset, selection: str | None, encoding: str, max_bytes: int) -> None:
    items = _selection_size(dataset, selection)
    variable = h5py.check_vlen_dtype(dataset.dtype) is not None or (
        (info := h5py.check_string_dtype(dataset.dtype)) is not None and info.length is None
    )
    if variable and items > MAX_VARIABLE_LENGTH_ITEMS:
        raise ViewerError(413, f"Select at most {MAX_VARIABLE_LENGTH_ITEMS} variable-length items at a time.")
    per_item = max(dataset.dtype.itemsize, ENCODED_BYTES_PER_ITEM.get(encoding, 0))
    _too_big(items * per_item, max_bytes, "That selection")


def _check_attributes(entity, keys: list[str] | None, max_bytes: int) -> None:
    names = keys if keys is not None else list(entity.attrs)
    missing = [name for name in names if name not in entity.attrs]
    if missing:
        raise ViewerError(404, f"No attribute {missing[0]!r} here.")
    _too_big(sum(entity.attrs.get_id(name).get_storage_size() for name in names), max_bytes, "Those attributes")


def _paths(content: GroupContent) -> list[str]:
    names = [content.path]
    base = content.path.rstrip("/")

    def add(name: bytes) -> int | None:
        names.append(f"{base}/{name.decode()}")
        return 1 if len(names) > MAX_LINKS else None  # a non-None return stops the visit

    content._h5py_entity.id.links.visit(add)
    if len(names) > MAX_LINKS:
        raise ViewerError(413, f"{content.path} holds more than {MAX_LINKS} paths; search a smaller group.")
    return names


def respond(endpoint: str, path: Path, params, *, max_bytes: int):
    """Run one h5grove endpoint on a checked file: returns h5grove's encoded response."""
    entity_path = params.get("path")
    try:
        with open_hdf5(path) as h5file:
            if endpoint in ("meta", "paths"):
                content = _content(h5file, entity_path, params.get("resolve_links"))
                is_group = isinstance(content, GroupContent)
                if endpoint == "meta":
                    if is_group and len(content._h5py_entity) > MAX_CHILDREN:
                        raise ViewerError(413, f"{content.path} has more than {MAX_CHILDREN} members to list.")
                    return encode(content.metadata())
                if not is_group:
                    raise ViewerError(422, f"{content.path} is not a group.")
                return encode(_paths(content))
            content = _content(h5file, entity_path, None)
            if endpoint == "attr":
                if not isinstance(content, ResolvedEntityContent):
                    raise ViewerError(422, f"{content.path} is a link that cannot be resolved.")
                keys = params.getlist("attr_keys") if "attr_keys" in params else None
                _check_attributes(content._h5py_entity, keys, max_bytes)
                return encode(content.attributes(keys))
            if not isinstance(content, DatasetContent):
                raise ViewerError(422, f"{content.path} is not a dataset.")
            selection = params.get("selection") or None
            encoding = params.get("format") or "json"
            _check_selection(content._h5py_entity, selection, "" if endpoint == "stats" else encoding, max_bytes)
            if endpoint == "stats":
                return encode(content.data_stats(selection))
            flatten = parse_bool_arg(params.get("flatten"), fallback=False)
            data = content.data(selection, flatten, params.get("dtype") or "origin")
            return encode(data, encoding)
    except (QueryArgumentError, ValueError, TypeError, IndexError) as error:
        # IndexError: e.g. tifffile given a 1D selection to write as an image.
        raise ViewerError(422, str(error) or "That request cannot be answered for this data.") from None
    except OSError as error:  # a damaged chunk shows up only when it is read
        raise ViewerError(422, f"{path.name} could not be read: {error}.") from None
