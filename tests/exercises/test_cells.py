"""Live code cells through Django's ASGI side and a real sandboxed kernel host."""

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.test import AsyncClient

from cells.models import CellDraft, CellDraftVersion
from courses.models import CoursePage, LessonPage
from tests.exercises.conftest import cells_body
from tests.factories import LessonPageFactory, UserFactory

# Transactional: the ASGI views run the ORM in other threads. serialized_rollback restores the pages
# and locale the migrations made, which a transactional test flushes.
pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("end_sessions"),
]


def open_to_visitors(course) -> None:
    page = CoursePage.objects.get(pk=course.pk)
    page.open_to_visitors = True
    page.save_revision().publish()  # a publish, so cached run plans are renewed


async def run(client: AsyncClient, page, cell_id: str, code: str = "", tab: str = "tab-1"):
    """POST run and collect the server-sent events as (name, data) pairs."""
    response = await client.post(
        f"/learn/cells/{page.pk}/run", {"cell_id": cell_id, "code": code, "tab": tab}, content_type="application/json"
    )
    if response.status_code != 200:
        return response.status_code, response.json()
    assert response["Content-Type"] == "text/event-stream"
    text = b"".join([chunk async for chunk in response.streaming_content]).decode()
    events = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if not line.startswith(":"))
        events.append((lines["event"], json.loads(lines["data"])))
    return 200, events


def texts(events) -> str:
    return "".join(data["part"].get("text", "") for name, data in events if name == "output")


@pytest.fixture
async def student(learner):
    client = AsyncClient()
    await client.aforce_login(learner)
    return client


async def test_cells_share_a_kernel_and_stream_their_outputs(student, cell_lesson):
    status, events = await run(student, cell_lesson, "cell-a", "x = 21\nprint('hello from a')")
    assert status == 200
    names = [name for name, _ in events]
    assert names[0] == "status" and events[0][1]["state"] == "starting"
    assert "output" in names and names[-2:] == ["result", "status"]
    assert texts(events) == "hello from a\n"
    result = dict(events)["result"]
    assert result["status"] == "ok" and result["generation"] == 1
    status, events = await run(student, cell_lesson, "cell-b", "print(x * 2)")
    assert texts(events) == "42\n"  # the second cell sees the first cell's variable


async def test_setup_runs_hidden_once_per_kernel_and_read_only_cells_run_their_own_code(student, cell_lesson):
    _status, events = await run(student, cell_lesson, "cell-ro", "print('tampered')")
    assert texts(events) == "read-only from setup\n"  # setup ran first; the posted code was ignored
    assert "SECRET_SETUP_VALUE =" not in json.dumps(events)  # the setup source never reaches the browser
    _status, events = await run(student, cell_lesson, "cell-a", "SECRET_SETUP_VALUE = 'changed'")
    _status, events = await run(student, cell_lesson, "cell-ro")
    assert texts(events) == "read-only changed\n"  # setup did not run again in the same kernel


async def test_errors_and_rich_outputs_arrive_as_safe_parts(student, cell_lesson):
    code = (
        "from IPython.display import HTML, display\n"
        "display(HTML('<b>bold</b><script>alert(1)</script><img src=x onerror=alert(2)>'))\n"
        "import matplotlib.pyplot as plt\nplt.plot([1, 2, 3]); plt.show()\n"
        "1 / 0"
    )
    _status, events = await run(student, cell_lesson, "cell-a", code)
    parts = [data["part"] for name, data in events if name == "output"]
    html = next(part for part in parts if part["type"] == "html" and "bold" in part["html"])
    assert "<script" not in html["html"] and "onerror" not in html["html"]
    assert any(part["type"] == "image" and part["src"].startswith("data:image/png;base64,") for part in parts)
    traceback = parts[-1]
    assert traceback["type"] == "html" and "ZeroDivisionError" in traceback["html"] and "\x1b" not in traceback["html"]
    assert dict(events)["result"]["status"] == "error"


