"""Attacks a student could run in a sandboxed kernel, each through the client against a real host.

Every test asserts two things: the attack is contained (and the student is told so in plain
words), and afterwards both the attacked session and an independent one still run code.
Limits come from `_host_env` in conftest: cell timeout 3 s, grace 2 s, 256 MiB, 48 pids,
16 MiB of /tmp and of the working directory, 64 KiB of text output per cell.

Every attack runs twice: against kernels forked from a parent (the default, runner/kernel_forks.py) and
against kernels that each start a sandbox of their own (PANLEARN_RUNNER_FORK_KERNELS=0, and where forks
cannot be had).
"""

import contextlib
import json
import os
import shutil
import socket
import socketserver
import textwrap
import threading
import time
import uuid
from pathlib import Path

import pytest

from runner.cgroups import cgroup_version
from tests.runner.conftest import (
    FORTY_PARTS_THAT_NEVER_END,
    ROOT,
    RunningHost,
    assert_no_sandbox_runs_as_root,
    descendants,
    peak_memory_mib,
    reset_peak_memory,
    run,
    text_of,
)

CELL_TIMEOUT = 3.0
GRACE = 2.0
MEMORY_MIB = 256
PIDS = 48
TMP_MIB = 16
MAX_TEXT_BYTES = 64 * 1024
HOST_SECRETS = ("host-secret-key-must-not-leak", "hunter2")
RESULT_MARK = "@@panlearn-attack-result@@"
# Slack for a kernel that the pool starts in the background meanwhile: bwrap, its init, python (a fork: its
# keeper, its init, python).
PROCESSES_PER_KERNEL = 3


@pytest.fixture(scope="module", params=["forked", "own sandbox"])
def kernel_host(request, tmp_path_factory):
    forked = request.param == "forked"
    if forked and (os.geteuid() != 0 or cgroup_version() is None):
        pytest.skip("kernels are forked only on a root host with cgroups (elsewhere each starts on its own)")
    host = RunningHost(tmp_path_factory.mktemp("runner"), **({} if forked else {"PANLEARN_RUNNER_FORK_KERNELS": "0"}))
    try:
        with host.client() as client:  # the kind of kernel the attacks meet, not only the setting
            user = _user("kind")
            info = client.create_session(user=user, context="kind")
            comm = client.execute(info["session_id"], user=user, code="open('/proc/self/comm').read().strip()")
            client.shutdown(info["session_id"], user=user)
            metrics = client.metrics()
        assert (text_of(comm) == "'ipykernel'") == forked, text_of(comm)
        assert metrics.get("kernel_forks_broken", 0) == 0 and ("kernels_forked" in metrics) == forked, metrics
    except BaseException:
        host.stop()
        raise
    yield host
    host.stop()


# -- helpers -----------------------------------------------------------------------------------------


