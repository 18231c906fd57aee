"""How a run is told to the browser: the pure parts of cells.sessions, with a stand-in runner.

The runner's own queue and sessions are tested against a real kernel host in tests/runner; here a
stand-in answers in the runner client's shapes so that every branch of the forwarding is reached.
"""

from cells import sessions
from runner.client import ExecuteReply
from runner.exceptions import SessionNotFound

WHO = sessions.Who(runner_user="user-1", key="user-1")
PAGE = type("Page", (), {"pk": 7})()


class StandIn:
    """Queues the student twice, then runs; can forget the session once, like an idle cull."""

    def __init__(self, *, forget_once: bool = False):
        self.forget_once = forget_once
        self.sessions = 0
        self.codes = []

    async def create_session(self, *, user, context, datasets, on_queue):
        await on_queue(2)
        await on_queue(1)
        self.sessions += 1
        return {"session_id": f"s{self.sessions}", "restarts": 0, "status": "idle"}

    async def execute(self, session_id, *, user, code, on_output=None, store_history=True):
        if self.forget_once:
            self.forget_once = False
            raise SessionNotFound()
        self.codes.append(code)
        if on_output is not None:
            await on_output({"output_type": "stream", "name": "stdout", "text": "2\n"})
        return ExecuteReply(status="ok", execution_count=1, session={"session_id": session_id, "restarts": 0})


async def run(client, state=None):
    events, kept = [], []

    async def emit(name, data):
        events.append((name, data))

    async def persist(state, shown, status):
        kept.append((state, shown, status))

    state = state or {"session_id": "", "restarts": 0, "generation": 0}
    await sessions.run_cell(client=client, who=WHO, page=PAGE, cell_id="c", code="1+1", setup="import math",
                           datasets=[], emit=emit, state=state, persist=persist)  # fmt: skip
    return events, kept


async def test_the_queue_position_reaches_the_student_before_the_kernel():
    client = StandIn()
    events, kept = await run(client)
    names = [name for name, _ in events]
    assert names[:3] == ["status", "queue", "queue"] and [data for name, data in events if name == "queue"] == [
        {"position": 2},
        {"position": 1},
    ]
    assert client.codes == [sessions.setup_cell("import math"), "1+1"]  # the hidden setup first, in the new kernel
    assert names[-2:] == ["result", "status"] and kept[0][0]["generation"] == 1 and kept[0][2] == "ok"
    assert kept[0][1] == [{"type": "text", "stream": "stdout", "text": "2\n"}]


async def test_a_culled_session_is_replaced_and_said_so():
    client = StandIn(forget_once=True)
    state = {"session_id": "s0", "restarts": 0, "generation": 4, "datasets": [], "setup_generation": 4}
    events, kept = await run(client, state)
    notice = next(data for name, data in events if name == "notice")
    assert notice["stale"] and "idle" in notice["text"]
    assert kept[0][0]["session_id"] == "s1" and kept[0][0]["generation"] == 5
    assert client.codes == [sessions.setup_cell("import math"), "1+1"]  # setup again in the new kernel


def test_advance_counts_generations():
    state = {"session_id": "a", "restarts": 0, "generation": 1}
    assert sessions.advance(state, {"session_id": "a", "restarts": 0}) == (state, "")
    restarted, notice = sessions.advance(state, {"session_id": "a", "restarts": 1})
    assert restarted["generation"] == 2 and "restarted" in notice
    replaced, notice = sessions.advance(state, {"session_id": "b", "restarts": 0})
    assert replaced["generation"] == 2 and "idle" in notice
