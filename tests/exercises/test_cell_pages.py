"""What the lesson page carries for its code cells, with or without JavaScript."""

import json

import pytest

from courses.services import enrolment_create
from tests.exercises.conftest import cells_body
from tests.factories import LessonPageFactory, UserFactory

pytestmark = pytest.mark.django_db

EXAMPLE = [
    {"type": "text", "stream": "stdout", "text": "x is 21\n"},
    {"type": "html", "html": "<b>kept</b><script>alert(1)</script>"},
]


@pytest.fixture
def lesson(course):
    lesson = LessonPageFactory(parent=course, title="Cells", slug="cells")
    cells = [{"id": "cell-a", "code": "x = 21\nprint('x is', x)", "setup_code": "", "read_only": False,
              "example_output": json.dumps(EXAMPLE)}]  # fmt: skip
    lesson.body = cells_body(cells, setup="TOKEN = 'hidden-setup-value'")
    lesson.save_revision().publish()
    return lesson


def test_the_page_shows_code_and_example_output_and_never_the_setup(client, course, lesson):
    student = UserFactory(username="reader")
    enrolment_create(user=student, course=course)
    client.force_login(student)
    html = client.get(lesson.url).text
    assert "x = 21\nprint(&#x27;x is&#x27;, x)</code></pre>" in html  # readable without JavaScript
    assert '<div class="example-output">' in html and "x is 21" in html and "<b>kept</b>" in html
    assert "alert(1)" not in html  # stored example output is sanitized again when shown
    assert "hidden-setup-value" not in html
    assert 'data-cells data-base-url="/learn/cells/' in html and 'data-store="true" data-can-run="true"' in html
    assert "panlearn/dist/cells.js" in html and "panlearn/dist/cells.css" in html


def test_visitors_read_open_courses_without_saving(client, course, lesson):
    assert "data-cells" not in client.get(lesson.url).text  # not open: the enrol prompt, no cells
    course.open_to_visitors = True
    course.save_revision().publish()
    html = client.get(lesson.url).text
    assert 'data-store="false" data-can-run="true"' in html
    assert "nothing you type is kept" in html


def test_a_signed_in_reader_who_is_not_enrolled_sees_why(client, course, lesson):
    client.force_login(UserFactory(username="browser"))
    assert "data-cells" not in client.get(lesson.url).text  # the lesson itself needs enrolment