def _user(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def assert_host_healthy(runner) -> None:
    """The host answers, and a brand-new session of another user runs code promptly."""
    assert runner.health()["status"] == "ok"
    user = _user("healthy")
    info = runner.create_session(user=user, context="health-check")
    try:
        started = time.monotonic()
        reply = runner.execute(info["session_id"], user=user, code="1+1")
        elapsed = time.monotonic() - started
        assert reply.status == "ok", (reply.status, reply.message, text_of(reply))
        assert text_of(reply) == "2"
        assert elapsed < 2.0, f"an independent session needed {elapsed:.2f} s for 1+1"
    finally:
        runner.shutdown(info["session_id"], user=user)


def assert_recovers(runner, session) -> None:
    """The attacked session runs code again (in a new kernel if the old one was replaced)."""
    reply = run(runner, session, "1+1")
    assert reply.status == "ok", (reply.status, reply.message, text_of(reply))
    assert text_of(reply) == "2"
    assert_host_healthy(runner)


def timed(runner, session, code: str):
    started = time.monotonic()
    reply = run(runner, session, code)
    return reply, time.monotonic() - started


def probe(runner, session, code: str):
    """Run `code`, which sets `result`, and return `result` through JSON."""
    source = textwrap.dedent(code) + (
        f"\nimport json as _json\nprint({RESULT_MARK!r} + _json.dumps(result, default=repr))\n"
    )
    reply = run(runner, session, source)
    text = text_of(reply)
    assert reply.status == "ok", (reply.status, reply.message, text[-3000:])
    for line in text.splitlines():
        if line.startswith(RESULT_MARK):
            return json.loads(line[len(RESULT_MARK) :])
    raise AssertionError(f"the probe printed no result: {text[-3000:]}")


def wait_pool_settled(runner, timeout: float = 30.0) -> None:
    """No kernel starting: process counts taken now are not moved by the pool's refill."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        metrics = runner.metrics()
        if metrics["kernels_starting"] == 0 and metrics["pool_idle"] >= metrics["pool_target"]:
            return
        time.sleep(0.05)
    raise AssertionError(f"the pool did not settle: {runner.metrics()}")


def count_when_settled(pid: int, *, at_most: int, timeout: float = 10.0) -> int:
    """The host's descendant processes, given time to reach `at_most`: killed sandboxes are reaped in
    the background and a loaded machine takes a few seconds. The bound checked stays the same."""
    deadline = time.monotonic() + timeout
    count = len(descendants(pid))
    while count > at_most and time.monotonic() < deadline:
        time.sleep(0.2)
        count = len(descendants(pid))
    return count


class ProcessSampler:
    """Samples the number of the host's descendant processes in a thread, keeping the maximum."""

    def __init__(self, pid: int):
        self.pid = pid
        self.maximum = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.maximum = max(self.maximum, len(descendants(self.pid)))
            time.sleep(0.02)

    def __enter__(self) -> "ProcessSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def sandbox_pid_count(runner, session) -> int:
    return probe(runner, session, "import os\nresult = sum(1 for p in os.listdir('/proc') if p.isdigit())")


def _timeout_bound() -> float:
    return CELL_TIMEOUT + GRACE + 1.5


# -- time --------------------------------------------------------------------------------------------


def test_infinite_loop_times_out(runner, session):
    reply, elapsed = timed(runner, session, "while True: pass")
    assert reply.status == "timeout"
    assert "more than 3 s" in reply.message
    assert "interrupted" in reply.message or "restarted" in reply.message
    assert elapsed < _timeout_bound()
    assert_recovers(runner, session)


def test_long_sleep_is_interrupted(runner, session):
    reply, elapsed = timed(runner, session, "import time; time.sleep(600)")
    assert reply.status == "timeout"
    assert "interrupted" in reply.message
    assert reply.outputs[-1]["ename"] == "KeyboardInterrupt"
    assert CELL_TIMEOUT <= elapsed < _timeout_bound()
    assert_recovers(runner, session)


def test_uninterruptible_regex_restarts_the_kernel(runner, session):
    assert run(runner, session, "before_restart = 1").status == "ok"
    reply, elapsed = timed(runner, session, "import re; re.match(r'(a+)+$', 'a'*40 + 'b')")
    assert reply.status == "timeout"
    assert "did not stop when interrupted" in reply.message
    assert "restarted" in reply.message
    assert CELL_TIMEOUT + GRACE <= elapsed < _timeout_bound() + 1.0
    reply = run(runner, session, "before_restart")  # a new kernel: the old state is gone
    assert reply.outputs[-1]["ename"] == "NameError"
    assert_recovers(runner, session)


# -- memory ------------------------------------------------------------------------------------------


def test_memory_bomb_kills_and_replaces_the_kernel(runner, session):
    assert run(runner, session, "before_restart = 1").status == "ok"
    reply = run(runner, session, "chunks = []\nwhile True:\n    chunks.append(bytearray(10 * 2**20))")
    assert reply.status == "died"
    assert f"more than {MEMORY_MIB} MiB of memory" in reply.message
    assert "restarted" in reply.message
    reply = run(runner, session, "before_restart")
    assert reply.outputs[-1]["ename"] == "NameError"
    assert_recovers(runner, session)


@pytest.mark.parametrize("size", [10**10, 5 * 10**7], ids=["74GiB", "400MB"])
def test_huge_numpy_allocation_is_refused_or_kills(runner, session, size):
    reply = run(runner, session, f"import numpy as np\na = np.ones({size})\na.sum()")
    if reply.status == "error":
        assert reply.outputs[-1]["ename"] == "MemoryError"
    else:
        assert reply.status == "died", (reply.status, reply.message, text_of(reply))
        assert f"more than {MEMORY_MIB} MiB of memory" in reply.message
    assert_recovers(runner, session)


# -- processes ---------------------------------------------------------------------------------------

FORK_BOMB = "import os\nwhile True:\n    os.fork()\n"
# Survives refused forks, so its processes keep the pids limit full and the CPU busy, and leaves the
# kernel's process group, so the interrupt's SIGINT to that group does not reach it.
PERSISTENT_FORK_BOMB = textwrap.dedent(
    """
    import os
    os.setsid()
    while True:
        try:
            os.fork()
        except OSError:
            pass
    """
)


def _run_fork_bomb(runner, session, kernel_host, bomb: str):
    """Run `bomb` in a child of the kernel; the host's process tree is sampled meanwhile."""
    wait_pool_settled(runner)
    inside_before = sandbox_pid_count(runner, session)
    before = len(descendants(kernel_host.process.pid))
    # The bomb's traceback reaches the kernel through its fd-level capture, a thread that may forward it
    # after the cell's reply under load: a short pause after the wait lets it arrive with the reply.
    code = (
        f"import subprocess, sys, time\nsubprocess.Popen([sys.executable, '-c', {bomb!r}]).wait()\n"
        "time.sleep(0.3)\nsys.stderr.flush()"
    )
    with ProcessSampler(kernel_host.process.pid) as sampler:
        reply, elapsed = timed(runner, session, code)
        time.sleep(0.5)
    return reply, elapsed, before, sampler.maximum, inside_before


def test_fork_bomb_is_stopped_by_the_pids_limit(runner, session, kernel_host):
    reply, elapsed, before, peak, inside_before = _run_fork_bomb(runner, session, kernel_host, FORK_BOMB)
    assert elapsed < _timeout_bound()
    if reply.status == "died":
        assert f"more than {PIDS} processes" in reply.message or "memory" in reply.message
    else:
        assert reply.status in ("ok", "timeout"), (reply.status, reply.message)
        assert "Resource temporarily unavailable" in text_of(reply)  # fork() refused: EAGAIN
    # The whole sandbox (bwrap included) is one pids cgroup: never more than the limit at once.
    assert peak <= before + PIDS + 2 * PROCESSES_PER_KERNEL, (before, peak)
    wait_pool_settled(runner)
    after = count_when_settled(kernel_host.process.pid, at_most=before + PROCESSES_PER_KERNEL)
    assert after <= before + PROCESSES_PER_KERNEL, f"{after - before} processes more than before the bomb"
    if reply.status != "died":
        assert sandbox_pid_count(runner, session) <= inside_before
    assert_recovers(runner, session)


def test_persistent_fork_bomb_leaves_no_processes_behind(runner, session, kernel_host):
    """A bomb that ignores refused forks outlives its cell unless the sandbox is cleaned up."""
    reply, elapsed, before, peak, inside_before = _run_fork_bomb(runner, session, kernel_host, PERSISTENT_FORK_BOMB)
    assert elapsed < _timeout_bound()
    assert reply.status in ("timeout", "died"), (reply.status, reply.message)
    assert peak <= before + PIDS + 2 * PROCESSES_PER_KERNEL, (before, peak)
    assert_recovers(runner, session)
    wait_pool_settled(runner)
    after = count_when_settled(kernel_host.process.pid, at_most=before + PROCESSES_PER_KERNEL)
    inside_after = sandbox_pid_count(runner, session)
    assert inside_after <= inside_before, (
        f"{inside_after - inside_before} processes of the bomb still run in the session's sandbox after "
        f"the cell ended with {reply.status!r}: {reply.message!r}"
    )
    assert after <= before + PROCESSES_PER_KERNEL, f"{after - before} processes more than before the bomb"


def test_kernel_that_kills_itself_is_replaced(runner, session):
    assert run(runner, session, "before_restart = 1").status == "ok"
    reply = run(runner, session, "import os, signal; os.kill(os.getpid(), signal.SIGKILL)")
    assert reply.status == "died"
    assert "stopped unexpectedly" in reply.message
    assert "restarted" in reply.message
    reply = run(runner, session, "before_restart")
    assert reply.outputs[-1]["ename"] == "NameError"
    assert_recovers(runner, session)


# -- files -------------------------------------------------------------------------------------------

FILL = """
import os
result = {}
for directory in DIRECTORIES:
    path = os.path.join(directory, NAME)
    written, error = 0, None
    try:
        with open(path, 'wb', buffering=0) as stream:
            chunk = b'x' * (1 << 20)
            while written < LIMIT:
                written += stream.write(chunk)
    except OSError as exc:
        error = exc.errno
    with contextlib.suppress(OSError):
        os.unlink(path)
    result[directory] = [written, error]
"""


def _fill(runner, session, directories, name: str, limit: int) -> dict:
    code = f"import contextlib\nDIRECTORIES, NAME, LIMIT = {list(directories)!r}, {name!r}, {limit}\n" + FILL
    return probe(runner, session, code)


def test_filling_tmp_and_home_hits_the_size_limit(runner, session, kernel_host):
    import errno

    name = f"fill-{uuid.uuid4().hex}"
    free_before = {path: shutil.disk_usage(path).free for path in ("/tmp", kernel_host.tmp)}
    result = _fill(runner, session, ["/tmp", "/home/student"], name, limit=4 * TMP_MIB << 20)
    for directory, (written, error) in result.items():
        assert error in (errno.ENOSPC, errno.EFBIG), (directory, written, error)
        assert written <= TMP_MIB << 20, (directory, written)
    # Nothing reached the host's disk.
    for path, free in free_before.items():
        assert free - shutil.disk_usage(path).free < TMP_MIB << 20, path
    assert not (Path("/tmp") / name).exists()
    assert not any(kernel_host.tmp.rglob(f"{name}*"))
    assert_recovers(runner, session)


def test_every_writable_place_is_size_limited(runner, session):
    """No directory the kernel can write to takes more than the tmp limit: not /dev, /dev/shm, /run/kernel."""
    import errno

    writable = probe(
        runner,
        session,
        """
        import os
        skip = ('/proc', '/sys')
        places = set()
        with open('/proc/self/mounts') as mounts:
            for line in mounts:
                mount_point, kind, options = line.split()[1], line.split()[2], line.split()[3].split(',')
                if 'rw' in options and kind not in ('proc', 'sysfs', 'devpts') and os.path.isdir(mount_point):
                    places.add(mount_point)
        for place in list(places):
            for entry in os.scandir(place):
                if entry.is_dir(follow_symlinks=False) and not entry.path.startswith(skip):
                    places.add(entry.path)
        result = sorted(place for place in places if os.access(place, os.W_OK) and not place.startswith(skip))
        """,
    )
    assert {"/tmp", "/home/student"} <= set(writable)
    result = _fill(runner, session, writable, f"fill-{uuid.uuid4().hex}", limit=2 * TMP_MIB << 20)
    unbounded = {directory: written >> 20 for directory, (written, error) in result.items() if error is None}
    assert not unbounded, f"MiB written without hitting any limit: {unbounded}"
    for directory, (written, error) in result.items():
        assert error in (errno.ENOSPC, errno.EFBIG), (directory, written, error)
        assert written <= TMP_MIB << 20, (directory, written)
    assert_recovers(runner, session)


def test_system_data_and_python_are_read_only(runner, session):
    import errno

    name = f"pwned-{uuid.uuid4().hex}"
    result = probe(
        runner,
        session,
        f"""
        import os, sys, sysconfig
        name = {name!r}
        directories = ['/', '/data', '/usr', '/usr/bin', '/etc', '/opt', sys.prefix, sys.base_prefix,
                       sysconfig.get_paths()['stdlib'], sysconfig.get_paths()['purelib']]
        existing = ['/etc/passwd', '/etc/ld.so.cache', '/usr/bin/env', os.__file__, sys.executable,
                    os.path.join(sys.prefix, 'pyvenv.cfg')]
        result = {{'created': [], 'modified': [], 'refused': {{}}}}
        for directory in directories:
            path = os.path.join(directory, name)
            try:
                with open(path, 'w') as stream:
                    stream.write('x')
                result['created'].append(path)
            except OSError as error:
                result['refused'][path] = error.errno
            try:
                os.mkdir(path + '.d')
                result['created'].append(path + '.d')
            except OSError as error:
                result['refused'][path + '.d'] = error.errno
        for path in existing:
            try:
                with open(path, 'r+b') as stream:
                    stream.seek(0, 2)
                    stream.write(b'')
                result['modified'].append(path)
            except OSError as error:
                result['refused'][path] = error.errno
        result['prefixes'] = [sys.prefix, sys.base_prefix]
        """,
    )
    assert result["created"] == []
    assert result["modified"] == []
    assert len(result["refused"]) >= 20
    assert set(result["refused"].values()) <= {errno.EROFS, errno.EACCES, errno.EPERM, errno.ETXTBSY}, result["refused"]
    for prefix in result["prefixes"]:  # the same paths on the host are untouched
        assert not (Path(prefix) / name).exists()
    assert_recovers(runner, session)


def test_host_global_settings_in_proc_cannot_be_written(runner, session, kernel_host):
    """/proc/sys (core_pattern, suid_dumpable, pid_max...), irq, bus and sysrq-trigger: none opens for writing,
    and no kernel runs as host root (whose uid is all Linux checks for those settings), though the host does."""
    from runner.sandbox import WRITABLE_PROC_PROBE

    reply = run(runner, session, WRITABLE_PROC_PROBE)
    assert reply.status == "ok", (reply.status, reply.message, text_of(reply))
    assert text_of(reply).split()[0] == "0", f"writable in the sandbox: {text_of(reply)}"
    assert_no_sandbox_runs_as_root(kernel_host)
    result = probe(runner, session, "import os\nresult = os.listdir('/proc/sys')")
    assert result == []  # hidden: nothing of the host's settings (nor its boot_id) to read either
    assert_recovers(runner, session)


# -- network -----------------------------------------------------------------------------------------


def test_outside_addresses_are_unreachable(runner, session):
    result = probe(
        runner,
        session,
        """
        import socket
        result = {}
        for family, address in ((socket.AF_INET, ('10.255.255.1', 80)), (socket.AF_INET6, ('fd00::1', 80))):
            with socket.socket(family, socket.SOCK_STREAM) as sock:
                sock.settimeout(2)
                try:
                    sock.connect(address)
                    result[address[0]] = 'connected'
                except OSError as error:
                    result[address[0]] = [type(error).__name__, error.errno]
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            try:
                sock.sendto(b'x', ('10.255.255.1', 53))
                result['udp'] = 'sent'
            except OSError as error:
                result['udp'] = [type(error).__name__, error.errno]
        with open('/proc/net/dev') as devices:
            result['interfaces'] = [line.split(':')[0].strip() for line in devices.readlines()[2:]]
        """,
    )
    for target in ("10.255.255.1", "fd00::1", "udp"):
        assert result[target] not in ("connected", "sent"), (target, result[target])
        assert result[target][0] != "TimeoutError", (target, result[target])  # no route at all, not a slow drop
    assert result["interfaces"] == ["lo"]
    assert_recovers(runner, session)


def test_host_loopback_listener_is_unreachable(runner, session):
    received = []

    class Recorder(socketserver.BaseRequestHandler):
        def handle(self):
            received.append(self.request.recv(100))

    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), Recorder) as server:
        port = server.server_address[1]
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as probe_socket:  # the listener is real
                probe_socket.sendall(b"from the test")
            deadline = time.monotonic() + 2
            while not received and time.monotonic() < deadline:
                time.sleep(0.01)
            assert received == [b"from the test"]
            received.clear()
            result = probe(
                runner,
                session,
                f"""
                import socket
                try:
                    with socket.create_connection(('127.0.0.1', {port}), timeout=2) as sock:
                        sock.sendall(b'from the kernel')
                    result = 'connected'
                except OSError as error:
                    result = [type(error).__name__, error.errno]
                """,
            )
            time.sleep(0.2)
        finally:
            server.shutdown()
            thread.join()
    assert result != "connected"
    assert result[0] == "ConnectionRefusedError", result  # the sandbox's own, empty loopback
    assert received == []
    assert_recovers(runner, session)


