"""Remote dataset sources: which resolver answers a reference, and one entry point to call it.

Base URLs, the HTTP timeout and PaNOSC's download template are Django settings (content/conf.py),
read when a resolver is called so tests and operators can change them.
"""

import re
from collections.abc import Callable

import httpx
from django.conf import settings

from .. import conf
from . import hoa, icat, panosc, scicat, zenodo
from .base import RemoteDataset, RemoteFile, ResolverError, download, source_client

__all__ = ["SOURCES", "RemoteDataset", "RemoteFile", "ResolverError", "download", "guess_source", "resolve"]

Resolver = Callable[..., RemoteDataset]

SOURCES: dict[str, Resolver] = {
    "zenodo": zenodo.resolve,
    "panosc": panosc.resolve,
    "icat": icat.resolve,
    "scicat": scicat.resolve,
    "hoa": hoa.resolve,
}
BASE_URL_SETTINGS = {
    "zenodo": "PANLEARN_CONTENT_ZENODO_URL",
    "panosc": "PANLEARN_CONTENT_PANOSC_URL",
    "icat": "PANLEARN_CONTENT_ICAT_URL",
    "scicat": "PANLEARN_CONTENT_SCICAT_URL",
}
ESRF_DOI = re.compile(r"^10\.15151/ESRF-(?:ES|DC)-\d+$", re.IGNORECASE)
DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:)", re.IGNORECASE)


def setting(name: str):
    """A content setting, falling back to content/conf.py's default when the settings module lacks it."""
    return getattr(settings, name, getattr(conf, name))


def guess_source(reference: str) -> str:
    """The source kind a DOI or name belongs to, or a ResolverError asking to pick one."""
    bare = DOI_PREFIX.sub("", reference.strip())
    if zenodo.ZENODO_DOI.match(bare):
        return "zenodo"
    if hoa.knows(bare):  # HOA DOIs are ESRF data-collection DOIs: look them up before ICAT+
        return "hoa"
    if ESRF_DOI.match(bare):
        return "icat"
    raise ResolverError(f"Cannot tell which source “{reference[:100]}” comes from; pick one of: {', '.join(SOURCES)}.")


def resolve(
    source: str, reference: str, *, client: httpx.Client | None = None, base_url: str | None = None
) -> RemoteDataset:
    """Resolve a reference with the named source; a client with the configured timeout is made when none is given."""
    resolver = SOURCES.get(source)
    if resolver is None:
        raise ResolverError(f"Unknown source “{source}”; pick one of: {', '.join(SOURCES)}.")
    options = {}
    if source in BASE_URL_SETTINGS:
        options["base_url"] = base_url or setting(BASE_URL_SETTINGS[source])
    if source == "panosc":
        options["download_template"] = setting("PANLEARN_CONTENT_PANOSC_DOWNLOAD_TEMPLATE")
    try:
        if client is not None:
            return _capped(resolver(client, reference, **options))
        with http_client() as own:
            return _capped(resolver(own, reference, **options))
    except (ValueError, TypeError, AttributeError, KeyError) as error:
        # A source answering in a shape its resolver does not expect is the source's fault, not a crash.
        shape = error.__class__.__name__
        raise ResolverError(f"The {source} source answered in an unexpected shape ({shape}).") from None


MAX_LISTED_FILES = 1000


def _capped(dataset: RemoteDataset) -> RemoteDataset:
    if len(dataset.files) > MAX_LISTED_FILES:
        cut = f"Only the first {MAX_LISTED_FILES} of {len(dataset.files)} files are listed."
        dataset.notes = f"{dataset.notes} {cut}".strip()
        dataset.files = dataset.files[:MAX_LISTED_FILES]
    return dataset


def http_client() -> httpx.Client:
    """The client every remote call uses: the configured timeout, and no local addresses unless allowed."""
    return source_client(
        timeout=float(setting("PANLEARN_CONTENT_HTTP_TIMEOUT")),
        allow_local=bool(setting("PANLEARN_CONTENT_ALLOW_LOCAL_SOURCES")),
    )
