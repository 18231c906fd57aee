"""HTTP side of live code cells (see docs/code-cells.md for the protocol).

Runs stream server-sent events from async views, so they need an ASGI server (uvicorn in the
demo); the other endpoints are small JSON calls. Every view checks that the lesson is live and
that the user may run its cells; a cell id that is not in the lesson is a 404.
"""

import asyncio
import json
import logging
import time
import weakref
from dataclasses import dataclass

from asgiref.sync import sync_to_async
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.views.decorators.http import require_GET, require_POST

from courses.models import LessonPage
from panlearn.database import release_connections
from panlearn.http import json_body
from runner.backends import get_async_client
from runner.exceptions import RunnerError
from tracking import interface as tracking

from . import sessions
from .hub import hub
from .parameters import ParameterError, bind, validate_values
from .rate_limits import RateLimited, check_rate, check_run_rate, check_visitor_sessions
from .selectors import (
    LessonRef,
    PageFacts,
    RunAccess,
    code_cells,
    draft_versions,
    drafts_of,
    lesson_for,
    run_access,
    run_plan,
)
from .services import DraftConflict, DraftTooLarge, draft_save, example_output_save

logger = logging.getLogger(__name__)
HEARTBEAT_S = 15
_running: set[asyncio.Task] = set()  # runs outlive a dropped connection; keep them referenced
_clients: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, object]" = weakref.WeakKeyDictionary()


def runner_client():
    """One runner client per event loop, kept open: its connection is reused from run to run."""
    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None:
        client = _clients[loop] = get_async_client()
    return client


def _sse(name: str, data: dict) -> str:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n"