def test_host_abstract_unix_socket_is_unreachable(runner, session):
    name = f"\0panlearn-test-abstract-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
        listener.bind(name)
        listener.listen(5)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as own:  # reachable from the host
            own.connect(name)
            listener.accept()[0].close()
        result = probe(
            runner,
            session,
            f"""
            import socket
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                try:
                    sock.connect({name!r})
                    result = 'connected'
                except OSError as error:
                    result = [type(error).__name__, error.errno]
            """,
        )
        listener.settimeout(0.3)
        with pytest.raises(TimeoutError):
            listener.accept()[0].close()
    assert result != "connected"
    assert result[0] == "ConnectionRefusedError", result
    assert_recovers(runner, session)


# -- secrets and other processes ---------------------------------------------------------------------

SECRET_SEARCH = """
import os, sys, time
secrets = [secret.encode() for secret in SECRETS]
skip = ('/proc', '/sys', '/dev', '/usr', sys.prefix, sys.base_prefix)
result = {'environ': [key for key, value in os.environ.items() if key in ('DJANGO_SECRET_KEY', 'DATABASE_URL')
                      or any(secret.decode() in value for secret in secrets)],
          'hits': [], 'errors': {}, 'files_read': 0, 'complete': True}


def search(path):
    try:
        with open(path, 'rb') as stream:
            content = stream.read(4 << 20)
    except OSError as error:
        result['errors'][path] = error.errno
        return
    result['files_read'] += 1
    for secret in secrets:
        if secret in content:
            result['hits'].append([path, secret.decode()])


search('/proc/self/environ')
for pid in [entry for entry in os.listdir('/proc') if entry.isdigit()]:
    for leaf in ('environ', 'cmdline'):
        search(f'/proc/{pid}/{leaf}')
deadline = time.monotonic() + 2.0
for root, directories, files in os.walk('/'):
    if time.monotonic() > deadline:
        result['complete'] = False
        break
    directories[:] = [name for name in directories if not os.path.join(root, name).startswith(skip)]
    for name in files:
        path = os.path.join(root, name)
        if os.path.isfile(path) and not os.path.islink(path):
            search(path)
result['settings_visible'] = os.path.exists(PROJECT + '/panlearn/settings')
result['project_entries'] = sorted(os.listdir(PROJECT)) if os.path.isdir(PROJECT) else None
"""


