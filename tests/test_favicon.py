"""Every page names a favicon that loads, and /favicon.ico (asked for by browsers regardless) is no 404."""

import re

import pytest
from django.template.loader import render_to_string

pytestmark = pytest.mark.django_db


def _icon_href(html: str) -> str:
    links = [tag for tag in re.findall(r"<link [^>]*>", html) if re.search(r'rel="(shortcut )?icon"', tag)]
    assert links, "no <link rel=icon>"
    return re.search(r'href="([^"]+)"', links[0]).group(1)


def _loads(client, url: str) -> bytes:
    response = client.get(url, follow=True)
    assert response.status_code == 200, url
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_site_pages_link_the_panlearn_favicon(client, course):
    for path in ("/", course.url, "/accounts/login/", "/verify/PLC-0000-0000-0000-0000/"):
        href = _icon_href(client.get(path).content.decode())
        assert href.endswith(".svg") and "panlearn/favicon" in href
        assert b"<svg" in _loads(client, href)


def test_favicon_ico_is_no_404(client):
    response = client.get("/favicon.ico")
    assert response.status_code in (301, 302) and "panlearn/favicon" in response["Location"]
    assert b"<svg" in _loads(client, "/favicon.ico")


def test_the_error_page_links_the_favicon():
    assert "panlearn/favicon" in _icon_href(render_to_string("500.html"))


def test_admin_pages_link_a_favicon_that_loads(client, admin_client):
    pages = [(client, "/admin/login/"), (admin_client, "/admin/"), (admin_client, "/admin/pages/")]
    for who, path in pages:
        response = who.get(path)
        assert response.status_code == 200, path
        href = _icon_href(response.content.decode())
        assert "panlearn/favicon" in href
        assert b"<svg" in _loads(who, href)
