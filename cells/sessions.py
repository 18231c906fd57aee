"""One runner session per student and lesson: running a cell, and knowing when the kernel changed.

The runner hands back the same session for the same (user, context) while it lives, so every run
asks for it again: that is what revives a lesson after the runner culled an idle session. What we
keep (in the cache, per student and lesson) is which session and kernel the student's cells last
ran in; a different session or more restarts means a new kernel, a higher *generation*, stale
cells, and the lesson's hidden setup code to run again.
"""

import base64
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.cache import cache
from django.utils.crypto import salted_hmac

from runner.client import ExecuteReply
from runner.exceptions import HostLost, RunnerError, SessionNotFound

from .rendering import parts_from_output

Emit = Callable[[str, dict], Awaitable[None]]
STATE_TTL = 7 * 24 * 3600


@dataclass(frozen=True)
class Who:
    """The runner's idea of a user: a signed-in user, or a visitor by their session key."""

    runner_user: str
    key: str  # for the cache and the hub

    @classmethod
    def of(cls, *, user, session_key: str) -> "Who":
        if user.is_authenticated:
            name = f"user-{user.pk}"
        else:
            # Never the session key itself: runner logs, metrics and a gateway's kernel user name see this.
            name = "visitor-" + salted_hmac("panlearn.cells.visitor", session_key).hexdigest()[:24]
        return cls(runner_user=name, key=name)


def context_for(page) -> str:
    return f"lesson-{page.pk}"


def _state_key(who: Who, page) -> str:
    return f"panlearn:cells:kernel:{who.key}:{page.pk}"


def state_of(who: Who, page) -> dict:
    return cache.get(_state_key(who, page)) or {"session_id": "", "restarts": 0, "generation": 0}


def remember(who: Who, page, state: dict, *, cell_id: str = "", shown: list[dict] | None = None) -> None:
    """Keep the kernel state (and what a cell's run showed) in one go: one trip to a worker thread."""
    cache.set(_state_key(who, page), state, timeout=STATE_TTL)
    if cell_id and shown is not None:
        cache.set(_last_parts_key(who, page, cell_id), shown, timeout=24 * 3600)


async def load_state(who: Who, page) -> dict:
    return await sync_to_async(state_of)(who, page)


async def save_state(who: Who, page, state: dict) -> None:
    await sync_to_async(remember)(who, page, state)


def idle_notice() -> str:
    minutes = max(1, round(settings.PANLEARN_RUNNER_IDLE_SECONDS / 60))
    return f"Your session was idle for {minutes} minutes; run the cells again to continue."


ENDED_NOTICE = "Your Python session ended, so this cell ran in a new one. Run the cells above again to continue."


def ended_notice(state: dict, error: SessionNotFound) -> str:
    """Why the session the student's last run used is gone: its host died, it was culled as idle, or it
    ended otherwise (the runner restarted, another lesson took its place): never "idle" after a recent run."""
    if isinstance(error, HostLost):
        return error.message
    idle_for = time.time() - state.get("ran_at", 0)
    return idle_notice() if idle_for >= settings.PANLEARN_RUNNER_IDLE_SECONDS else ENDED_NOTICE


def advance(state: dict, session: dict) -> tuple[dict, str]:
    """The state after the runner described `session`, and the notice to show if the kernel changed."""
    state = dict(state)
    notice = ""
    if session["session_id"] != state["session_id"]:
        if state["session_id"]:
            notice = idle_notice()
        state.update(session_id=session["session_id"], restarts=session.get("restarts", 0))
        state["generation"] += 1
    elif session.get("restarts", 0) != state["restarts"]:
        state.update(restarts=session.get("restarts", 0))
        state["generation"] += 1
        notice = "Your Python session was restarted; cells run before are stale. Run them again to continue."
    return state, notice


def _last_parts_key(who: Who, page, cell_id: str) -> str:
    return f"panlearn:cells:last:{who.key}:{page.pk}:{cell_id}"


async def last_parts(who: Who, page, cell_id: str) -> list[dict] | None:
    """What the cell's last run showed (kept a day), e.g. for a trainer keeping it as example output."""
    return await cache.aget(_last_parts_key(who, page, cell_id))