def test_host_secrets_are_not_readable(runner, session):
    code = f"SECRETS, PROJECT = {list(HOST_SECRETS)!r}, {str(ROOT)!r}\n" + SECRET_SEARCH
    result = probe(runner, session, code)
    assert result["environ"] == []
    assert result["hits"] == [], f"host secrets readable in the sandbox: {result['hits']}"
    assert result["files_read"] >= 3  # /proc/self/environ, /proc/1/cmdline, /etc/passwd ...
    assert result["complete"], "the walk of readable files did not finish in time"
    assert result["settings_visible"] is False
    assert result["project_entries"] in (None, [".venv"])  # only the read-only virtualenv is mounted
    assert_recovers(runner, session)


def test_proc_shows_only_the_own_sandbox(runner, session, kernel_host):
    marker = f"{uuid.uuid4().int % 10**6}.{uuid.uuid4().int % 10**3}"  # a sleep duration nobody else uses
    other_user = _user("neighbour")
    other = runner.create_session(user=other_user, context="neighbour")
    other_session = (other["session_id"], other_user)
    try:
        started = probe(
            runner,
            other_session,
            f"""
            import subprocess, os
            sleeper = subprocess.Popen(['sleep', {marker!r}])
            open('/tmp/marker-{marker}', 'w').close()
            result = sleeper.pid
            """,
        )
        assert started > 0
        host_side = [
            pid
            for pid in descendants(kernel_host.process.pid)
            if Path(f"/proc/{pid}/cmdline").exists() and marker.encode() in Path(f"/proc/{pid}/cmdline").read_bytes()
        ]
        assert host_side, "the neighbour's marker process should run (seen from the host)"
        host_pids = [kernel_host.process.pid, os.getpid(), *host_side]
        result = probe(
            runner,
            session,
            f"""
            import os
            marker, host_pids = {marker!r}, {host_pids!r}
            pids = sorted(int(entry) for entry in os.listdir('/proc') if entry.isdigit())
            result = {{'pids': pids, 'own': os.getpid(), 'marker_seen': [], 'host_pids': {{}}}}
            for pid in pids:
                try:
                    with open(f'/proc/{{pid}}/cmdline', 'rb') as stream:
                        if marker.encode() in stream.read():
                            result['marker_seen'].append(pid)
                except OSError:
                    pass
                if os.path.exists(f'/proc/{{pid}}/root/tmp/marker-{{marker}}'):
                    result['marker_seen'].append(f'{{pid}}/root')
            for pid in host_pids:
                outcome = []
                for leaf in ('environ', 'status', 'root/etc/hostname'):
                    try:
                        with open(f'/proc/{{pid}}/{{leaf}}', 'rb') as stream:
                            outcome.append(stream.read(100).decode(errors='replace'))
                    except OSError as error:
                        outcome.append(error.errno)
                try:
                    os.kill(pid, 0)
                    outcome.append('signalled')
                except OSError as error:
                    outcome.append(error.errno)
                result['host_pids'][str(pid)] = outcome
            """,
        )
    finally:
        runner.shutdown(other["session_id"], user=other_user)
    assert result["marker_seen"] == []
    assert len(result["pids"]) <= 4, result["pids"]  # bwrap's init, the kernel, at most a helper or two
    assert result["own"] in result["pids"]
    for pid, outcome in result["host_pids"].items():
        assert int(pid) not in result["pids"]
        assert outcome == [2, 2, 2, 3], (pid, outcome)  # ENOENT for /proc/<pid>/..., ESRCH for kill
    assert_recovers(runner, session)


