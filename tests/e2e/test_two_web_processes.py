"""Two web processes (uvicorn, each its own process, as behind a load balancer) with the cells hub on the
machine's Redis: a student's two real browser pages, each served by another process, show what the other
runs. The web processes open the test's database themselves (on SQLite, the test database's file)."""

import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection, connections
from django.test import Client

from courses.services import enrolment_create
from tests.e2e.test_code_cells import each_tab_shows_what_the_other_runs, lesson  # noqa: F401  (lesson: a fixture)
from tests.factories import UserFactory
from tests.runner.conftest import SECRET

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def web_processes(kernel_host, settings):
    """Two uvicorn processes serving panlearn on the test's database, sharing a hub channel of this test."""
    settings.PANLEARN_RUNNER_SECRET = SECRET
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.e2e.web_process_settings",
           "PANLEARN_TEST_DATABASE_NAME": connection.settings_dict["NAME"],
           "PANLEARN_RUNNER_SOCKET": kernel_host.socket, "PANLEARN_CELLS_HUB_URL": "redis://127.0.0.1:6379/2",
           "PANLEARN_CELLS_HUB_CHANNEL": f"panlearn:test:{uuid.uuid4().hex}"}  # fmt: skip
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    connections.close_all()
    servers = []
    try:
        for _ in range(2):
            port = _free_port()
            command = [sys.executable, "-m", "uvicorn", "panlearn.asgi:application", "--host", "127.0.0.1",
                       "--port", str(port), "--log-level", "warning", "--lifespan", "off"]  # fmt: skip
            process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            servers.append((process, f"http://127.0.0.1:{port}"))
        for process, url in servers:
            deadline = time.monotonic() + 60
            while True:
                with socket.socket() as probe:
                    if probe.connect_ex(("127.0.0.1", int(url.rsplit(":", 1)[1]))) == 0:
                        break
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("uvicorn did not start")
                time.sleep(0.1)
        yield [url for _, url in servers]
    finally:
        for process, _ in servers:
            process.terminate()
        for process, _ in servers:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
        from tests.exercises.conftest import end_lesson_sessions

        end_lesson_sessions(kernel_host)


def test_each_tab_on_its_own_web_process_shows_what_the_other_runs(browser, web_processes, lesson):  # noqa: F811
    first, second = web_processes
    course, page = lesson
    student = UserFactory(username="ada")
    enrolment_create(user=student, course=course)
    client = Client()
    client.force_login(student)
    context = browser.new_context()
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": first}])
    tab_a, tab_b = context.new_page(), context.new_page()
    errors = []
    for tab, server in ((tab_a, first), (tab_b, second)):  # one page on each process
        tab.set_default_timeout(20_000)
        tab.on("pageerror", lambda error: errors.append(error.stack or str(error)))
        tab.goto(f"{server}{page.url}")
    each_tab_shows_what_the_other_runs(tab_a, tab_b)  # each tab's events heard on the other process
    assert not errors, errors
    context.close()
