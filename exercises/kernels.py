"""One runner session per student and lesson: running a cell, and knowing when the kernel changed.

The runner hands back the same session for the same (user, context) while it lives, so every run
asks for it again: that is what revives a lesson after the runner culled an idle session. What we
keep (in the cache, per student and lesson) is which session and kernel the student's cells last
ran in; a different session or more restarts means a new kernel, a higher *generation*, stale
cells, and the lesson's hidden setup code to run again.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from runner.exceptions import RunnerError, SessionNotFound

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
        name = f"user-{user.pk}" if user.is_authenticated else f"visitor-{session_key}"
        return cls(runner_user=name, key=name)


def context_for(page) -> str:
    return f"lesson-{page.pk}"


def _state_key(who: Who, page) -> str:
    return f"panlearn:cells:kernel:{who.key}:{page.pk}"


async def load_state(who: Who, page) -> dict:
    return await cache.aget(_state_key(who, page)) or {"session_id": "", "restarts": 0, "generation": 0}


async def save_state(who: Who, page, state: dict) -> None:
    await cache.aset(_state_key(who, page), state, timeout=STATE_TTL)


def idle_notice() -> str:
    minutes = max(1, round(settings.PANLEARN_RUNNER_IDLE_SECONDS / 60))
    return f"Your session was idle for {minutes} minutes; run the cells again to continue."


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
    *, client, who: Who, page, cell_id: str, code: str, setup: str, datasets: list[str], emit: Emit
) -> dict:
    """Run one cell in the student's lesson session, emitting queue, status, output and notice events.

    Returns the `result` event's data. Runner errors are raised for the caller to report.
    """
    state = await load_state(who, page)
    if not state["session_id"]:
        await emit("status", {"state": "starting", "generation": state["generation"]})

    async def on_queue(position: int) -> None:
        await emit("queue", {"position": position})

    session = await client.create_session(
        user=who.runner_user, context=context_for(page), datasets=datasets, on_queue=on_queue
    )
    state, notice = advance(state, session)
    if notice:
        await emit("notice", {"text": notice, "stale": True})
    if setup and state.get("setup_generation") != state["generation"]:
        await emit("status", {"state": "busy", "generation": state["generation"]})
        reply = await client.execute(session["session_id"], user=who.runner_user, code=setup)
        if reply.status != "ok":
            failure = next((item for item in reply.outputs if item.get("output_type") == "error"), {})
            detail = f"{failure.get('ename', 'Error')}: {failure.get('evalue', '')}".strip(": ")
            # The traceback would show the hidden setup code: only the error's name and message go out.
            await emit("notice", {"text": f"The lesson's setup code failed ({detail}). Tell your trainer."})
        state["setup_generation"] = state["generation"]
    await emit("status", {"state": "busy", "generation": state["generation"]})

    shown: list[dict] = []

    async def on_output(output: dict) -> None:
        for part in parts_from_output(output):
            shown.append(part)
            await emit("output", {"part": part})

    try:
        reply = await client.execute(session["session_id"], user=who.runner_user, code=code, on_output=on_output)
    except SessionNotFound:
        await save_state(who, page, {**state, "session_id": ""})
        raise
    await cache.aset(_last_parts_key(who, page, cell_id), shown, timeout=24 * 3600)
    after, notice = advance(state, reply.session or session)
    if notice:
        await emit("notice", {"text": reply.message or notice, "stale": True})
    await save_state(who, page, after)
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