def test_ptrace_unshare_and_mount_are_refused(runner, session):
    import errno

    result = probe(
        runner,
        session,
        """
        import ctypes, os, subprocess
        libc = ctypes.CDLL(None, use_errno=True)
        libc.ptrace.restype = ctypes.c_long


        def call(function, *args):
            ctypes.set_errno(0)
            return [function(*args), ctypes.get_errno()]


        child = subprocess.Popen(['sleep', '30'])
        result = {
            'ptrace_attach_init': call(libc.ptrace, 16, 1, 0, 0),
            'ptrace_attach_child': call(libc.ptrace, 16, child.pid, 0, 0),
            'ptrace_seize_child': call(libc.ptrace, 0x4206, child.pid, 0, 0),
            'unshare_user': call(libc.unshare, 0x10000000),
            'unshare_mount': call(libc.unshare, 0x00020000),
            'unshare_net': call(libc.unshare, 0x40000000),
            'mount_tmpfs': call(libc.mount, b'none', b'/tmp', b'tmpfs', 0, None),
            'remount_rw': call(libc.mount, b'none', b'/usr', None, 0x20 | 0x1000, None),
            'umount_data': call(libc.umount2, b'/data', 2),
            'chroot': call(libc.chroot, b'/tmp'),
        }
        with open('/proc/1/ns/mnt') as namespace:
            result['setns'] = call(libc.setns, namespace.fileno(), 0)
        if hasattr(os, 'unshare'):
            try:
                os.unshare(os.CLONE_NEWUSER)
                result['os_unshare'] = [0, 0]
            except OSError as error:
                result['os_unshare'] = [-1, error.errno]
        tool = subprocess.run(['unshare', '--user', '--map-root-user', 'id'], capture_output=True)
        result['unshare_tool'] = tool.returncode
        child.kill()
        """,
    )
    for name in ("ptrace_attach_init", "ptrace_attach_child", "ptrace_seize_child"):
        assert result[name] == [-1, errno.EPERM], (name, result[name])
    for name in ("unshare_user", "unshare_mount", "unshare_net", "os_unshare", "setns", "chroot"):
        if name in result:
            assert result[name] == [-1, errno.EPERM], (name, result[name])
    for name in ("mount_tmpfs", "remount_rw", "umount_data"):
        assert result[name][0] == -1 and result[name][1] != 0, (name, result[name])
    assert result["unshare_tool"] != 0
    assert_recovers(runner, session)


