"""Live code cells against a real kernel host: the runner tests' host, shared by this worker."""

import contextlib
import json

import pytest

from courses.services import enrolment_create
from tests.factories import LessonPageFactory, UserFactory
from tests.runner.conftest import SECRET, kernel_host  # noqa: F401  (a session fixture, used below)

CELLS = [
    {"id": "cell-a", "code": "x = 21\nprint('hello from a')", "setup_code": "", "read_only": False},
    {"id": "cell-b", "code": "print(x * 2)", "setup_code": "", "read_only": False},
    {"id": "cell-ro", "code": "print('read-only', SECRET_SETUP_VALUE)", "setup_code": "", "read_only": True},
]


def cells_body(cells=CELLS, setup: str = "SECRET_SETUP_VALUE = 'from setup'") -> str:
    blocks = [{"type": "text", "value": "<p>Run the cells.</p>"}]
    for index, cell in enumerate(cells):
        value = {"code": cell["code"], "datasets": [], "setup_code": setup if index == 0 else cell["setup_code"],
                 "read_only": cell["read_only"], "example_output": cell.get("example_output", "")}  # fmt: skip
        blocks.append({"type": "code_cell", "id": cell["id"], "value": value})
    return json.dumps(blocks)


@pytest.fixture
def runner_settings(settings, kernel_host):  # noqa: F811
    settings.PANLEARN_RUNNER_BACKEND = "host"
    settings.PANLEARN_RUNNER_SOCKET = kernel_host.socket
    settings.PANLEARN_RUNNER_SECRET = SECRET
    return settings


@pytest.fixture
def cell_lesson(course):
    lesson = LessonPageFactory(parent=course, title="Cells", slug="cells")
    lesson.body = cells_body()
    lesson.save_revision().publish()
    return lesson


@pytest.fixture
def learner(course, request):
    user = UserFactory(username=f"learner-{request.node.name}"[:150])
    enrolment_create(user=user, course=course)
    return user


@pytest.fixture
def end_sessions(runner_settings, kernel_host, db):  # noqa: F811
    """After the test, shut down the runner sessions its users had on its lessons: the kernel host
    lives for the whole worker, and the next test's users and lessons may get the same ids."""
    yield
    end_lesson_sessions(kernel_host)


def end_lesson_sessions(kernel_host) -> None:  # noqa: F811  (a host, not the fixture)
    from django.contrib.auth.models import User

    from cells.sessions import Who, state_of
    from courses.models import LessonPage

    with kernel_host.client() as client:
        for user in User.objects.all():
            for page in LessonPage.objects.all():
                who = Who.of(user=user, session_key="")
                state = state_of(who, page)  # sync: the browser tests' thread runs an event loop
                if state["session_id"]:
                    with contextlib.suppress(Exception):  # already gone
                        client.shutdown(state["session_id"], user=who.runner_user)
