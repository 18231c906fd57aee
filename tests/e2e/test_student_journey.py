import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

# A transactional test flushes the database, Wagtail's root page included: serialized_rollback restores it.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def demo_site(live_server):
    call_command("load_demo_content", verbosity=0)


def test_new_user_signs_up_enrols_and_completes_a_lesson(page, demo_site):
    page.goto("/")
    page.get_by_role("link", name="Sign up").first.click()
    page.get_by_label("Username").fill("rosalind")
    page.get_by_label("Email").fill("rosalind@example.org")
    page.get_by_label("Password", exact=True).fill("photo-51-double-helix")
    page.get_by_label("Password confirmation").fill("photo-51-double-helix")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_text("Welcome to panlearn")).to_be_visible()

    page.get_by_role("searchbox").fill("reflectivity")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("1 course found")).to_be_visible()
    page.get_by_role("link", name=re.compile("Neutron reflectometry")).click()

    page.get_by_role("button", name="Enrol in this course").click()
    expect(page.get_by_text("You are enrolled")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("What a reflectivity curve tells you")
    expect(page.locator(".katex").first).to_be_visible()  # the maths bundle rendered the equations

    page.get_by_role("button", name="Mark lesson as done").click()
    expect(page.get_by_test_id("course-progress")).to_have_text(
        "25 %"
    )  # one of four lessons (the fourth: the nbgrader assignment)

    page.get_by_role("link", name="My courses").click()
    expect(page.get_by_test_id("course-progress")).to_have_text(
        "25 %"
    )  # one of four lessons (the fourth: the nbgrader assignment)