def test_the_sandbox_init_environment_tells_nothing_of_the_host(runner, session):
    """pid 1 of the kernel's namespace is readable by the kernel. bwrap's init was started with an empty
    environment: it names no host path, and no host working directory. A forked kernel's init is a fork of the
    parent, which bwrap started with the kernel's explicit environment: exactly those variables, no other."""
    from runner.sandbox import kernel_environment

    environ = probe(runner, session, "result = open('/proc/1/environ', 'rb').read().decode(errors='replace')")
    assert not any(secret in environ for secret in HOST_SECRETS), environ
    if "kernels_forked" in runner.metrics():
        entries = [entry for entry in environ.split("\0") if entry]
        assert {entry.split("=", 1)[0] for entry in entries} == {*kernel_environment({}), "PWD"}, entries
        assert "PWD=/home/student" in entries, entries  # bwrap's --chdir: the sandbox's home
    else:  # bwrap, started with env={} from "/" by a shell that sets PWD: that alone
        assert [entry for entry in environ.split("\0") if entry] == ["PWD=/"], environ
        assert str(ROOT) not in environ and os.getcwd() not in environ, environ
    assert_recovers(runner, session)


def test_the_hosts_boot_line_load_and_boot_id_are_not_readable(runner, session):
    shown = probe(runner, session, (
        "result = {}\n"
        "for path in ('/proc/cmdline', '/proc/loadavg', '/proc/sys/kernel/random/boot_id'):\n"
        "    try:\n"
        "        result[path] = open(path).read()\n"
        "    except OSError as error:\n"
        "        result[path] = type(error).__name__\n"
    ))  # fmt: skip
    with open("/proc/cmdline") as cmdline:
        assert cmdline.read().strip(), "the host has a boot command line to hide"
    assert shown == {"/proc/cmdline": "", "/proc/loadavg": "", "/proc/sys/kernel/random/boot_id": "FileNotFoundError"}
    assert_recovers(runner, session)


@pytest.mark.skipif(os.uname().machine != "x86_64", reason="the syscall numbers below are x86_64's")
def test_modify_ldt_and_memfd_secret_are_refused(runner, session):
    import errno

    result = probe(
        runner,
        session,
        """
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        result = {}
        for name, number, args in (('modify_ldt', 154, (0, None, 0)), ('memfd_secret', 447, (0,))):
            ctypes.set_errno(0)
            result[name] = [libc.syscall(number, *args), ctypes.get_errno()]
        """,
    )
    assert result == {"modify_ldt": [-1, errno.EPERM], "memfd_secret": [-1, errno.EPERM]}, result
    assert_recovers(runner, session)


