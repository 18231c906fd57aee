"""A student changes a code cell's parameters in Chromium; the cell runs again in a real sandboxed kernel."""

import json

import pytest
from django.test import Client
from playwright.sync_api import expect

from courses.services import enrolment_create
from tests.factories import CatalogueIndexPageFactory, CoursePageFactory, LessonPageFactory, UserFactory

# A transactional test flushes the database, Wagtail's root page included: serialized_rollback restores it.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

ANGLE = {"name": "angle", "label": "Grazing angle", "unit": "mrad", "kind": "float", "minimum": 1.0,
         "maximum": 10.0, "step": 0.5, "default": 2.5, "choices": ""}  # fmt: skip
SLIT = {"name": "slit", "label": "Slit width", "unit": "µm", "kind": "int", "minimum": 10.0, "maximum": 500.0,
        "step": 10.0, "default": 100.0, "choices": ""}  # fmt: skip
COATING = {"name": "coating", "label": "Coating", "unit": "", "kind": "choice", "minimum": None, "maximum": None,
           "step": None, "default": None, "choices": "Pt\nRh"}  # fmt: skip
CODE = "print(f'angle={angle} slit={slit} coating={coating}')"


@pytest.fixture
def student_page(asgi_page, asgi_server, kernel_host):
    from wagtail.models import Page, Site

    catalogue = CatalogueIndexPageFactory(parent=Page.get_first_root_node())
    Site.objects.filter(is_default_site=True).update(root_page=catalogue)
    course = CoursePageFactory(parent=catalogue, title="Mirrors", slug="mirrors")
    lesson = LessonPageFactory(parent=course, title="A grazing mirror", slug="grazing-mirror")
    value = {"code": CODE, "datasets": [], "setup_code": "", "read_only": False, "example_output": "",
             "parameters": [ANGLE, SLIT, COATING]}  # fmt: skip
    lesson.body = json.dumps([{"type": "code_cell", "id": "cell-mirror", "value": value}])
    lesson.save_revision().publish()
    student = UserFactory(username="ada")
    enrolment_create(user=student, course=course)
    client = Client()
    client.force_login(student)
    asgi_page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": asgi_server}]
    )
    asgi_page.goto(f"{asgi_server}{lesson.url}")
    return asgi_page


def test_changing_a_parameter_runs_the_cell_with_the_new_value(student_page):
    page = student_page
    errors = []
    page.on("pageerror", lambda error: errors.append(error.stack or str(error)))
    cell = page.locator('[data-cell-id="cell-mirror"]')
    output = cell.locator(".code-cell-output")
    angle = page.get_by_label("Grazing angle (mrad)")
    expect(angle).to_be_enabled()
    expect(angle).to_have_value("2.5")

    # Typing a value in the number box re-runs the cell with it.
    angle.fill("4.5")
    expect(output).to_contain_text("angle=4.5 slit=100 coating=Pt")

    # The slider, by keyboard: two steps of 0.5 up, the box follows.
    slider = page.get_by_label("Grazing angle slider")
    slider.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect(angle).to_have_value("5.5")
    expect(output).to_contain_text("angle=5.5 slit=100 coating=Pt")

    page.get_by_label("Coating").select_option("Rh")
    expect(output).to_contain_text("angle=5.5 slit=100 coating=Rh")

    # Out of range: refused with a visible message, nothing runs, the last values stay bound.
    slit = page.get_by_label("Slit width (µm)")
    slit.fill("900")
    message = cell.locator('[data-param="slit"] .code-cell-param-message')
    expect(message).to_have_text("Slit width must be between 10 and 500 µm; not run.")
    expect(slit).to_have_attribute("aria-invalid", "true")
    page.wait_for_timeout(800)  # a run would have started after the 300 ms pause
    expect(output).to_contain_text("angle=5.5 slit=100 coating=Rh")
    slit.fill("250")
    expect(message).to_have_text("")
    expect(output).to_contain_text("angle=5.5 slit=250 coating=Rh")
    assert not errors, errors


def test_the_controls_are_accessible(student_page):
    from axe_playwright_python.sync_playwright import Axe

    page = student_page
    expect(page.get_by_label("Grazing angle (mrad)")).to_be_enabled()
    page.get_by_label("Slit width (µm)").fill("15")  # with a refusal message shown too
    expect(page.locator('[data-param="slit"] .code-cell-param-message')).to_contain_text("steps of 10")
    violations = Axe().run(page, context=".code-cell-params").response["violations"]
    assert not [(found["id"], found["impact"]) for found in violations if found["impact"] in {"serious", "critical"}]


def test_the_server_refuses_a_forged_value_with_a_message(student_page, asgi_server):
    page = student_page
    expect(page.get_by_label("Grazing angle (mrad)")).to_be_enabled()
    answer = page.evaluate(
        """async () => {
            const el = document.querySelector("[data-cells]");
            const response = await fetch(el.dataset.baseUrl + "run", {
                method: "POST", credentials: "same-origin",
                headers: {"Content-Type": "application/json", "X-CSRFToken": el.dataset.csrfToken},
                body: JSON.stringify({cell_id: "cell-mirror", code: "print(1)", params: {angle: 99}}),
            });
            return [response.status, await response.json()];
        }"""
    )
    assert answer == [400, {"message": "Grazing angle must be between 1 and 10."}]