async def test_restart_and_an_idle_cull_start_a_new_generation(student, cell_lesson, kernel_host):
    await run(student, cell_lesson, "cell-a", "x = 1")
    restarted = await student.post(f"/learn/cells/{cell_lesson.pk}/restart", {}, content_type="application/json")
    assert restarted.status_code == 200 and restarted.json()["generation"] == 2
    _status, events = await run(student, cell_lesson, "cell-b", "print(x)")
    assert "NameError" in json.dumps(events)  # a new kernel: x is gone
    # The runner culls idle sessions; here we end it as the culler would.
    from cells.sessions import ENDED_NOTICE, Who, load_state, save_state

    user = await student.session.aget("_auth_user_id")
    who = Who(runner_user=f"user-{user}", key=f"user-{user}")
    state = await load_state(who, cell_lesson)
    with kernel_host.client() as client:
        await sync_to_async(client.shutdown)(state["session_id"], user=who.runner_user)
    # ... after the student left it idle for longer than the culler waits.
    await save_state(who, cell_lesson, {**state, "ran_at": state["ran_at"] - settings.PANLEARN_RUNNER_IDLE_SECONDS})
    _status, events = await run(student, cell_lesson, "cell-a", "print('back')")
    notice = dict(events)["notice"]
    assert notice["stale"] is True and "idle for 30 minutes" in notice["text"]
    assert dict(events)["result"]["generation"] == 3 and texts(events) == "back\n"
    # A session that ended under a recent run (the runner restarted) is not called idle.
    state = await load_state(who, cell_lesson)
    with kernel_host.client() as client:
        await sync_to_async(client.shutdown)(state["session_id"], user=who.runner_user)
    _status, events = await run(student, cell_lesson, "cell-a", "print('again')")
    assert dict(events)["notice"]["text"] == ENDED_NOTICE and texts(events) == "again\n"


async def test_interrupting_an_endless_loop(student, cell_lesson):
    async def interrupt_soon():
        await asyncio.sleep(1.5)
        return await student.post(f"/learn/cells/{cell_lesson.pk}/interrupt", {}, content_type="application/json")

    interrupter = asyncio.create_task(interrupt_soon())
    _status, events = await run(student, cell_lesson, "cell-a", "while True:\n    pass")
    assert (await interrupter).status_code == 200
    assert "KeyboardInterrupt" in json.dumps(events)
    status_now = await student.get(f"/learn/cells/{cell_lesson.pk}/status")
    assert status_now.json()["state"] == "idle"


@pytest.mark.parametrize("action", ["status", "interrupt", "restart"])
async def test_a_kernel_call_holds_no_database_connection_while_the_host_answers(student, cell_lesson, action,
                                                                                 monkeypatch):  # fmt: skip
    """A host that is slow to answer (starting again after a crash) must not pin a connection of the web
    process's pool per waiting tab: with 8 per process, a few such tabs starved every other request."""
    from django.db import connection

    from cells import sessions

    held = []

    async def slow_host(**_kwargs):
        held.append(await sync_to_async(lambda: connection.connection is not None)())  # the request's thread
        return {"state": "idle", "generation": 1}

    monkeypatch.setattr(sessions, f"kernel_{action}", slow_host)
    call = student.get if action == "status" else student.post
    response = await call(f"/learn/cells/{cell_lesson.pk}/{action}")
    assert response.status_code == 200 and held == [False]


async def test_who_may_run(cell_lesson, course, runner_settings, kernel_host):
    outsider = AsyncClient()
    await outsider.aforce_login(await sync_to_async(UserFactory)(username="outsider"))
    status, body = await run(outsider, cell_lesson, "cell-a", "1")
    assert status == 403 and "Enrol in the course" in body["message"]
    visitor = AsyncClient()
    assert (await run(visitor, cell_lesson, "cell-a", "1"))[0] == 403

    await sync_to_async(open_to_visitors)(course)
    status, body = await run(visitor, cell_lesson, "cell-a", "print('visitor')")
    assert status == 403 and "Reload the lesson" in body["message"]  # a run never makes a session
    lesson_url = await sync_to_async(lambda: cell_lesson.url)()
    assert "data-can-run" in (await visitor.get(lesson_url)).text  # opening the lesson does
    status, events = await run(visitor, cell_lesson, "cell-a", "print('visitor')")
    assert status == 200 and texts(events) == "visitor\n"
    drafts = await visitor.post(f"/learn/cells/{cell_lesson.pk}/drafts/cell-a", {"code": "x", "base_version": 0},
                                content_type="application/json")  # fmt: skip
    assert drafts.status_code == 403  # nothing a visitor types is stored
    assert (await visitor.get(f"/learn/cells/{cell_lesson.pk}/events")).status_code == 403
    assert (await run(visitor, cell_lesson, "no-such-cell", "1"))[0] == 404
    await end_visitor_session(kernel_host, visitor, cell_lesson)