def test_symlinks_do_not_reach_the_host(runner, session, kernel_host):
    host_pid = kernel_host.process.pid
    targets = [
        "/proc/1/root/etc/shadow",
        f"/proc/{host_pid}/root/etc/shadow",
        f"/proc/{host_pid}/root/etc/hostname",
        f"/proc/{host_pid}/cwd/manage.py",
        f"/proc/{host_pid}/environ",
        "/proc/self/root/../../../etc/shadow",
        "../../../../../etc/shadow",
        "/etc/shadow",
        str(ROOT / "manage.py"),
        str(ROOT / "panlearn" / "settings" / "__init__.py"),
        str(kernel_host.tmp / "runner.log"),
    ]
    assert Path("/etc/shadow").exists() and (ROOT / "manage.py").exists()  # they exist on the host
    result = probe(
        runner,
        session,
        f"""
        import os
        result = {{'read': {{}}, 'refused': {{}}}}
        for index, target in enumerate({targets!r}):
            for directory in ('/tmp', '/home/student'):
                link = f'{{directory}}/link-{{index}}'
                os.symlink(target, link)
                try:
                    with open(link, 'rb') as stream:
                        result['read'][link + ' -> ' + target] = stream.read(200).decode(errors='replace')
                except OSError as error:
                    result['refused'][link] = error.errno
        os.symlink('/proc/1/root', '/tmp/root-link')
        result['root_link'] = sorted(os.listdir('/tmp/root-link'))
        result['root'] = sorted(os.listdir('/'))
        """,
    )
    assert result["read"] == {}, f"read through symlinks: {result['read']}"
    assert len(result["refused"]) == 2 * len(targets)
    assert result["root_link"] == result["root"]  # /proc/1/root is the sandbox's own root
    assert "var" not in result["root"] and "panlearn" not in result["root"]
    assert_recovers(runner, session)


def test_sockets_directory_cannot_redirect_the_host(runner, session, tmp_path):
    """The host reaches the kernel through /proc/<pid>/root/run/kernel/ipc-N, a directory the kernel can
    write: a symlink planted there must not make the host connect to a unix socket of the kernel's choice."""
    target = str(tmp_path / "host-only.sock")
    received = []
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
        listener.bind(target)
        listener.listen(5)
        listener.settimeout(3.0)
        result = probe(
            runner,
            session,
            f"""
            import os
            from ipykernel.kernelapp import IPKernelApp
            IPKernelApp.instance().stdin_socket.close(linger=0)  # the host's stdin channel starts reconnecting
            os.unlink('/run/kernel/ipc-3')
            os.symlink({target!r}, '/run/kernel/ipc-3')
            result = os.readlink('/run/kernel/ipc-3')
            """,
        )
        assert result == target
        with contextlib.suppress(TimeoutError):
            connection, _ = listener.accept()
            with connection:
                connection.settimeout(1.0)
                received.append(connection.recv(64))
    assert received == [], f"the host connected to {target} and sent {received}"
    assert_recovers(runner, session)


# -- output ------------------------------------------------------------------------------------------


def _text_bytes(outputs) -> int:
    size = 0
    for output in outputs:
        if output.get("truncated"):
            continue  # the notice itself
        if output["output_type"] == "stream":
            size += len(output["text"].encode())
        elif output["output_type"] == "error":
            size += len("\n".join(output["traceback"]).encode())
        elif "data" in output:
            size += sum(len(str(value).encode()) for value in output["data"].values())
    return size


def _assert_capped(reply) -> None:
    notices = [output for output in reply.outputs if output.get("truncated")]
    assert len(notices) == 1, reply.outputs[-3:]
    assert "Output truncated" in notices[0]["text"]
    assert "64 KiB" in notices[0]["text"]
    assert reply.truncated is True
    assert _text_bytes(reply.outputs) <= MAX_TEXT_BYTES


def test_print_flood_is_capped_and_other_sessions_stay_responsive(runner, session, kernel_host):
    """Many small messages until the cell's time runs out (each flushed: unflushed, ipykernel gathers
    them into messages over the size limit, which the next test covers)."""
    first_output = threading.Event()
    replies = []
    session_id, user = session

    def flood():
        with kernel_host.client() as client:
            replies.append(
                client.execute(
                    session_id,
                    user=user,
                    code="while True: print('x' * 1000, flush=True)",
                    on_output=lambda output: first_output.set(),
                )
            )

    flooder = threading.Thread(target=flood)
    flooder.start()
    other_user = _user("bystander")
    other = runner.create_session(user=other_user, context="bystander")
    try:
        assert first_output.wait(10), "the flood did not start"
        latencies = []
        for _ in range(3):
            started = time.monotonic()
            reply = runner.execute(other["session_id"], user=other_user, code="1+1")
            latencies.append(time.monotonic() - started)
            assert reply.status == "ok" and text_of(reply) == "2"
            time.sleep(0.2)
    finally:
        flooder.join(30)
        runner.shutdown(other["session_id"], user=other_user)
    assert max(latencies) < 2.0, f"another session waited {latencies} s during the flood"
    (reply,) = replies
    assert reply.status in ("timeout", "died"), (reply.status, reply.message)
    assert reply.message
    _assert_capped(reply)
    assert_recovers(runner, session)


def test_single_huge_print_is_capped(runner, session):
    reply = run(runner, session, "print('y' * (4 << 20))")
    assert reply.status == "ok", (reply.status, reply.message)
    _assert_capped(reply)
    assert_recovers(runner, session)


