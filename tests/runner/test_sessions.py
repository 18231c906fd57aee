"""The kernel host through its client: sessions, streaming, state, errors a student can cause."""

import asyncio
import hashlib
import json
import time

import pytest

from runner.client import RunnerClient
from runner.exceptions import (
    CodeTooLarge,
    DatasetUnavailable,
    RunnerUnavailable,
    SessionNotFound,
    UnknownKernelSpec,
)
from tests.runner.conftest import SECRET, run, text_of


def test_execute_keeps_state_between_cells(runner, session):
    assert run(runner, session, "x = 21").status == "ok"
    reply = run(runner, session, "x * 2")
    assert reply.status == "ok"
    assert reply.outputs[0]["data"]["text/plain"] == "42"
    assert reply.execution_count == 2


def test_outputs_stream_in_order(runner, session):
    session_id, user = session
    seen = []
    # Written whole and flushed: ipykernel keeps no order between the two streams (see test_gateway).
    code = "import sys\nsys.stdout.write('a\\n'); sys.stdout.flush()\nsys.stderr.write('b\\n'); sys.stderr.flush()\n3"
    reply = runner.execute(session_id, user=user, code=code, on_output=seen.append)
    assert [output["output_type"] for output in seen] == ["stream", "stream", "execute_result"]
    assert seen == reply.outputs
    assert (seen[0]["text"], seen[1]["name"]) == ("a\n", "stderr")


def test_errors_come_back_as_error_outputs(runner, session):
    reply = run(runner, session, "1/0")
    assert reply.status == "error"
    assert reply.outputs[-1]["ename"] == "ZeroDivisionError"


def test_scientific_stack_is_preloaded_and_plots(runner, session):
    reply = run(runner, session, "import sys; sorted(m for m in ('numpy','scipy','pandas','h5py') if m in sys.modules)")
    assert reply.outputs[0]["data"]["text/plain"] == "['h5py', 'numpy', 'pandas', 'scipy']"
    reply = run(runner, session, "import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\nplt.show()")
    assert reply.status == "ok"
    assert any("image/png" in output.get("data", {}) for output in reply.outputs)


def test_same_user_and_context_get_the_same_session(runner):
    first = runner.create_session(user="tabs", context="lesson-7")
    second = runner.create_session(user="tabs", context="lesson-7")
    assert first["session_id"] == second["session_id"]
    runner.shutdown(first["session_id"], user="tabs")


def test_another_users_session_looks_missing(runner, session):
    session_id, _ = session
    with pytest.raises(SessionNotFound):
        runner.execute(session_id, user="intruder", code="1")
    with pytest.raises(SessionNotFound):
        runner.shutdown(session_id, user="intruder")
    assert run(runner, session, "1").status == "ok"


def test_restart_clears_state(runner, session):
    session_id, user = session
    run(runner, session, "y = 1")
    runner.restart(session_id, user=user)
    reply = run(runner, session, "y")
    assert reply.outputs[-1]["ename"] == "NameError"


def test_interrupt_stops_a_running_cell(runner, session, kernel_host):
    session_id, user = session
    client = kernel_host.client()  # a second connection, as a second browser request would be

    async def interrupt_soon():
        await asyncio.sleep(0.5)
        await asyncio.to_thread(client.interrupt, session_id, user=user)

    async def scenario():
        task = asyncio.create_task(interrupt_soon())
        reply = await asyncio.to_thread(run, runner, session, "import time\nfor i in range(100): time.sleep(0.1)")
        await task
        return reply

    reply = asyncio.run(scenario())
    assert reply.status == "error"
    assert reply.outputs[-1]["ename"] == "KeyboardInterrupt"
    assert run(runner, session, "'still here'").status == "ok"
    client.close()


def test_an_interrupt_that_arrives_just_before_its_run_stops_that_run(runner, session):
    """The page shows "busy" before its execute request reaches the host; an interrupt sent then
    must not be lost (the run would go on until its time limit)."""
    session_id, user = session
    runner.interrupt(session_id, user=user)
    reply = run(runner, session, "while True: pass")
    assert reply.status == "error" and reply.outputs[-1]["ename"] == "KeyboardInterrupt"
    assert run(runner, session, "'next run is not affected'").status == "ok"


def test_an_old_interrupt_does_not_stop_a_later_run(runner, session):
    session_id, user = session
    runner.interrupt(session_id, user=user)
    time.sleep(2.1)
    assert run(runner, session, "1 + 1").status == "ok"