async def test_runs_are_rate_limited(student, cell_lesson, settings):
    settings.PANLEARN_CELLS_RUNS_PER_MINUTE = 2
    assert (await run(student, cell_lesson, "cell-a", "1"))[0] == 200
    assert (await run(student, cell_lesson, "cell-a", "1"))[0] == 200
    status, body = await run(student, cell_lesson, "cell-a", "1")
    assert status == 429 and "wait" in body["message"]


async def test_restarts_and_interrupts_are_rate_limited_per_user_and_per_visitor_address(
    student, cell_lesson, course, settings, kernel_host
):
    """A visitor restarted a kernel 40 times in 63 s, each a fresh sandbox (review of 2026-12-04)."""
    settings.PANLEARN_CELLS_RESTARTS_PER_MINUTE = settings.PANLEARN_CELLS_INTERRUPTS_PER_MINUTE = 1
    settings.PANLEARN_CELLS_VISITOR_INTERRUPTS_PER_MINUTE = 1
    base = f"/learn/cells/{cell_lesson.pk}"

    async def post(client, action: str):
        return await client.post(f"{base}/{action}", {}, content_type="application/json")

    assert (await run(student, cell_lesson, "cell-a", "1"))[0] == 200
    for action in ("restart", "interrupt"):
        assert (await post(student, action)).status_code == 200
        refused = await post(student, action)
        assert refused.status_code == 429 and "wait" in refused.json()["message"]
        assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert (await run(student, cell_lesson, "cell-a", "1"))[0] == 200  # runs have a budget of their own

    from courses.services import enrolment_create

    other_student = await sync_to_async(UserFactory)(username="other-student")
    await sync_to_async(enrolment_create)(user=other_student, course=course)
    other = AsyncClient()  # another student has a budget of their own
    await other.aforce_login(other_student)
    assert (await post(other, "interrupt")).status_code == 200

    await sync_to_async(open_to_visitors)(course)  # visitors share one budget per address
    lesson_url = await sync_to_async(lambda: cell_lesson.url)()
    first, second = AsyncClient(), AsyncClient()
    for visitor in (first, second):
        await visitor.get(lesson_url)
    assert (await post(first, "interrupt")).status_code == 200
    assert (await post(second, "interrupt")).status_code == 429


async def test_drafts_keep_versions_and_refuse_a_stale_tab(student, cell_lesson, learner, settings):
    settings.PANLEARN_CELLS_DRAFT_HISTORY = 3
    url = f"/learn/cells/{cell_lesson.pk}/drafts/cell-a"

    async def save(code, base):
        body = {"code": code, "base_version": base, "tab": "t"}
        return await student.post(url, body, content_type="application/json")

    assert (await save("v1", 0)).json()["version"] == 1
    assert (await save("v2", 1)).json()["version"] == 2
    conflict = await save("from an old tab", 1)
    assert conflict.status_code == 409 and conflict.json()["code"] == "v2" and conflict.json()["version"] == 2
    for number in (3, 4, 5):
        await save(f"v{number}", number - 1)
    history = (await student.get(f"{url}/history")).json()["versions"]
    assert [item["code"] for item in history] == ["v5", "v4", "v3"]  # newest first, trimmed to 3
    listing = (await student.get(f"/learn/cells/{cell_lesson.pk}/drafts")).json()["cells"]
    assert listing["cell-a"]["code"] == "v5"
    page = await student.get(await sync_to_async(lambda: cell_lesson.url)())
    assert '<code class="language-python">v5</code>' in page.text  # the saved code replaces the starter
    read_only = await student.post(f"/learn/cells/{cell_lesson.pk}/drafts/cell-ro", {"code": "x", "base_version": 0},
                                   content_type="application/json")  # fmt: skip
    assert read_only.status_code == 403
    assert await sync_to_async(CellDraftVersion.objects.count)() == 3
    assert await sync_to_async(CellDraft.objects.filter(user=learner).count)() == 1


