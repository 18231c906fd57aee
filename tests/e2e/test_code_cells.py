"""A student runs a lesson's code cells in Chromium, against uvicorn and a real sandboxed kernel."""

import json
import re

import pytest
from django.test import Client
from playwright.sync_api import expect

from content.bundled import BUNDLED_DATASETS
from content.models import Dataset
from content.services import dataset_install, dataset_sync_bundled
from courses.services import enrolment_create
from tests.factories import CatalogueIndexPageFactory, CoursePageFactory, LessonPageFactory, UserFactory

# A transactional test flushes the database, Wagtail's root page included: serialized_rollback restores it.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

CELLS = [
    ("first", "x = 21\nprint('x is', x)"),
    ("second", "print(x * 2)"),
    ("plot", "import matplotlib.pyplot as plt\nplt.plot([1, 4, 9])\nplt.show()"),
    (
        "html",
        "from IPython.display import HTML, display\n"
        'display(HTML(\'<b id="made-by-cell">bold</b><img src=x onerror="window.hacked=1">\'\n'
        "             '<script>window.hacked=2</script>'))",
    ),
    ("data", "import panlearn_data as data\nprint(sorted(data.available()))"),
    ("loop", "while True:\n    pass"),
]


@pytest.fixture
def lesson(kernel_host):
    from wagtail.models import Page, Site

    dataset_sync_bundled(BUNDLED_DATASETS)
    chopper = Dataset.objects.get(slug="ipns-lrmecs-mgb2")
    assert dataset_install(chopper, root=kernel_host.tmp / "datasets").ok
    catalogue = CatalogueIndexPageFactory(parent=Page.get_first_root_node())
    Site.objects.filter(is_default_site=True).update(root_page=catalogue)
    course = CoursePageFactory(parent=catalogue, title="Live Python", slug="live-python")
    lesson = LessonPageFactory(parent=course, title="Cells in a lesson", slug="cells-in-a-lesson")
    body = [{"type": "text", "value": "<p>Run the cells in order.</p>"}]
    for name, code in CELLS:
        datasets = [chopper.pk] if name == "data" else []
        value = {"code": code, "datasets": datasets, "setup_code": "", "read_only": False, "example_output": ""}
        body.append({"type": "code_cell", "id": f"cell-{name}", "value": value})
    lesson.body = json.dumps(body)
    lesson.save_revision().publish()
    return course, lesson


@pytest.fixture
def student_page(asgi_page, asgi_server, lesson):
    course, page = lesson
    student = UserFactory(username="ada")
    enrolment_create(user=student, course=course)
    client = Client()
    client.force_login(student)
    asgi_page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": asgi_server}]
    )
    return asgi_page, page


def cell(page, name):
    return page.locator(f'[data-cell-id="cell-{name}"]')


def output_of(page, name):
    return cell(page, name).locator(".code-cell-output")


def type_and_run(page, name, code):
    """Replace the cell's code as a student types it, and run it with Shift+Enter."""
    cell(page, name).locator(".cm-content").click()
    page.keyboard.press("Control+a")
    page.keyboard.type(code)
    page.keyboard.press("Shift+Enter")


def test_a_student_edits_runs_and_keeps_their_code(student_page, asgi_server):
    page, lesson = student_page
    errors = []
    page.on("pageerror", lambda error: errors.append(error.stack or str(error)))
    page.goto(f"{asgi_server}{lesson.url}")
    type_and_run(page, "first", "x = 21\nprint('edited', x)")
    expect(output_of(page, "first")).to_contain_text("edited 21")
    expect(page.locator(".cells-bar")).to_contain_text(re.compile("idle", re.I))

    cell(page, "second").get_by_role("button", name=re.compile("^Run")).click()
    expect(output_of(page, "second")).to_contain_text("42")  # a variable from the first cell

    cell(page, "plot").get_by_role("button", name=re.compile("^Run")).click()
    expect(output_of(page, "plot").locator("img")).to_be_visible()
    assert output_of(page, "plot").locator("img").get_attribute("src").startswith("data:image/png;base64,")

    cell(page, "html").get_by_role("button", name=re.compile("^Run")).click()
    expect(output_of(page, "html").locator("b")).to_have_text("bold")
    page.wait_for_timeout(500)  # an onerror handler would have fired by now
    assert page.evaluate("window.hacked") is None
    assert output_of(page, "html").locator("script").count() == 0

    cell(page, "data").get_by_role("button", name=re.compile("^Run")).click()
    expect(output_of(page, "data")).to_contain_text("ipns-lrmecs-mgb2")  # read from /data in the sandbox

    cell(page, "loop").get_by_role("button", name=re.compile("^Run")).click()
    expect(page.locator(".cells-bar")).to_contain_text(re.compile("busy", re.I))
    page.get_by_role("button", name="Interrupt the kernel").click()
    expect(output_of(page, "loop")).to_contain_text("KeyboardInterrupt")

    expect(cell(page, "first").locator(".code-cell-save")).to_have_text("Saved")
    page.reload()
    expect(cell(page, "first").locator(".cm-content")).to_contain_text("print('edited', x)")
    cell(page, "second").get_by_role("button", name=re.compile("^Run")).click()
    expect(output_of(page, "second")).to_contain_text("42")  # the kernel kept its state over the reload
    assert not errors, errors