def test_one_huge_output_message_does_not_inflate_the_host(runner, session, kernel_host):
    """One print of 40 MB is one iopub message: the host held and decoded it whole before capping it
    (review of 2026-12-04: +269 MiB per flooding kernel). ZMQ now drops a connection whose message is over
    the limit before reading it; the kernel is replaced and the student told why."""
    from runner.kernel import MAX_MESSAGE_BYTES

    host = kernel_host.process.pid
    reset_peak_memory(host)
    before = peak_memory_mib(host)
    reply = run(runner, session, "import sys\nsys.stdout.write('w' * (40 << 20))\nsys.stdout.flush()")
    grown = peak_memory_mib(host) - before
    assert reply.status == "died", (reply.status, reply.message)
    assert "output" in reply.message and f"{MAX_MESSAGE_BYTES >> 20} MiB" in reply.message
    assert grown < 2 * (MAX_MESSAGE_BYTES >> 20), f"the host grew by {grown:.0f} MiB"
    assert_recovers(runner, session)


def test_a_message_of_many_parts_does_not_inflate_the_host(runner, session, kernel_host):
    """ZMQ's limit is per part, and it holds every part of a message until the last one comes: forty
    parts of 8 MiB that never ended grew the host by 328 MiB (review of 2026-12-04). The relay between
    the host and the kernel counts each message as it streams and cuts it past the limit."""
    from runner.kernel import MAX_MESSAGE_BYTES

    host = kernel_host.process.pid
    reset_peak_memory(host)
    before = peak_memory_mib(host)
    reply = run(runner, session, FORTY_PARTS_THAT_NEVER_END)
    grown = peak_memory_mib(host) - before
    assert reply.status == "died", (reply.status, reply.message)
    assert "output" in reply.message and f"{MAX_MESSAGE_BYTES >> 20} MiB" in reply.message
    assert grown < 2 * (MAX_MESSAGE_BYTES >> 20), f"the host grew by {grown:.0f} MiB"
    assert_recovers(runner, session)


def test_whole_messages_between_cells_do_not_pile_up_in_the_host(runner, session, kernel_host):
    """Between cells nobody reads a kernel's output, and ZMQ queued up to a thousand whole messages (each
    under the limit) ahead of the host's reader: a thread that went on sending 15 MiB messages after its
    cell had ended grew the host by ~1.2 GiB (review of 2026-12-06). The host's sockets now queue a few
    messages at most; the rest waits in the kernel, within its own memory limit, or is dropped there."""
    from runner.kernel import MAX_MESSAGE_BYTES

    code = (
        "import threading, time\n"
        "def flood():\n"
        "    time.sleep(0.5)  # the cell is over: nobody reads\n"
        "    socket, part = get_ipython().kernel.iopub_thread.socket, b'm' * (15 << 20)\n"
        "    for _ in range(80):\n"
        "        socket.send(part, copy=False)\n"
        "threading.Thread(target=flood, daemon=True).start()\n"
    )
    host = kernel_host.process.pid
    reset_peak_memory(host)
    before = peak_memory_mib(host)
    reply = run(runner, session, code)
    assert reply.status == "ok", (reply.status, reply.message)
    time.sleep(3)  # the thread sends; nobody reads
    grown = peak_memory_mib(host) - before
    assert grown < 8 * (MAX_MESSAGE_BYTES >> 20), f"the host grew by {grown:.0f} MiB"
    # What the kernel kept queued reaches the host ahead of its next cell, which may run out of time for
    # it: the flood costs its sender's own time, not the host's memory.
    for _ in range(3):
        if run(runner, session, "1+1").status == "ok":
            break
    assert_recovers(runner, session)


def test_an_oversized_reply_on_the_shell_channel_is_reported_as_a_flood(runner, session, kernel_host):
    """A cell's execute_reply carries its payloads, which the cell's code writes: 20 MiB of them make a
    shell message over the limit. The relay cuts the shell connection as it cuts output, and the host,
    which never reconnects, reports it as a flood and gives a fresh kernel: on this cell, or (if the cell's
    idle status on iopub came before the relay read the reply's header) at once on the next one, rather
    than the next cell waiting out its time on a dead channel."""
    from runner.kernel import MAX_MESSAGE_BYTES

    code = (
        "get_ipython().payload_manager.write_payload("
        "{'source': 'set_next_input', 'text': 'p' * (20 << 20), 'replace': False})"
    )
    host = kernel_host.process.pid
    reset_peak_memory(host)
    before = peak_memory_mib(host)
    reply = run(runner, session, code)
    if reply.status == "ok":
        # Undetected, the next cell's request would sit on the dead channel and end as a timeout.
        reply = run(runner, session, "1 + 1")
    grown = peak_memory_mib(host) - before
    assert reply.status == "died", (reply.status, reply.message)
    assert "output" in reply.message and f"{MAX_MESSAGE_BYTES >> 20} MiB" in reply.message
    assert grown < 2 * (MAX_MESSAGE_BYTES >> 20), f"the host grew by {grown:.0f} MiB"
    assert_recovers(runner, session)


def test_mountinfo_names_no_checkout_path_but_the_virtualenv(runner, session):
    """/proc/self/mountinfo shows the host path of every bind. The kernel helpers, the matplotlib cache and
    the masks over the host's boot line come in as data; what remains is the virtualenv (sys.prefix names
    it anyway), the system's and the datasets'."""
    import sys

    result = probe(runner, session, "result = open('/proc/self/mountinfo').read()")
    roots = {line.split()[3] for line in result.splitlines()}
    in_checkout = {root for root in roots if root.startswith(str(ROOT))}
    assert in_checkout <= {sys.prefix}, in_checkout
    assert not any("runner" in root for root in roots), roots