async def test_other_tabs_hear_of_runs_and_saves(student, cell_lesson):
    response = await student.get(f"/learn/cells/{cell_lesson.pk}/events", {"tab": "tab-2"})
    stream = response.streaming_content.__aiter__()
    assert (await anext(stream)).startswith(b": connected")
    await run(student, cell_lesson, "cell-a", "print('seen elsewhere')", tab="tab-1")
    seen = b""
    while b"event: result" not in seen:
        seen += await asyncio.wait_for(anext(stream), timeout=20)
    assert b"seen elsewhere" in seen and b'"cell_id": "cell-a"' in seen
    body = {"code": "y = 1", "base_version": 0, "tab": "tab-1"}
    await student.post(f"/learn/cells/{cell_lesson.pk}/drafts/cell-b", body, content_type="application/json")
    while b"event: draft" not in seen:
        seen += await asyncio.wait_for(anext(stream), timeout=5)
    assert b'"code": "y = 1"' in seen
    await stream.aclose()


async def test_an_editor_keeps_a_run_as_the_example_output(cell_lesson, course, learner):
    from courses.services import course_grant_editing

    editor = await sync_to_async(UserFactory)(username="editor")
    await sync_to_async(course_grant_editing)(course=course, user=editor)
    client = AsyncClient()
    await client.aforce_login(editor)
    url = f"/learn/cells/{cell_lesson.pk}/examples/cell-a"
    assert (await client.post(url)).status_code == 409  # nothing run yet
    status, events = await run(client, cell_lesson, "cell-a", "print('worked example')")
    assert status == 200, events
    assert (await client.post(url)).status_code == 200
    latest = await sync_to_async(lambda: LessonPage.objects.get(pk=cell_lesson.pk).get_latest_revision_as_object())()
    example = next(block.value["example_output"] for block in latest.body if block.id == "cell-a")
    assert json.loads(example) == [{"type": "text", "stream": "stdout", "text": "worked example\n"}]
    student = AsyncClient()
    await student.aforce_login(learner)
    assert (await student.post(url)).status_code == 403


async def end_visitor_session(kernel_host, visitor: AsyncClient, page) -> None:
    from django.contrib.auth.models import AnonymousUser

    from cells.sessions import Who, load_state

    who = Who.of(user=AnonymousUser(), session_key=visitor.cookies["sessionid"].value)
    state = await load_state(who, page)
    if state["session_id"]:
        with kernel_host.client() as client:
            await sync_to_async(client.shutdown)(state["session_id"], user=who.runner_user)


async def test_one_address_holds_few_visitor_kernels(cell_lesson, course, runner_settings, settings, kernel_host):
    settings.PANLEARN_CELLS_VISITOR_SESSIONS_PER_ADDRESS = 1

    await sync_to_async(open_to_visitors)(course)
    lesson_url = await sync_to_async(lambda: cell_lesson.url)()
    first, second = AsyncClient(), AsyncClient()
    for visitor in (first, second):
        await visitor.get(lesson_url)
    assert (await run(first, cell_lesson, "cell-a", "1"))[0] == 200
    status, body = await run(second, cell_lesson, "cell-a", "1")
    assert status == 429 and "Sign in" in body["message"]
    assert (await run(first, cell_lesson, "cell-a", "2"))[0] == 200  # the first keeps its kernel
    await end_visitor_session(kernel_host, first, cell_lesson)


async def test_odd_requests_are_refused_cleanly(student, cell_lesson):
    url = f"/learn/cells/{cell_lesson.pk}/drafts/cell-a"
    nested = b"[" * 100_000 + b"]" * 100_000
    assert (await student.post(url, nested, content_type="application/json")).status_code == 400
    for body in ({"code": "x", "base_version": 1e400}, {"code": "a\x00b", "base_version": 0}, {"code": 5}):
        assert (await student.post(url, body, content_type="application/json")).status_code == 400


async def test_the_setup_code_is_not_in_the_kernels_history(student, cell_lesson):
    _status, events = await run(student, cell_lesson, "cell-ro")
    assert texts(events) == "read-only from setup\n"  # the setup ran
    _status, events = await run(
        student, cell_lesson, "cell-a", "print(sum(('from ' + 'setup') in source for source in In))"
    )
    assert texts(events) == "0\n"


