"""A real kernel host, started as its own process on a unix socket, shared by a test worker."""

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from runner.client import AsyncRunnerClient, RunnerClient

ROOT = Path(__file__).resolve().parents[2]
SECRET = "test-runner-secret"


def _host_env(tmp: Path, **overrides: str) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "panlearn.settings.test",
        "PANLEARN_VAR_DIR": str(tmp / "var"),
        "PANLEARN_RUNNER_SECRET": SECRET,
        "PANLEARN_RUNNER_POOL_SIZE": "2",
        "PANLEARN_RUNNER_MAX_KERNELS": "10",
        "PANLEARN_RUNNER_KERNELS_PER_USER": "3",
        "PANLEARN_RUNNER_CELL_TIMEOUT": "3",
        "PANLEARN_RUNNER_INTERRUPT_GRACE": "2",
        "PANLEARN_RUNNER_MEMORY_MIB": "256",
        "PANLEARN_RUNNER_PIDS": "48",
        "PANLEARN_RUNNER_TMP_MIB": "16",
        "PANLEARN_RUNNER_MAX_TEXT_BYTES": str(64 * 1024),
        "PANLEARN_RUNNER_MAX_CODE_BYTES": str(64 * 1024),
        "PANLEARN_RUNNER_DATASETS_DIR": str(tmp / "datasets"),
        "PANLEARN_RUNNER_CGROUP_NAME": f"panlearn-test-{os.getpid()}",
        # Secrets that must never reach a kernel, planted in the host's environment.
        "DJANGO_SECRET_KEY": "host-secret-key-must-not-leak",
        "DATABASE_URL": "postgres://leak:hunter2@127.0.0.1:5432/secretdb",
    }
    env.update(overrides)
    return env


def stop_process(process: subprocess.Popen) -> None:
    """Terminate a service started by a fixture; kill it if it does not stop in time."""
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class RunningHost:
    def __init__(self, tmp: Path, **overrides: str):
        self.tmp = tmp
        self.socket = str(tmp / "runner.sock")
        (tmp / "datasets").mkdir(parents=True, exist_ok=True)
        self.log = open(tmp / "runner.log", "wb")  # noqa: SIM115  closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "runner", "serve", "--socket", self.socket],
            cwd=ROOT,
            env=_host_env(tmp, **overrides),
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.wait_healthy()

    def client(self) -> RunnerClient:
        return RunnerClient(base_url="http://runner", secret=SECRET, socket_path=self.socket, timeout=60)

    def async_client(self) -> AsyncRunnerClient:
        return AsyncRunnerClient(base_url="http://runner", secret=SECRET, socket_path=self.socket, timeout=60)

    def wait_healthy(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"kernel host exited: {(self.tmp / 'runner.log').read_text()[-3000:]}")
            if os.path.exists(self.socket):
                try:
                    with self.client() as client:
                        if client.metrics()["pool_idle"] >= 1:
                            return
                except Exception:
                    pass
            time.sleep(0.1)
        raise RuntimeError("kernel host did not become healthy")

    def stop(self) -> None:
        stop_process(self.process)
        self.log.close()


@pytest.fixture(scope="session")
def kernel_host(tmp_path_factory):
    host = RunningHost(tmp_path_factory.mktemp("runner"))
    yield host
    host.stop()


@pytest.fixture
def runner(kernel_host):
    with kernel_host.client() as client:
        yield client


@pytest.fixture
def session(runner, request):
    """A fresh session for one test, owned by a user named after the test (any backend's client)."""
    user = f"user-{request.node.name}"[:60]
    info = runner.create_session(user=user, context=request.node.name)
    yield info["session_id"], user
    with contextlib.suppress(Exception):  # the test may have ended the session itself
        runner.shutdown(info["session_id"], user=user)


def run(runner, session, code: str):
    session_id, user = session
    return runner.execute(session_id, user=user, code=code)


def text_of(reply) -> str:
    parts = []
    for output in reply.outputs:
        if output["output_type"] == "stream":
            parts.append(output["text"])
        elif output["output_type"] in ("execute_result", "display_data"):
            parts.append(output["data"].get("text/plain", ""))
        elif output["output_type"] == "error":
            parts.append(f"{output['ename']}: {output['evalue']}")
    return "".join(parts)
