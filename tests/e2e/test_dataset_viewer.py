"""H5Web in a real browser, fed by our h5grove endpoints: the NeXus tree, a value, a plot preview."""

import pytest
from playwright.sync_api import expect

from content.bundled import BUNDLED_DATASETS
from content.services import dataset_sync_bundled

# A transactional test flushes the database, Wagtail's root page included: serialized_rollback restores it.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def datasets(live_server):
    dataset_sync_bundled(BUNDLED_DATASETS)


def test_chopper_nxs_opens_in_the_viewer_with_its_tree(page, datasets):
    errors = []
    page.on("pageerror", lambda error: errors.append(error.stack or str(error)))
    h5grove_calls = []
    page.on("request", lambda request: "/h5grove/" in request.url and h5grove_calls.append(request.url))
    page.goto("/datasets/ipns-lrmecs-mgb2/")
    viewer = page.locator("[data-h5web]")
    tree = viewer.get_by_role("tree")
    expect(tree.get_by_role("treeitem", name="entry")).to_be_visible()
    tree.get_by_role("treeitem", name="entry").click()
    for name in ("data", "instrument", "monitor1", "monitor2", "sample"):
        expect(tree.locator(f'[data-path="/entry/{name}"]')).to_be_visible()
    tree.locator('[data-path="/entry/instrument"]').click()
    tree.locator('[data-path="/entry/instrument/source"]').click()
    tree.locator('[data-path="/entry/instrument/source/name"]').click()
    expect(viewer.get_by_text("IPNS").first).to_be_visible()  # a string value read through /data
    assert any("/h5grove/meta" in url and "file=chopper.nxs" in url for url in h5grove_calls)
    assert any("/h5grove/data" in url for url in h5grove_calls)
    assert not errors, errors


def test_text_data_gets_a_plot_preview(page, datasets):
    errors = []
    page.on("pageerror", lambda error: errors.append(error.stack or str(error)))
    page.goto("/datasets/platypus-dmpc-bilayer/")
    plot = page.locator("[data-plot1d]")
    expect(plot.locator("canvas")).to_have_count(1)
    assert plot.bounding_box()["height"] > 100
    expect(plot.locator(".h5web-error")).to_have_count(0)
    page.get_by_role("navigation", name="Files to explore").get_by_role("link", name="c_PLP0016607.dat").click()
    expect(page.locator('[data-plot1d][data-src$="c_PLP0016607.dat"]')).to_be_visible()
    assert not errors, errors


def test_an_nxcansas_file_without_a_default_opens_on_a_plot(page, datasets):
    """Mantid's NXcanSAS names no @default: the viewer opens on I(Q)'s plot, not on "Nothing to display"."""
    errors = []
    page.on("pageerror", lambda error: errors.append(error.stack or str(error)))
    page.goto("/datasets/isis-sans2d-oriented-surfactant/")
    viewer = page.locator("[data-h5web]")
    expect(viewer.locator("canvas")).to_have_count(1)
    expect(viewer.get_by_role("tab", name="Line")).to_have_attribute("aria-selected", "true")
    expect(viewer.get_by_text("Nothing to display")).to_have_count(0)
    expect(viewer.get_by_role("tree").locator('[data-path="/sasentry01/sasdata/I"]')).to_be_visible()
    assert not errors, errors
