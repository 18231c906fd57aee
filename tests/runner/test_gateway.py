"""The Kernel Gateway backend against a real Jupyter Kernel Gateway on loopback.

The gateway runs unsandboxed ipykernels from this virtualenv: these tests check the protocol
(REST, WebSocket, ownership, limits, grading), not isolation, which is the gateway deployment's job.
"""

import asyncio
import contextlib
import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from django.core.cache.backends.redis import RedisCache

from runner.exceptions import CodeTooLarge, RunnerUnavailable, SessionNotFound, UnknownKernelSpec
from runner.gateway import AsyncGatewayClient, GatewayClient, GatewaySession, InMemorySessionRegistry
from runner.gateway.sessions import CacheSessionRegistry
from tests.runner.conftest import reachable_by_sandboxes, run, stop_process, text_of

CANARY = "gateway-secret-must-not-reach-kernels"
IGNORE_SIGINT = "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\ntime.sleep(60)"
RIGHT = "def square(x):\n    return x * x\nprint('defined')"
WRONG = "def square(x):\n    return x + x"
TESTS = [
    {"name": "two", "function": "test_two", "source": "def test_two():\n    assert square(2) == 4"},
    {"name": "three", "function": "test_three", "source": "def test_three():\n    assert square(3) == 9, 'not 9'"},
    {
        "name": "range",
        "function": "test_range",
        "points": 2,
        "source": "def test_range():\n    return sum(square(i) == i * i for i in range(4)) / 4",
    },
    {"name": "zero", "function": "test_zero", "source": "def test_zero():\n    return square(0) == 0"},
    {"name": "negative", "function": "test_negative", "source": "def test_negative():\n    assert square(-1) == 1"},
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


ROOT = Path(__file__).resolve().parents[2]
GATEWAY_VENV = Path(os.environ.get("PANLEARN_GATEWAY_VENV", ROOT / ".venv-gateway"))
EG_KERNEL = "python_panlearn"  # as deploy/kubernetes/kernelspec.yaml names it


def _gateway_command(kind: str, port: str, token: str) -> list[str]:
    """Kernel Gateway from the test venv; Enterprise Gateway from its own (scripts/test.sh makes it: its
    jupyter-client pin excludes ours). Both with a token, kernel listing (for metrics()), a dead kernel
    noticed quickly and a kernel that ignores SIGINT restarted quickly."""
    common = ["--KernelRestarter.time_to_dead=0.5", "--KernelManager.shutdown_wait_time=1"]
    if kind == "kernel-gateway":
        app = "KernelGatewayApp"
        command = [sys.executable, "-m", "kernel_gateway", "--JupyterWebsocketPersonality.list_kernels=True"]
    else:
        app = "EnterpriseGatewayApp"
        python = GATEWAY_VENV / "bin" / "python"
        assert python.exists(), f"Enterprise Gateway is not installed: run scripts/test.sh (it makes {GATEWAY_VENV})"
        command = [str(python), "-m", "enterprise_gateway", f"--{app}.list_kernels=True",
                   f"--KernelSpecManager.whitelist={EG_KERNEL}"]  # as deploy/kubernetes runs it  # fmt: skip
    return [*command, f"--{app}.ip=127.0.0.1", f"--{app}.port={port}", f"--{app}.port_retries=0",
            f"--{app}.auth_token={token}", f"--{app}.allow_origin=*", *common]  # fmt: skip


def _panlearn_kernelspec(directory: Path) -> Path:
    """Enterprise Gateway's kernels are panlearn's ipykernel (its own venv has none), started by its local
    process proxy, as its Kubernetes proxy would start a kernel image."""
    spec = directory / "kernels" / EG_KERNEL  # not "python3": the client must ask for the name the settings give
    spec.mkdir(parents=True, exist_ok=True)
    proxy = "enterprise_gateway.services.processproxies.processproxy.LocalProcessProxy"
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (panlearn)", "language": "python",
        "metadata": {"process_proxy": {"class_name": proxy}},
    }))  # fmt: skip
    return directory