def test_complete_and_inspect(runner, session):
    session_id, user = session
    run(runner, session, "import math")
    completion = runner.complete(session_id, user=user, code="math.sq", cursor_pos=7)
    assert "math.sqrt" in completion["matches"] or "sqrt" in completion["matches"]
    info = runner.inspect(session_id, user=user, code="math.sqrt", cursor_pos=9)
    assert info["found"]


def test_unknown_kernel_spec(runner):
    with pytest.raises(UnknownKernelSpec, match="no “cobol” kernel"):
        runner.create_session(user="u", context="c", kernel="cobol")


def test_oversized_code_is_refused_before_running(runner, session):
    with pytest.raises(CodeTooLarge, match="limited to 64 KiB"):
        run(runner, session, "x = 1\n" * 20000)
    assert run(runner, session, "1").status == "ok"


def test_missing_dataset(runner):
    with pytest.raises(DatasetUnavailable, match="not installed"):
        runner.create_session(user="u", context="c", datasets=["no-such-data"])
    with pytest.raises(DatasetUnavailable, match="not a dataset name"):
        runner.create_session(user="u", context="c", datasets=["../etc"])


def test_dataset_is_mounted_read_only_and_checked(runner, kernel_host):
    directory = kernel_host.tmp / "datasets" / "demo-curve"
    directory.mkdir(exist_ok=True)
    (directory / "curve.dat").write_text("0.01 1.0\n0.02 0.5\n")
    digest = hashlib.sha256((directory / "curve.dat").read_bytes()).hexdigest()
    (directory / "SHA256SUMS").write_text(f"{digest}  curve.dat\n")
    info = runner.create_session(user="data", context="c", datasets=["demo-curve"])
    reply = runner.execute(info["session_id"], user="data", code="print(open('/data/demo-curve/curve.dat').read())")
    assert "0.02 0.5" in text_of(reply)
    reply = runner.execute(info["session_id"], user="data", code="open('/data/demo-curve/x', 'w')")
    assert reply.outputs[-1]["ename"] in ("OSError", "PermissionError")
    runner.shutdown(info["session_id"], user="data")

    (directory / "curve.dat").write_text("tampered\n")
    with pytest.raises(DatasetUnavailable, match="failed its checksum"):
        runner.create_session(user="data", context="other", datasets=["demo-curve"])


def test_wrong_secret_and_down_host_are_clear_errors(kernel_host, tmp_path):
    bad = RunnerClient(base_url="http://runner", secret="wrong", socket_path=kernel_host.socket)
    with pytest.raises(RunnerUnavailable, match="credentials"):
        bad.metrics()
    down = RunnerClient(base_url="http://runner", secret=SECRET, socket_path=str(tmp_path / "nothing.sock"))
    with pytest.raises(RunnerUnavailable, match="restarting"):
        down.create_session(user="u", context="c")


def test_health_and_metrics(runner):
    health = runner.health()
    assert health["secure"] is True
    assert set(health["protections"]) == {"namespaces", "seccomp", "cgroups", "user", "proc", "sandbox uid", "job uids"}
    metrics = runner.metrics()
    for key in ("pool_idle", "sessions_busy", "sessions_idle", "restarts_by_cause", "kernels_total"):
        assert key in metrics


def test_async_client_streams(kernel_host):
    async def scenario():
        async with kernel_host.async_client() as client:
            info = await client.create_session(user="async", context="c")
            seen = []

            async def collect(output):
                seen.append(output)

            reply = await client.execute(info["session_id"], user="async", code="print('hi')", on_output=collect)
            await client.shutdown(info["session_id"], user="async")
            return seen, reply

    seen, reply = asyncio.run(scenario())
    assert "".join(output["text"] for output in seen) == "hi\n"  # a print may come as two parts
    assert reply.status == "ok"


def test_execute_streams_server_sent_events_with_kernel_status(runner, session):
    session_id, user = session
    events = []
    with runner.http.stream("POST", f"/v1/sessions/{session_id}/execute", json={"user": user, "code": "print(1)"}) as r:
        assert r.headers["content-type"] == "text/event-stream"
        for line in r.iter_lines():
            if line.startswith("data: "):
                events.append(json.loads(line.removeprefix("data: ")))
    kinds = [next(iter(event)) for event in events]
    assert kinds == ["status", "output", "status", "result"]
    assert [events[0]["status"], events[2]["status"]] == ["busy", "idle"]