def test_an_editor_keeps_a_run_as_the_example_output(asgi_page, asgi_server, lesson):
    from courses.models import LessonPage
    from courses.services import course_grant_editing

    course, page = lesson
    editor = UserFactory(username="grace")
    course_grant_editing(course=course, user=editor)
    client = Client()
    client.force_login(editor)
    asgi_page.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value,
                                    "url": asgi_server}])  # fmt: skip
    asgi_page.goto(f"{asgi_server}{page.url}")
    cell(asgi_page, "first").get_by_role("button", name=re.compile("^Run")).click()
    expect(output_of(asgi_page, "first")).to_contain_text("x is 21")
    cell(asgi_page, "first").get_by_role("button", name=re.compile("^Keep this run")).click()
    expect(cell(asgi_page, "first")).to_contain_text("Kept as the example output")
    latest = LessonPage.objects.get(pk=page.pk).get_latest_revision_as_object()
    example = next(block.value["example_output"] for block in latest.body if block.id == "cell-first")
    assert json.loads(example) == [{"type": "text", "stream": "stdout", "text": "x is 21\n"}]


def test_each_tab_shows_what_the_other_runs(student_page, asgi_server):
    """Two real pages of one student on one lesson: a run in either shows its output and its end in the other."""
    tab_a, lesson = student_page
    tab_b = tab_a.context.new_page()
    errors = []
    for tab in (tab_a, tab_b):
        tab.on("pageerror", lambda error: errors.append(error.stack or str(error)))
        tab.goto(f"{asgi_server}{lesson.url}")
    each_tab_shows_what_the_other_runs(tab_a, tab_b)
    assert cell(tab_b, "first").get_attribute("data-running") is None
    expect(cell(tab_a, "second").locator(".code-cell-activity")).to_have_text(re.compile(r"in another tab\)$"))
    expect(output_of(tab_a, "first")).to_contain_text("x is 21")  # A's own run is still shown
    assert not errors, errors


def each_tab_shows_what_the_other_runs(tab_a, tab_b) -> None:
    """A runs the first cell and B sees its output, marked as from another tab; then B runs the second, which
    reads the first's variable (one kernel for both tabs), and A sees it. Both tabs have the lesson open."""
    expect(tab_b.locator(".cells-bar")).to_be_visible()
    tab_b.wait_for_timeout(500)  # B's events stream is open before A runs
    cell(tab_a, "first").get_by_role("button", name=re.compile("^Run")).click()
    expect(output_of(tab_a, "first")).to_contain_text("x is 21")
    expect(output_of(tab_b, "first")).to_contain_text("x is 21")
    expect(cell(tab_b, "first").locator(".code-cell-activity")).to_have_text(re.compile(r"in another tab\)$"))
    cell(tab_b, "second").get_by_role("button", name=re.compile("^Run")).click()
    expect(output_of(tab_b, "second")).to_contain_text("42")
    expect(output_of(tab_a, "second")).to_contain_text("42")


def test_a_lesson_with_outputs_passes_axe(student_page, asgi_server):
    """After runs: a long text output (a scrolling region), a figure, HTML and an error, checked by axe-core."""
    from tests.e2e.test_accessibility import blocking_violations

    page, lesson = student_page
    page.goto(f"{asgi_server}{lesson.url}")
    type_and_run(page, "first", "for i in range(300):\n    print('line', i)")
    expect(output_of(page, "first")).to_contain_text("line 299")
    cell(page, "plot").get_by_role("button", name=re.compile("^Run")).click()
    expect(output_of(page, "plot").locator("img")).to_be_visible()
    cell(page, "html").get_by_role("button", name=re.compile("^Run")).click()
    expect(output_of(page, "html").locator("b")).to_have_text("bold")
    cell(page, "second").get_by_role("button", name=re.compile("^Run")).click()  # x is gone: a NameError
    expect(output_of(page, "second")).to_contain_text("NameError")
    found = blocking_violations(page)
    assert not found, "\n".join(found)
