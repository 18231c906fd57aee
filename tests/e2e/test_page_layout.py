"""Layout details only a browser shows: the catalogue's filter bar when it wraps, its Search button, and
the certificate verification card's padding. Set PANLEARN_E2E_SCREENSHOTS to a folder to keep screenshots."""

import os
from pathlib import Path

import pytest

from tests.certificates.conftest import certificate, completion, facility, holder, programme  # noqa: F401
from tests.factories import CoursePageFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

WIDTHS = range(320, 1041, 40)


def _screenshot(page, name: str) -> None:
    folder = os.environ.get("PANLEARN_E2E_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def _gap(a: dict, b: dict) -> tuple[float, float]:
    """The horizontal and vertical distance between two boxes (0 where they overlap)."""
    dx = max(0, b["x"] - (a["x"] + a["width"]), a["x"] - (b["x"] + b["width"]))
    dy = max(0, b["y"] - (a["y"] + a["height"]), a["y"] - (b["y"] + b["height"]))
    return dx, dy


def test_catalogue_filter_labels_stay_with_their_fields(page, catalogue):
    CoursePageFactory(parent=catalogue, title="Neutron diffraction basics", slug="diffraction")
    page.goto("/")
    labels = page.locator(".catalogue-filters label")
    assert labels.count() == 4
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        for index in range(labels.count()):
            label = labels.nth(index)
            field = page.locator(f"#{label.get_attribute('for')}")
            dx, dy = _gap(label.bounding_box(), field.bounding_box())
            assert dx <= 16 and dy <= 8, f"{label.inner_text()!r} is cut from its field at {width}px"
        if width in (360, 760, 1040):
            _screenshot(page, f"catalogue-{width}")


def test_the_search_button_looks_like_the_sites_buttons(page, catalogue):
    page.goto("/")
    style = "el => { const s = getComputedStyle(el); return [s.backgroundColor, s.color, s.borderRadius]; }"
    search = page.get_by_role("button", name="Search").evaluate(style)
    sign_up = page.locator(".site-header .button").first.evaluate(style)  # the header's Sign up
    assert search == sign_up and search[0] != "rgba(0, 0, 0, 0)"


def test_the_verification_card_pads_its_content(page, certificate):  # noqa: F811
    page.set_viewport_size({"width": 800, "height": 700})
    page.goto(f"/verify/{certificate.public_id}/")
    card = page.locator(".certificate-verification").bounding_box()
    for element in ("p.eyebrow", "h2"):
        inner = page.locator(f".certificate-verification {element}").bounding_box()
        assert inner["x"] - card["x"] >= 12 and (card["x"] + card["width"]) - (inner["x"] + inner["width"]) >= 12
    eyebrow = page.locator(".certificate-verification p.eyebrow").bounding_box()
    assert eyebrow["y"] - card["y"] >= 12
    _screenshot(page, "verification")


def test_no_page_asks_for_a_favicon_in_vain(page, catalogue, django_user_model):
    """The site and the admin link the favicon, it loads, and /favicon.ico answers too."""
    django_user_model.objects.create_superuser("root", "root@example.org", "pw-for-the-browser")
    missing = []
    page.on("response", lambda response: missing.append(response.url) if response.status == 404 else None)
    page.goto("/")
    page.goto("/admin/login/")
    page.get_by_label("Username").fill("root")
    page.get_by_label("Password").fill("pw-for-the-browser")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/admin/")
    for path in ("/", "/admin/"):
        page.goto(path)
        href = page.locator("link[rel=icon]").get_attribute("href")
        assert page.request.get(href).headers["content-type"].startswith("image/svg+xml")
    icon = page.request.get("/favicon.ico")
    assert icon.ok and icon.body().startswith(b"<svg")
    assert missing == []
    page.set_content(f'<img src="{page.url.split("/admin")[0]}{href}" width="128" height="128">')
    page.wait_for_timeout(300)
    _screenshot(page, "favicon")
