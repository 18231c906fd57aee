"""Addresses on the site's public URL, PANLEARN_BASE_URL (WAGTAILADMIN_BASE_URL), for what other systems
keep: catalogue records, JSON-LD identifiers. Not the Wagtail Site's root URL, which is `http://localhost`
in the demo wherever it is served, nor the host a request came to, which may be an internal name; the
Site's root URL only when PANLEARN_BASE_URL is set empty. panlearn serves one Wagtail site."""

from django.conf import settings
from django.http import HttpRequest


def public_root(site_root_url: str) -> str:
    """The public base URL, without a trailing slash; `site_root_url` when none is set."""
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") or site_root_url.rstrip("/")


def page_public_url(page, request: HttpRequest | None = None) -> str | None:
    """A Wagtail page's public address; None for a page in no site, which has none."""
    parts = page.get_url_parts(request)
    if parts is None:
        return None
    _, root_url, path = parts
    return public_root(root_url or "") + path