SETUP_WITH_A_FUNCTION = (
    "%matplotlib inline\nSECRET_SETUP_VALUE = 'from setup'\n\ndef helper():\n    return 'HIDDEN-' + 'SENTINEL'\n"
)
READ_THE_SETUP_BACK = """
import inspect, linecache
mark = 'HIDDEN-' + "' + 'SENTINEL"
cached = sum(mark in ''.join(entry[2] or []) for entry in list(linecache.cache.values()) if len(entry) > 2)
try:
    shown = mark in inspect.getsource(helper)
except (OSError, TypeError):
    shown = False
history = get_ipython().history_manager
stored = sum(mark in source for _, _, source in history.get_range(history.session_number, 0, None))
print(cached, shown, stored, sum(mark in source for source in In), helper())
"""


async def test_the_setup_source_cannot_be_read_back_through_linecache_inspect_or_history(student, learner, course):
    """IPython keeps every executed cell's source in linecache, store_history=False or not (review of 2026-12-04)."""
    lesson = await sync_to_async(LessonPageFactory)(parent=course, title="Hidden setup", slug="hidden-setup")
    lesson.body = cells_body(setup=SETUP_WITH_A_FUNCTION)
    await sync_to_async(lambda: lesson.save_revision().publish())()
    _status, events = await run(student, lesson, "cell-a", READ_THE_SETUP_BACK)
    assert texts(events) == "0 False 0 0 HIDDEN-SENTINEL\n", events  # the setup ran; its text is nowhere


async def test_a_lesson_of_an_unpublished_course_does_not_run(student, cell_lesson, course):
    await sync_to_async(lambda: CoursePage.objects.get(pk=course.pk).unpublish())()
    status, body = await run(student, cell_lesson, "cell-a", "1")
    assert status == 403 and "not published" in body["message"]


async def test_interrupting_the_lesson_setup_stops_the_cell_too(student, learner, course):
    """The page is busy with the hidden setup first; an interrupt then must not let the cell run after it."""
    lesson = await sync_to_async(_slow_setup_lesson)(course)
    interrupter = AsyncClient()
    await interrupter.aforce_login(learner)  # a second request of the same student, as the page sends

    async def interrupt_during_setup():
        for _ in range(200):  # until the page would show "busy": the session exists and runs the setup
            state = (await interrupter.get(f"/learn/cells/{lesson.pk}/status")).json()
            if state.get("state") == "busy":
                break
            await asyncio.sleep(0.05)
        response = await interrupter.post(f"/learn/cells/{lesson.pk}/interrupt", {}, content_type="application/json")
        assert response.status_code == 200, response.content

    task = asyncio.create_task(interrupt_during_setup())
    _status, events = await run(student, lesson, "cell-a", "print('the cell ran')")
    await task
    assert "the cell ran" not in texts(events)
    assert "KeyboardInterrupt" in json.dumps(events) and dict(events)["result"]["status"] == "error"
    _status, events = await run(student, lesson, "cell-a", "print('ran after the setup')")
    assert texts(events) == "ran after the setup\n", events  # the setup ran again, to its end this time


def _slow_setup_lesson(course):
    lesson = LessonPageFactory(parent=course, title="Slow setup", slug="slow-setup")
    lesson.body = cells_body(setup="import time\ntime.sleep(2.8)\nSECRET_SETUP_VALUE = 1")
    lesson.save_revision().publish()
    return lesson


async def test_a_run_records_its_executed_statement_before_the_stream_closes(student, learner, cell_lesson, course):
    """The statement names the lesson and course (with the enrolment's registration) from the cached run plan,
    and is written after the run's last event, before the stream closes."""
    from tracking import identity
    from tracking.models import OutboxStatement

    _status, events = await run(student, cell_lesson, "cell-a", "print('recorded')")
    assert dict(events)["result"]["status"] == "ok"
    statements = OutboxStatement.objects.filter(user=learner, verb__endswith="/executed")
    payload = (await statements.aget()).payload  # written by the time the stream has closed
    assert payload["result"]["success"] is True
    assert payload["object"]["id"].endswith(f"/xapi/activities/lesson/{cell_lesson.pk}/cell/cell-a")
    assert payload["object"]["definition"]["name"]["en-GB"] == "Code cell in Cells"
    context = payload["context"]
    assert context["registration"] == str(identity.registration_for(user_id=learner.pk, course_id=course.pk))
    parents = {activity["id"] for activity in context["contextActivities"]["parent"]}
    grouping = {activity["id"] for activity in context["contextActivities"].get("grouping", [])}
    assert any(iri.endswith(f"/lesson/{cell_lesson.pk}") for iri in parents | grouping)
    assert any(iri.endswith(f"/course/{course.pk}") for iri in parents | grouping)
