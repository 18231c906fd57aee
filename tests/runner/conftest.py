"""A real kernel host, started as its own process on a unix socket, shared by a test worker."""

import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
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
        # One per host: a second host with the same name refuses to start.
        "PANLEARN_RUNNER_CGROUP_NAME": f"panlearn-test-{os.getpid()}-{tmp.name}",
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


def reachable_by_sandboxes(path: Path) -> Path:
    """Let the sandbox's unprivileged host uid reach `path` (datasets, the matplotlib cache), as it
    must in production: pytest makes its temporary directories private to the user running it."""
    temp_root = Path(tempfile.gettempdir())
    for directory in [path, *path.parents]:
        if directory != temp_root and temp_root in directory.parents and directory.stat().st_uid == os.geteuid():
            directory.chmod(directory.stat().st_mode | 0o011)
    path.chmod(0o755)
    return path


class RunningHost:
    def __init__(self, tmp: Path, **overrides: str):
        self.tmp = reachable_by_sandboxes(tmp)
        self.socket = str(tmp / "runner.sock")
        (tmp / "datasets").mkdir(parents=True, exist_ok=True)
        self.log = open(tmp / "runner.log", "wb")  # noqa: SIM115  closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "runner", "serve", "--socket", self.socket],
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


# -- the host's view of its sandboxes ---------------------------------------------------------------


def _parents() -> dict[int, int]:
    parents = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # exited meanwhile
        parents[int(entry)] = int(fields[1])
    return parents


def descendants(pid: int) -> set[int]:
    """Every process below `pid` on this machine, read from the host's /proc."""
    children = defaultdict(list)
    for child, parent in _parents().items():
        children[parent].append(child)
    found, stack = set(), [pid]
    while stack:
        for child in children[stack.pop()]:
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def code_running_host_uids(host_pid: int) -> dict[int, set[int]]:
    """The host uids of every process below the host that runs Python in a sandbox (kernels, grading
    parents and their forks), read from the host's /proc: inside, uid_map cannot tell."""
    from runner.sandbox import host_uids

    found, own_namespace = {}, os.readlink("/proc/self/ns/user")
    for pid in descendants(host_pid):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            if os.readlink(f"/proc/{pid}/ns/user") == own_namespace:
                continue  # not in a sandbox yet: the launcher, which drops to the sandbox's uid
        except OSError:
            continue
        if b"ipykernel_launcher" in cmdline or b"panlearn_grader" in cmdline:
            found[pid] = host_uids(pid)
    return found


def assert_no_sandbox_runs_as_root(kernel_host) -> None:
    uids = code_running_host_uids(kernel_host.process.pid)
    assert uids, "no sandboxed kernel found below the host"
    assert all(0 not in process_uids for process_uids in uids.values()), f"sandboxed as host root: {uids}"


def reset_peak_memory(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # VmHWM starts again from the current size


def peak_memory_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1]) / 1024


# A kernel sends forty 8 MiB parts of one iopub message and never its last part (the attack the relay in
# runner/zmtp_guard.py stops). The same 8 MiB each time: the kernel itself stays small.
FORTY_PARTS_THAT_NEVER_END = (
    "import time, zmq\n"
    "socket, part = get_ipython().kernel.iopub_thread.socket, b'm' * (8 << 20)\n"
    "for _ in range(40):\n"
    "    socket.send(part, zmq.SNDMORE, copy=False)\n"
    "    time.sleep(0.02)\n"
    "time.sleep(2)\n"
)