async def run_cell(
    *,
    client,
    who: Who,
    page,
    cell_id: str,
    code: str,
    setup: str,
    datasets: list[str],
    emit: Emit,
    state: dict,
    persist: Callable[[dict, list[dict], str], Awaitable[None]],
) -> dict:
    """Run one cell in the student's lesson session, emitting queue, status, output and notice events.

    A known session is used directly (one round trip to the runner, not two); if the runner has
    ended it meanwhile, a new one is made and the run goes there. Returns the `result` event's
    data. Runner errors are raised for the caller to report. `state` is the student's kernel state,
    loaded with the rest of the run's facts; `persist` keeps the new one before the result goes out.
    """
    shown: list[dict] = []

    async def on_queue(position: int) -> None:
        await emit("queue", {"position": position})

    async def on_output(output: dict) -> None:
        for part in parts_from_output(output):
            shown.append(part)
            await emit("output", {"part": part})

    for attempt in range(2):
        if state["session_id"] and state.get("datasets") == datasets:
            session = {"session_id": state["session_id"], "restarts": state["restarts"]}
        else:
            if not state["session_id"]:
                await emit("status", {"state": "starting", "generation": state["generation"]})
            session = await client.create_session(
                user=who.runner_user, context=context_for(page), datasets=datasets, on_queue=on_queue
            )
            fresh = {**advance(state, session)[0], "datasets": datasets}
            await save_state(who, page, fresh)  # now, so an Interrupt sent during this first run finds it
        state, notice = advance(state, session)
        state["datasets"] = datasets
        if notice:
            await emit("notice", {"text": notice, "stale": True})
        try:
            needs_setup = setup and state.get("setup_generation") != state["generation"]
            if needs_setup and not await _run_setup(client, who, session["session_id"], setup, state, emit):
                reply = await _stopped_in_setup(on_output)  # the student interrupted the lesson's setup
                break
            await emit("status", {"state": "busy", "generation": state["generation"]})
            reply = await client.execute(session["session_id"], user=who.runner_user, code=code, on_output=on_output)
            break
        except SessionNotFound as error:
            if attempt:
                raise
            # Culled while idle, closed for another lesson, or its host died: say so, and start again in a new one.
            await emit("notice", {"text": ended_notice(state, error), "stale": True})
            state = {**state, "session_id": "", "setup_generation": None}
    after, notice = advance(state, reply.session or session)
    if notice:
        await emit("notice", {"text": reply.message or notice, "stale": True})
    after["ran_at"] = time.time()  # tells a session culled as idle from one that ended under a recent run
    await persist(after, shown, reply.status)
    result = {
        "status": reply.status,
        "execution_count": reply.execution_count,
        "cause": reply.cause,
        "message": reply.message,
        "duration_ms": round(reply.duration_ms, 1),
        "generation": after["generation"],
    }
    await emit("result", result)
    await emit("status", {"state": "idle", "generation": after["generation"]})
    return result


def setup_cell(setup: str) -> str:
    """The cell that runs a lesson's hidden setup without leaving its text in the kernel.

    IPython puts every cell's source in `linecache` before running it (store_history=False only keeps it out of
    the history), where `inspect.getsource` and tracebacks find it. The setup is compiled here under a name no
    cache holds, and the cell, which carries it encoded, drops its own cache entry before the setup runs.
    """
    encoded = base64.b64encode(setup.encode()).decode()
    return (
        "def __panlearn_setup():\n"
        "    import base64, linecache, sys\n"
        "    linecache.cache.pop(sys._getframe().f_code.co_filename, None)\n"
        f"    source = base64.b64decode('{encoded}').decode()\n"
        "    if 'get_ipython' in globals():  # magics (%matplotlib inline) become Python, as in a cell\n"
        "        source = get_ipython().transform_cell(source)\n"
        "    exec(compile(source, '<lesson setup>', 'exec'), globals())\n"
        "try:\n"
        "    __panlearn_setup()\n"
        "finally:\n"
        "    del __panlearn_setup\n"
    )


async def _run_setup(client, who: Who, session_id: str, setup: str, state: dict, emit: Emit) -> bool:
    """Run the lesson's hidden setup once per kernel; False if the student interrupted it (the cell
    they ran then does not run either, and the setup runs again next time)."""
    await emit("status", {"state": "busy", "generation": state["generation"]})
    reply = await client.execute(session_id, user=who.runner_user, code=setup_cell(setup), store_history=False)
    if reply.status != "ok":
        failure = next((item for item in reply.outputs if item.get("output_type") == "error"), {})
        if reply.status == "error" and failure.get("ename") == "KeyboardInterrupt":  # not a time limit
            return False
        detail = f"{failure.get('ename', 'Error')}: {failure.get('evalue', '')}".strip(": ")
        # The traceback would show the hidden setup code: only the error's name and message go out.
        await emit("notice", {"text": f"The lesson's setup code failed ({detail}). Tell your trainer."})
    state["setup_generation"] = state["generation"]
    return True


async def _stopped_in_setup(on_output) -> ExecuteReply:
    error = {"output_type": "error", "ename": "KeyboardInterrupt", "evalue": "stopped before your code ran",
             "traceback": ["KeyboardInterrupt: interrupted while the lesson was being set up"]}  # fmt: skip
    await on_output(error)
    return ExecuteReply(outputs=[error], status="error", cause="interrupted")


async def kernel_status(*, client, who: Who, page) -> dict:
    state = await load_state(who, page)
    if not state["session_id"]:
        return {"state": "none", "generation": state["generation"]}
    try:
        session = await client.status(state["session_id"], user=who.runner_user)
    except SessionNotFound:
        return {"state": "none", "generation": state["generation"]}
    except RunnerError:
        return {"state": "dead", "generation": state["generation"]}
    state, _ = advance(state, session)
    await save_state(who, page, state)
    return {"state": session.get("status", "idle"), "generation": state["generation"]}


async def kernel_interrupt(*, client, who: Who, page) -> dict:
    state = await load_state(who, page)
    if not state["session_id"]:
        return {"state": "none", "generation": state["generation"]}
    session = await client.interrupt(state["session_id"], user=who.runner_user)
    return {"state": session.get("status", "idle"), "generation": state["generation"]}


async def kernel_restart(*, client, who: Who, page) -> dict:
    state = await load_state(who, page)
    if not state["session_id"]:
        return {"state": "none", "generation": state["generation"]}
    session = await client.restart(state["session_id"], user=who.runner_user)
    state, _ = advance(state, session)
    await save_state(who, page, state)
    return {"state": session.get("status", "idle"), "generation": state["generation"]}