class RunningGateway:
    def __init__(self, tmp: Path, kind: str = "kernel-gateway"):
        self.tmp = reachable_by_sandboxes(tmp)
        self.kind = kind
        self.token = secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{_free_port()}"
        self.log = open(tmp / "gateway.log", "wb")  # noqa: SIM115  closed in stop()
        env = {
            **os.environ,
            "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
            "PANLEARN_GATEWAY_CANARY": CANARY,  # in the gateway's environment, never in a kernel's
        }
        if kind == "enterprise-gateway":
            env["JUPYTER_PATH"] = str(_panlearn_kernelspec(tmp / "jupyter"))
        self.process = subprocess.Popen(
            _gateway_command(kind, self.url.rsplit(":", 1)[1], self.token),
            cwd=tmp,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.wait_ready()

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gateway exited: {(self.tmp / 'gateway.log').read_text()[-3000:]}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{self.url}/api", headers={"Authorization": f"token {self.token}"}).status_code == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError("the kernel gateway did not answer")

    def kernel_ids(self) -> set[str]:
        response = httpx.get(f"{self.url}/api/kernels", headers={"Authorization": f"token {self.token}"})
        return {kernel["id"] for kernel in response.json()}

    def client(self, **overrides) -> GatewayClient:
        return GatewayClient(**{**self._defaults(), **overrides})

    def async_client(self, **overrides) -> AsyncGatewayClient:
        return AsyncGatewayClient(**{**self._defaults(), **overrides})

    def _defaults(self) -> dict:
        kernel = EG_KERNEL if self.kind == "enterprise-gateway" else "python3"
        return {"base_url": self.url, "token": self.token, "timeout": 30, "cell_timeout": 10, "interrupt_grace": 1,
                "kernel_name": kernel}  # fmt: skip

    def stop(self) -> None:
        stop_process(self.process)
        self.log.close()


@pytest.fixture(scope="module", params=["kernel-gateway", "enterprise-gateway"])
def gateway(tmp_path_factory, request):
    running = RunningGateway(tmp_path_factory.mktemp("gateway"), kind=request.param)
    yield running
    running.stop()


@pytest.fixture
def client(gateway):
    with gateway.client() as client:
        yield client


@pytest.fixture
def runner(client):
    """The gateway client under the name conftest's `session` fixture expects."""
    return client


# -- blocking client ---------------------------------------------------------------------------------


def test_health_and_metrics(client, session):
    health = client.health()
    assert health["status"] == "ok"
    assert health["secure"] is False  # isolation is the gateway deployment's, and not ours to vouch for
    assert set(health["protections"]) == {"isolation", "environment"}
    assert health["gateway_version"]
    metrics = client.metrics()
    assert metrics["kernels_total"] >= 1
    assert metrics["sessions"] >= 1
    for key in ("pool_idle", "sessions_busy", "sessions_idle", "restarts_by_cause", "kernels_started"):
        assert key in metrics


def test_execute_keeps_state_and_streams_outputs_in_order(gateway, client, session):
    session_id, user = session
    assert run(client, session, "x = 21").status == "ok"
    seen = []
    other_instance = gateway.client()  # the registry is shared, as each request builds its own client
    # ipykernel buffers stdout and stderr apart and sends each on its own timer, so it keeps no order
    # between them (ipython/ipykernel#280, as in Jupyter), and a print's text and its newline may go
    # as two messages. One write and a flush, which waits until the text is on IOPub, make the kernel's
    # order fixed: from there on the order is the client's to keep, and that is what this test checks.
    code = (
        "import sys\nsys.stdout.write('a\\n'); sys.stdout.flush()\nsys.stderr.write('b\\n'); sys.stderr.flush()\nx * 2"
    )
    reply = other_instance.execute(session_id, user=user, code=code, on_output=seen.append)
    assert reply.status == "ok"
    assert [output["output_type"] for output in seen] == ["stream", "stream", "execute_result"]
    assert seen == reply.outputs
    assert (seen[0]["text"], seen[1]["name"]) == ("a\n", "stderr")
    assert reply.outputs[-1]["data"]["text/plain"] == "42"
    assert reply.execution_count == 2
    assert reply.session["session_id"] == session_id and reply.session["restarts"] == 0


def test_kernel_gets_its_user_and_context_but_not_the_gateways_environment(client, session):
    _, user = session
    code = "import os\nprint(os.environ['KERNEL_USERNAME'], os.environ['KERNEL_PANLEARN_CONTEXT'])\nprint(os.environ)"
    text = text_of(run(client, session, code))
    assert text.startswith(f"{user} test_kernel_gets_its_user")
    assert CANARY not in text


def test_errors_come_back_as_error_outputs(client, session):
    reply = run(client, session, "1/0")
    assert reply.status == "error"
    assert reply.outputs[-1]["output_type"] == "error"
    assert reply.outputs[-1]["ename"] == "ZeroDivisionError"
    assert isinstance(reply.outputs[-1]["traceback"], list)


def test_output_is_capped_like_the_host(gateway, session):
    session_id, user = session
    reply = gateway.client(max_text_bytes=1024).execute(session_id, user=user, code="print('x' * 5000)")
    assert reply.truncated is True
    assert sum(len(output["text"]) for output in reply.outputs if not output.get("truncated")) <= 1024
    assert "Output truncated" in reply.outputs[-1]["text"]


def test_same_user_and_context_reuse_a_live_kernel(gateway, client):
    first = client.create_session(user="tabs", context="lesson-7")
    assert client.create_session(user="tabs", context="lesson-7")["session_id"] == first["session_id"]
    other = client.create_session(user="tabs", context="lesson-8")
    assert other["session_id"] != first["session_id"]
    httpx.delete(
        f"{gateway.url}/api/kernels/{first['session_id']}", headers={"Authorization": f"token {gateway.token}"}
    )
    replacement = client.create_session(user="tabs", context="lesson-7")  # the old kernel is gone: a new one
    assert replacement["session_id"] != first["session_id"]
    with pytest.raises(SessionNotFound):
        client.execute(first["session_id"], user="tabs", code="1")
    for info in (replacement, other):
        client.shutdown(info["session_id"], user="tabs")


def test_another_users_session_looks_missing(gateway, client, session):
    session_id, user = session
    calls = [
        lambda: client.execute(session_id, user="intruder", code="1"),
        lambda: client.status(session_id, user="intruder"),
        lambda: client.interrupt(session_id, user="intruder"),
        lambda: client.restart(session_id, user="intruder"),
        lambda: client.complete(session_id, user="intruder", code="im", cursor_pos=2),
        lambda: client.inspect(session_id, user="intruder", code="len", cursor_pos=3),
        lambda: client.shutdown(session_id, user="intruder"),
        lambda: client.execute("0" * 32, user=user, code="1"),
    ]
    for call in calls:
        with pytest.raises(SessionNotFound):
            call()
    # A kernel on the gateway that this server did not hand to the user is not theirs either.
    stray = httpx.post(
        f"{gateway.url}/api/kernels",
        json={"name": gateway.client().config.kernel_name, "env": {"KERNEL_USERNAME": "someone"}},
        headers={"Authorization": f"token {gateway.token}"},
    ).json()["id"]
    with pytest.raises(SessionNotFound):
        client.execute(stray, user=user, code="1")
    httpx.delete(f"{gateway.url}/api/kernels/{stray}", headers={"Authorization": f"token {gateway.token}"})
    assert run(client, session, "1").status == "ok"


def test_unknown_kernel_spec_starts_nothing(gateway, client):
    before = gateway.kernel_ids()
    with pytest.raises(UnknownKernelSpec):
        client.create_session(user="u", context="c", kernel="cobol")
    assert gateway.kernel_ids() == before


def test_oversized_code_is_refused(gateway, session):
    session_id, user = session
    small = gateway.client(max_code_bytes=1024)
    with pytest.raises(CodeTooLarge, match="limited to 1 KiB"):
        small.execute(session_id, user=user, code="x = 1\n" * 1000)
    with pytest.raises(CodeTooLarge):
        small.complete(session_id, user=user, code="#" * 2048, cursor_pos=1)
    with pytest.raises(CodeTooLarge):
        small.grade(code="#" * 2048, tests=TESTS)


def test_interrupt_stops_a_sleeping_cell(gateway, client, session):
    session_id, user = session
    run(client, session, "kept = 'yes'")
    replies, sleeping = [], threading.Event()

    def sleep_in_the_kernel():
        code = "import time\nprint('sleeping', flush=True)\ntime.sleep(30)"
        replies.append(client.execute(session_id, user=user, code=code, on_output=lambda output: sleeping.set()))

    worker = threading.Thread(target=sleep_in_the_kernel)
    worker.start()
    # The kernel's own word that the cell runs: the gateway's "busy" may still be the last cell's.
    assert sleeping.wait(timeout=20)
    assert gateway.client().interrupt(session_id, user=user)["session_id"] == session_id
    worker.join(timeout=10)
    assert replies[0].status == "error"
    assert replies[0].outputs[-1]["ename"] == "KeyboardInterrupt"
    assert replies[0].duration_ms < 10_000
    assert text_of(run(client, session, "kept")) == "'yes'"


def test_timeout_interrupts_and_restarts_a_cell_that_ignores_it(gateway, session):
    session_id, user = session
    quick = gateway.client(cell_timeout=1, interrupt_grace=1)
    quick.execute(session_id, user=user, code="y = 5")
    reply = quick.execute(session_id, user=user, code="import time\ntime.sleep(30)")
    assert reply.status == "timeout"
    assert "interrupted" in reply.message and reply.session["restarts"] == 0
    assert text_of(quick.execute(session_id, user=user, code="y")) == "5"  # interrupted in time: state kept

    started = time.monotonic()
    reply = quick.execute(session_id, user=user, code=IGNORE_SIGINT)
    assert reply.status == "timeout"
    assert "restarted" in reply.message and "1 s" in reply.message
    assert reply.session["restarts"] == 1
    assert time.monotonic() - started < 10
    assert gateway.client().execute(session_id, user=user, code="y").outputs[-1]["ename"] == "NameError"
    assert quick.metrics()["restarts_by_cause"]["timeout"] >= 1


def test_a_kernel_that_dies_is_reported_and_replaced(client, session):
    session_id, user = session
    reply = run(client, session, "import os\nos._exit(1)")
    assert reply.status == "died"
    assert "stopped unexpectedly" in reply.message
    assert client.status(session_id, user=user)["restarts"] == 1
    assert text_of(run(client, session, "1 + 1")) == "2"  # the gateway restarted it under the same id


def test_restart_clears_state_and_shutdown_ends_the_session(gateway, client, session):
    session_id, user = session
    run(client, session, "z = 1")
    assert client.restart(session_id, user=user)["restarts"] == 1
    assert run(client, session, "z").outputs[-1]["ename"] == "NameError"
    assert client.shutdown(session_id, user=user) == {"deleted": session_id}
    assert session_id not in gateway.kernel_ids()
    with pytest.raises(SessionNotFound):
        client.status(session_id, user=user)


def test_complete_and_inspect(client, session):
    session_id, user = session
    completion = client.complete(session_id, user=user, code="import o", cursor_pos=8)
    assert completion["status"] == "ok" and "os" in completion["matches"]
    inspection = client.inspect(session_id, user=user, code="len", cursor_pos=3)
    assert inspection["found"] is True
    assert "text/plain" in inspection["data"]


def test_grade_gives_full_marks_for_a_right_answer_in_a_fresh_kernel(gateway, client):
    before = gateway.kernel_ids()
    result = client.grade(code=RIGHT, tests=TESTS)
    assert result["status"] == "completed"
    assert [test["status"] for test in result["tests"]] == ["passed"] * 5
    assert (result["points"], result["points_possible"]) == (6.0, 6.0)
    streams = result["student_outputs"]  # through IOPub: a print may come as two parts
    assert {output["name"] for output in streams} == {"stdout"}
    assert "".join(output["text"] for output in streams) == "defined\n"
    assert set(result) >= {"limits_hit", "message", "duration_ms"}
    assert gateway.kernel_ids() == before  # the grading kernel was deleted


def test_grade_gives_partial_marks_for_a_wrong_answer(client):
    result = client.grade(code=WRONG, tests=TESTS)
    by_name = {test["name"]: test for test in result["tests"]}
    assert {name: test["status"] for name, test in by_name.items()} == {
        "two": "passed",  # 2 + 2 == 2 * 2
        "three": "failed",
        "range": "partial",  # 0 and 2 only
        "zero": "passed",
        "negative": "failed",
    }
    assert by_name["three"]["message"] == "not 9"
    assert by_name["range"]["points"] == 1.0
    assert (result["points"], result["points_possible"]) == (3.0, 6.0)


def test_grade_stops_student_code_that_runs_too_long(client):
    result = client.grade(code="import time\ntime.sleep(30)", tests=TESTS[:1], timeout=1)
    assert result["status"] == "timeout"
    assert result["tests"][0]["status"] == "not_run"
    assert result["points"] == 0


def test_unreachable_gateway_and_bad_token_are_runner_unavailable(gateway, tmp_path):
    down = GatewayClient(base_url=f"http://127.0.0.1:{_free_port()}", token="t", registry=InMemorySessionRegistry())
    for call in (down.health, down.metrics, lambda: down.create_session(user="u", context="c")):
        with pytest.raises(RunnerUnavailable, match="restarting"):
            call()
    down.registry.put(GatewaySession(session_id="k", user="u", context="c", kernel="python3"))
    with pytest.raises(RunnerUnavailable):
        down.execute("k", user="u", code="1")
    with pytest.raises(RunnerUnavailable, match="credentials"):
        gateway.client(token="wrong").create_session(user="u", context="c")


# -- async client ------------------------------------------------------------------------------------


def test_async_client_runs_a_session(gateway):
    async def scenario():
        async with gateway.async_client() as client:
            info = await client.create_session(user="async", context="c")
            session_id = info["session_id"]
            assert info["status"] in ("idle", "busy") and info["restarts"] == 0
            seen = []

            async def collect(output):
                seen.append(output)

            await client.execute(session_id, user="async", code="n = 6")
            reply = await client.execute(session_id, user="async", code="print('hi')\nn * 7", on_output=collect)
            assert reply.status == "ok" and seen == reply.outputs
            assert [output["output_type"] for output in seen] == ["stream", "execute_result"]
            assert seen[1]["data"]["text/plain"] == "42"
            assert (await client.execute(session_id, user="async", code="undefined_name")).status == "error"
            assert "os" in (await client.complete(session_id, user="async", code="import o", cursor_pos=8))["matches"]
            assert (await client.inspect(session_id, user="async", code="len", cursor_pos=3))["found"] is True
            with pytest.raises(SessionNotFound):
                await client.execute(session_id, user="intruder", code="n")
            with pytest.raises(UnknownKernelSpec):
                await client.create_session(user="async", context="c", kernel="nope")
            async with gateway.async_client(max_code_bytes=10) as small:
                with pytest.raises(CodeTooLarge):
                    await small.execute(session_id, user="async", code="print('too long')")
            assert (await client.metrics())["sessions"] >= 1
            assert (await client.shutdown(session_id, user="async")) == {"deleted": session_id}
            with pytest.raises(SessionNotFound):
                await client.status(session_id, user="async")

    asyncio.run(scenario())


def test_async_interrupt_and_timeout(gateway):
    async def scenario():
        async with gateway.async_client(cell_timeout=1, interrupt_grace=1) as client:
            session_id = (await client.create_session(user="async-stop", context="c"))["session_id"]

            started = asyncio.Event()

            async def seen(output: dict) -> None:
                if "sleeping" in output.get("text", ""):
                    started.set()

            async def interrupt_while_running(running: asyncio.Task):
                # Only once the cell's own code runs (it said so): "busy" alone may be the kernel answering
                # another request, or starting the cell, and an interrupt then stops no code of the cell.
                # Again until the cell stops, in case one lands between two of its instructions.
                await asyncio.wait_for(started.wait(), timeout=30)
                while not running.done():
                    await client.interrupt(session_id, user="async-stop")
                    await asyncio.sleep(0.2)

            sleeping = "import time\nprint('sleeping', flush=True)\ntime.sleep(30)"
            async with gateway.async_client() as patient:  # a cell timeout longer than the test's steps
                running = asyncio.create_task(
                    patient.execute(session_id, user="async-stop", code=sleeping, on_output=seen)
                )
                await interrupt_while_running(running)
                reply = running.result()
                assert reply.status == "error" and reply.outputs[-1]["ename"] == "KeyboardInterrupt"
                reply = await client.execute(session_id, user="async-stop", code=IGNORE_SIGINT)
                assert reply.status == "timeout" and "restarted" in reply.message
                assert reply.session["restarts"] == 1
                assert (await patient.execute(session_id, user="async-stop", code="1")).status == "ok"
            await client.shutdown(session_id, user="async-stop")

    asyncio.run(scenario())


def test_async_grade_full_and_partial_marks(gateway):
    async def scenario():
        async with gateway.async_client() as client:
            return await asyncio.gather(client.grade(code=RIGHT, tests=TESTS), client.grade(code=WRONG, tests=TESTS))

    right, wrong = asyncio.run(scenario())
    assert (right["status"], right["points"], right["points_possible"]) == ("completed", 6.0, 6.0)
    assert (wrong["status"], wrong["points"], wrong["points_possible"]) == ("completed", 3.0, 6.0)


def test_async_unreachable_gateway_is_runner_unavailable():
    async def scenario():
        async with AsyncGatewayClient(base_url=f"http://127.0.0.1:{_free_port()}", token="t") as down:
            with pytest.raises(RunnerUnavailable):
                await down.health()
            with pytest.raises(RunnerUnavailable):
                await down.create_session(user="u", context="c")

    asyncio.run(scenario())


def test_blocking_client_works_inside_a_running_loop(gateway):
    async def scenario():
        return gateway.client().health()  # e.g. called by mistake from async code: runs on a helper thread

    assert asyncio.run(scenario())["status"] == "ok"


# -- several web processes in front of one gateway ----------------------------------------------------


def _redis_registry() -> CacheSessionRegistry:
    """What each web process builds from a Redis DJANGO_CACHE_URL: a registry of its own over the shared cache."""
    return CacheSessionRegistry(RedisCache("redis://127.0.0.1:6379/5", {}))


def test_web_processes_share_who_owns_which_kernel_through_redis(gateway):
    user = f"shared-{secrets.token_hex(4)}"
    with gateway.client(registry=_redis_registry()) as first, gateway.client(registry=_redis_registry()) as second:
        session_id = first.create_session(user=user, context="lesson")["session_id"]
        assert text_of(run(second, (session_id, user), "print(6 * 7)")) == "42\n"
        assert second.create_session(user=user, context="lesson")["session_id"] == session_id  # the same kernel
        with pytest.raises(SessionNotFound):
            second.execute(session_id, user="intruder", code="1")
        assert second.restart(session_id, user=user)["restarts"] == 1
        assert first.status(session_id, user=user)["restarts"] == 1
        metrics = first.metrics()
        assert metrics["sessions"] >= 1 and metrics["restarts_by_cause"]["requested"] >= 1
        second.shutdown(session_id, user=user)
        with pytest.raises(SessionNotFound):
            first.status(session_id, user=user)
    with (
        gateway.client(registry=InMemorySessionRegistry()) as own,
        gateway.client(registry=InMemorySessionRegistry()) as other,
    ):
        session_id = own.create_session(user=user, context="lesson")["session_id"]
        try:
            with pytest.raises(SessionNotFound):  # why a process's own registry is not enough
                other.status(session_id, user=user)
        finally:
            own.shutdown(session_id, user=user)


def test_a_redis_cache_makes_the_registry_shared(settings):
    from runner.gateway.config import settings_registry
    from runner.gateway.sessions import DEFAULT_REGISTRY

    assert settings_registry() is DEFAULT_REGISTRY  # the test settings' per-process cache
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:6379/5"}}  # fmt: skip
    assert isinstance(settings_registry(), CacheSessionRegistry)