def _stream_response(events) -> StreamingHttpResponse:
    response = StreamingHttpResponse(events, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache, no-transform"
    response["X-Accel-Buffering"] = "no"  # nginx: pass events through as they come
    return response


def _lesson(user, page_id: int) -> LessonPage:
    page = lesson_for(user=user, page_id=page_id)
    if page is None:
        raise Http404("No such lesson.")
    return page


def _session_key(request: HttpRequest) -> str:
    """A visitor's session, made when they opened the lesson; never made here (each new one would
    be a new kernel: a script could fill the pool)."""
    return request.session.session_key or ""


NO_VISITOR_SESSION = "Reload the lesson to run its cells (your browser must accept cookies from this site)."


async def _context(request: HttpRequest, page_id: int):
    """The lesson, the user, who they are to the runner, and whether they may run its cells."""
    user = await request.auser()
    page = await sync_to_async(_lesson)(user, page_id)
    access = await sync_to_async(run_access)(user=user, page=page)
    key = "" if user.is_authenticated else await sync_to_async(_session_key)(request)
    if not user.is_authenticated and not key:
        access = RunAccess(False, False, NO_VISITOR_SESSION)
    return page, user, sessions.Who.of(user=user, session_key=key), access


def _refused(access) -> JsonResponse:
    return JsonResponse({"message": access.why or "You may not run code here."}, status=403)


@dataclass
class RunPlan:
    page: LessonRef
    user: object
    who: sessions.Who
    cell_id: str
    code: str
    setup: str
    datasets: list[str]
    tab: str
    state: dict
    editor: bool
    lesson: PageFacts
    course: PageFacts


def _plan_run(request: HttpRequest, user, page_id: int) -> RunPlan | JsonResponse:
    """Everything a run needs, in one trip to a worker thread (and mostly from the cache)."""
    session_key = "" if user.is_authenticated else _session_key(request)
    if not user.is_authenticated and not session_key:
        return JsonResponse({"message": NO_VISITOR_SESSION}, status=403)
    who = sessions.Who.of(user=user, session_key=session_key)
    plan = run_plan(user=user, page_id=page_id, runner_key=who.key)
    if plan is None:
        return JsonResponse({"message": "No such lesson."}, status=404)
    if not plan["allowed"]:
        return JsonResponse({"message": plan["why"] or "You may not run code here."}, status=403)
    body = json_body(request)
    cell_id = str(body.get("cell_id", ""))
    cell = plan["cells"].get(cell_id)
    if cell is None:
        return JsonResponse({"message": "This lesson has no such cell; reload the page."}, status=404)
    code = cell["code"] if cell["read_only"] else str(body.get("code", ""))
    parameters = cell.get("parameters") or []
    if parameters:
        try:
            code = bind(code, validate_values(parameters, body.get("params")))
        except ParameterError as error:
            return JsonResponse({"message": str(error)}, status=400)
    elif body.get("params"):
        return JsonResponse({"message": "This cell has no parameters; reload the page."}, status=400)
    try:
        check_run_rate(user=user, request=request)
        if not user.is_authenticated:
            check_visitor_sessions(who_key=who.key, request=request)
    except RateLimited as error:
        return JsonResponse({"message": str(error)}, status=429, headers={"Retry-After": str(error.retry_after)})
    return RunPlan(
        page=LessonRef(page_id),
        user=user,
        who=who,
        cell_id=cell_id,
        code=code,
        setup=plan["setup"],
        datasets=plan["datasets"],
        tab=str(body.get("tab", ""))[:64],
        state=sessions.state_of(who, LessonRef(page_id)),
        editor=plan["editor"],
        lesson=plan["lesson"],
        course=plan["course"],
    )


@require_POST
async def run(request: HttpRequest, page_id: int) -> HttpResponse:
    # The user (session and row), the plan, the rate limit and the kernel state: one thread trip.
    plan = await sync_to_async(lambda: _plan_run(request, request.user, page_id))()
    if isinstance(plan, JsonResponse):
        return plan
    await sync_to_async(release_connections)()  # a run streams for up to the cell's time limit
    return _stream_response(_run_events(plan))


async def _run_events(plan: RunPlan):
    """Stream one run. The run itself is a task: if this tab goes away, it still finishes and other
    tabs still see it."""
    local: asyncio.Queue = asyncio.Queue()
    listening = True
    hub_key = (plan.who.key, plan.page.pk)
    started = time.perf_counter()  # the run as the student waits for it (kernel hand-out included)

    async def emit(name: str, data: dict) -> None:
        hub.publish(hub_key, name, {**data, "cell_id": plan.cell_id}, origin_tab=plan.tab)
        if listening:
            await local.put((name, data))

    ran: dict = {}  # the run's outcome, for its learning record

    def remember(state: dict, shown: list[dict], status: str) -> None:
        # Only an editor can keep a run as the example output: nobody else's outputs are cached.
        kept = shown if plan.editor else None
        sessions.remember(plan.who, plan.page, state, cell_id=plan.cell_id, shown=kept)
        ran.update(status=status, duration_ms=(time.perf_counter() - started) * 1000)

    async def persist(state: dict, shown: list[dict], status: str) -> None:
        await sync_to_async(remember)(state, shown, status)  # one trip to a worker thread

    def record() -> None:
        tracking.cell_ran(user=plan.user, lesson=plan.lesson, course=plan.course, cell_id=plan.cell_id,
                          status=ran["status"], duration_ms=ran["duration_ms"], code=plan.code)  # fmt: skip

    async def work() -> None:
        try:
            await sessions.run_cell(client=runner_client(), who=plan.who, page=plan.page, cell_id=plan.cell_id,
                                   code=plan.code, setup=plan.setup, datasets=plan.datasets, emit=emit,
                                   state=plan.state, persist=persist)  # fmt: skip
        except RunnerError as error:
            ran.update(status="failed", duration_ms=(time.perf_counter() - started) * 1000)
            await emit("failed", {"message": error.message})
        except Exception:
            logger.exception("cell run failed")
            await emit("failed", {"message": "Something went wrong on the server while running this cell."})
        finally:
            # The learning record is written after the run's last event has gone out and before the stream
            # closes: off the path the student waits for, and still written if the tab has gone.
            if ran:
                await sync_to_async(record)()
            await local.put(None)

    task = asyncio.create_task(work())
    _running.add(task)
    task.add_done_callback(_running.discard)
    try:
        while (item := await local.get()) is not None:
            chunk = [_sse(*item)]
            # Events already waiting go out together: fewer writes for short runs.
            while not local.empty() and (item := local.get_nowait()) is not None:
                chunk.append(_sse(*item))
            yield "".join(chunk)
            if item is None:
                break
    finally:
        listening = False


@require_POST
async def interrupt(request: HttpRequest, page_id: int) -> JsonResponse:
    return await _kernel_call(request, page_id, sessions.kernel_interrupt, limit="interrupts")


@require_POST
async def restart(request: HttpRequest, page_id: int) -> JsonResponse:
    return await _kernel_call(request, page_id, sessions.kernel_restart, limit="restarts")


@require_GET
async def status(request: HttpRequest, page_id: int) -> JsonResponse:
    return await _kernel_call(request, page_id, sessions.kernel_status, publish=False)


async def _kernel_call(request, page_id, call, *, publish: bool = True, limit: str = "") -> JsonResponse:
    page, user, who, access = await _context(request, page_id)
    if not access.allowed:
        return _refused(access)
    if limit:
        try:
            await sync_to_async(check_rate)(limit, user=user, request=request)
        except RateLimited as error:
            return JsonResponse({"message": str(error)}, status=429, headers={"Retry-After": str(error.retry_after)})
    # A kernel host answers in milliseconds, but one that is starting again (or gone) takes seconds: the
    # request must not hold a connection of the web process's pool meanwhile, or a few waiting tabs
    # starve every other request of that process (seen in the load test after a host was killed). Without
    # a pool this closes the connection, and the next call opens one: a few ms, for a call made per page.
    await sync_to_async(release_connections)()
    try:
        state = await call(client=runner_client(), who=who, page=page)
    except RunnerError as error:
        return JsonResponse({"message": error.message}, status=503)
    if publish:
        tab = str(json_body(request).get("tab", ""))[:64]
        hub.publish((who.key, page.pk), "status", state, origin_tab=tab)
    return JsonResponse(state)


@require_GET
async def events(request: HttpRequest, page_id: int) -> HttpResponse:
    page, _user, who, access = await _context(request, page_id)
    if not access.allowed or not access.store:
        return _refused(access)
    await sync_to_async(release_connections)()
    return _stream_response(_hub_events((who.key, page.pk), request.GET.get("tab", "")[:64]))


async def _hub_events(key, tab):
    queue = hub.subscribe(key)
    try:
        await hub.ready()  # across processes: listening before the page is told it is connected
        yield ": connected\n\n"
        while True:
            try:
                event = await asyncio.wait_for(queue.get(), timeout=HEARTBEAT_S)
            except TimeoutError:
                yield ": heartbeat\n\n"  # keeps proxies from closing an idle stream
                continue
            if event.origin_tab != tab:
                yield _sse(event.name, event.data)
    finally:
        hub.unsubscribe(key, queue)


# -- drafts (signed-in users only: visitors' code is never stored) -------------------------------


def _draft_context(request: HttpRequest, page_id: int):
    page = _lesson(request.user, page_id)
    access = run_access(user=request.user, page=page)
    if not access.allowed or not access.store:
        raise PermissionError(access.why or "Your code is not saved here.")
    return page


def _draft_json(draft) -> dict:
    return {"code": draft.code, "version": draft.version, "saved_at": draft.saved_at.isoformat()}


@require_GET
def drafts(request: HttpRequest, page_id: int) -> JsonResponse:
    try:
        page = _draft_context(request, page_id)
    except PermissionError as error:
        return JsonResponse({"message": str(error)}, status=403)
    return JsonResponse(
        {"cells": {draft.cell_id: _draft_json(draft) for draft in drafts_of(user=request.user, page=page)}}
    )


@require_POST
def draft_save_view(request: HttpRequest, page_id: int, cell_id: str) -> JsonResponse:
    try:
        page = _draft_context(request, page_id)
    except PermissionError as error:
        return JsonResponse({"message": str(error)}, status=403)
    cell = code_cells(page).get(cell_id)
    if cell is None:
        raise Http404("No such cell.")
    if cell["read_only"]:
        return JsonResponse({"message": "This cell cannot be changed."}, status=403)
    body = json_body(request)
    code = body.get("code")
    try:
        base_version = int(body.get("base_version") or 0)
    except (TypeError, ValueError, OverflowError):  # OverflowError: 1e400 is inf
        base_version = -1
    if not isinstance(code, str) or base_version < 0:
        return JsonResponse({"message": "Send the code and the version it started from."}, status=400)
    if "\x00" in code:
        return JsonResponse({"message": "This code contains a NUL character and cannot be saved."}, status=400)
    try:
        draft = draft_save(user=request.user, page=page, cell_id=cell_id, code=code, base_version=base_version)
    except DraftConflict as conflict:
        return JsonResponse({"message": str(conflict), **_draft_json_or_empty(conflict.draft)}, status=409)
    except DraftTooLarge as error:
        return JsonResponse({"message": str(error)}, status=413)
    tab = str(body.get("tab", ""))[:64]
    who = sessions.Who.of(user=request.user, session_key="")
    hub.publish((who.key, page.pk), "draft", {"cell_id": cell_id, **_draft_json(draft)}, origin_tab=tab)
    return JsonResponse({"version": draft.version, "saved_at": draft.saved_at.isoformat()})


def _draft_json_or_empty(draft) -> dict:
    if not draft.pk:
        return {"code": "", "version": 0, "saved_at": None}
    return _draft_json(draft)


@require_GET
def draft_history(request: HttpRequest, page_id: int, cell_id: str) -> JsonResponse:
    try:
        page = _draft_context(request, page_id)
    except PermissionError as error:
        return JsonResponse({"message": str(error)}, status=403)
    versions = draft_versions(user=request.user, page=page, cell_id=cell_id)
    return JsonResponse(
        {"versions": [{"version": v.version, "code": v.code, "saved_at": v.saved_at.isoformat()} for v in versions]}
    )


@require_POST
async def keep_example(request: HttpRequest, page_id: int, cell_id: str) -> JsonResponse:
    """An editor keeps what the cell's last run showed as its example output, in a new draft revision."""
    page, user, who, access = await _context(request, page_id)
    if not access.editor:
        return JsonResponse({"message": "Only the course's editors can change example outputs."}, status=403)
    parts = await sessions.last_parts(who, page, cell_id)
    if parts is None:
        return JsonResponse({"message": "Run the cell first; its output becomes the example."}, status=409)
    try:
        await sync_to_async(example_output_save)(page=page, cell_id=cell_id, parts=parts, user=user)
    except LookupError:
        return JsonResponse({"message": "This lesson has no such cell; reload the page."}, status=404)
    return JsonResponse({"saved": True, "parts": len(parts)})


def cells_base(request: HttpRequest, page_id: int) -> HttpResponse:
    """The base URL the page is given; nothing is served here."""
    raise Http404
