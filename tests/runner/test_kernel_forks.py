"""Live kernels forked from a parent (runner/kernel_forks.py): each apart from the others, as a kernel in a
sandbox of its own was, and kernels that start on their own where forks are off or cannot be had. And the
forking parents' bookkeeping that grading shares with them."""

import asyncio
import dataclasses
import os
import resource
import sys
import time
from pathlib import Path

import pytest

from runner.cgroups import KernelCgroup, cgroup_version, remove_parent_groups
from runner.exceptions import KernelDied
from runner.grading_parents import Grader
from runner.host_config import Limits
from runner.kernel import KERNEL_ARGV
from runner.kernel_forks import Fork, ForkedKernel, KernelParents
from runner.outputs import OutputBudget
from runner.sandbox import SandboxSpec

from .conftest import RunningHost, descendants, reachable_by_sandboxes, run, text_of
from .test_attacks import _user, probe

SECOND_KERNEL = "neighbour"


def kernel_processes(host_pid: int) -> dict[int, Path]:
    """The forked kernels below the host, by host pid, each with its memory cgroup as the host sees it."""
    found = {}
    for pid in descendants(host_pid):
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip() != "ipykernel":
                continue
            lines = Path(f"/proc/{pid}/cgroup").read_text().splitlines()
        except OSError:
            continue
        memory = next(line.split(":", 2)[2] for line in lines if ":memory:" in line or line.startswith("0::"))
        found[pid] = Path(memory)
    return found


@pytest.fixture
def neighbour(runner):
    user = _user(SECOND_KERNEL)
    info = runner.create_session(user=user, context=SECOND_KERNEL)
    yield info["session_id"], user
    runner.shutdown(info["session_id"], user=user)


def host_pid_of(runner, session, kernel_host) -> int:
    """The host pid of the session's kernel: the forked kernel whose namespace holds the marker file."""
    marker = f"/tmp/marker-{os.urandom(6).hex()}"
    assert run(runner, session, f"open({marker!r}, 'w').close()").status == "ok"
    for pid in kernel_processes(kernel_host.process.pid):
        if os.path.exists(f"/proc/{pid}/root{marker}"):
            return pid
    raise AssertionError("the session's kernel is not a fork below the host")


def test_two_students_kernels_are_forks_with_their_own_uid_and_cgroup(runner, session, neighbour, kernel_host):
    metrics = runner.metrics()
    assert metrics["kernels_forked"] >= 2 and metrics["kernel_forks_broken"] == 0, metrics
    first, second = host_pid_of(runner, session, kernel_host), host_pid_of(runner, neighbour, kernel_host)
    assert first != second
    uids = {pid: Path(f"/proc/{pid}/status").read_text().split("Uid:")[1].split()[0] for pid in (first, second)}
    assert uids[first] != uids[second], uids  # each fork runs as a host uid of its own
    groups = kernel_processes(kernel_host.process.pid)
    assert groups[first] != groups[second], groups
    # Each in a group of its own, not in its parent's (named kernels-...), which holds the parent alone.
    assert not any(groups[pid].name.startswith("kernels-") for pid in (first, second)), groups


def assert_forked(runner, *sessions) -> None:
    for session in sessions:
        assert probe(runner, session, "result = open('/proc/self/comm').read().strip()") == "ipykernel"


def test_each_kernel_has_its_own_loopback(runner, session, neighbour):
    assert_forked(runner, session, neighbour)
    port = probe(
        runner,
        session,
        """
        import socket, threading
        server = socket.socket()
        server.bind(('127.0.0.1', 0))
        server.listen()
        threading.Thread(target=lambda: server.accept()[0].sendall(b'own'), daemon=True).start()
        client = socket.create_connection(server.getsockname())
        result = [server.getsockname()[1], client.recv(3).decode()]
        """,
    )
    assert port[1] == "own"  # the loopback is up: a kernel may serve itself
    reached = probe(
        runner,
        neighbour,
        f"""
        import socket
        try:
            socket.create_connection(('127.0.0.1', {port[0]}), timeout=2)
            result = 'connected'
        except OSError as error:
            result = type(error).__name__
        """,
    )
    assert reached == "ConnectionRefusedError"  # its own, empty loopback


def test_a_memory_limit_ends_only_the_kernel_that_passed_it(runner, session, neighbour):
    assert_forked(runner, session, neighbour)
    assert run(runner, neighbour, "kept = 41 + 1").status == "ok"
    reply = run(runner, session, "blocks = []\nwhile True:\n    blocks.append(bytearray(16 << 20))")
    assert reply.status == "died" and "memory" in reply.message, (reply.status, reply.message)
    assert text_of(run(runner, neighbour, "kept")) == "42"
    assert text_of(run(runner, session, "'back'")) == "'back'"


def test_a_fork_is_the_kernel_a_student_expects(runner, session, neighbour):
    """What a kernel started on its own had: its working directory on sys.path, a user name, no bytecode
    written, and random numbers of its own (numpy's generator is seeded in the parent, once)."""
    code = """
        import grp, os, pwd, sys, numpy
        with open('own_module.py', 'w') as stream:
            stream.write('ANSWER = 42')
        import own_module
        result = {'answer': own_module.ANSWER, 'user': pwd.getpwuid(os.getuid()).pw_name,
                  'group': grp.getgrgid(os.getgid()).gr_name,
                  'cache': os.path.exists('__pycache__'), 'draw': numpy.random.random(), 'argv': sys.argv[0]}
        """
    first, second = probe(runner, session, code), probe(runner, neighbour, code)
    assert first["answer"] == 42 and first["user"] == first["group"] == "student" and not first["cache"], first
    assert first["argv"] == "ipykernel_launcher", first
    assert first["draw"] != second["draw"], (first, second)


def test_a_kernel_stops_and_reaps_what_it_started(runner, session):
    shown = probe(
        runner,
        session,
        """
        import os, signal, subprocess, time
        sleeper = subprocess.Popen(['sleep', '30'])
        sleeper.kill()  # the job filter of a grade refuses this; a live kernel needs it
        killed = sleeper.wait(timeout=5)
        try:
            subprocess.run(['sleep', '30'], timeout=0.2)
            stopped = False
        except subprocess.TimeoutExpired:
            stopped = True
        for _ in range(20):  # orphans: each shell exits at once and leaves its sleep to pid 1
            subprocess.run(['sh', '-c', 'sleep 0.05 &'])
        time.sleep(0.5)
        states = []
        for entry in os.listdir('/proc'):
            if entry.isdigit():
                with open(f'/proc/{entry}/stat') as stat:
                    states.append(stat.read().rsplit(')', 1)[1].split()[0])
        result = {'killed': killed, 'stopped': stopped, 'zombies': states.count('Z'), 'pid': os.getpid(),
                  'init': open('/proc/1/comm').read().strip()}
        """,
    )
    assert shown["killed"] == -9 and shown["stopped"], shown
    assert shown["zombies"] == 0, shown  # the job's init reaped the orphans
    assert shown["pid"] == 2 and shown["init"] != "ipykernel", shown


def test_kernels_start_on_their_own_where_forks_are_off(tmp_path):
    host = RunningHost(tmp_path, PANLEARN_RUNNER_FORK_KERNELS="0")
    try:
        with host.client() as client:
            metrics = client.metrics()
            assert "kernels_forked" not in metrics, metrics
            user = _user("unforked")
            info = client.create_session(user=user, context="unforked")
            reply = client.execute(info["session_id"], user=user, code="open('/proc/self/comm').read().strip()")
            assert reply.status == "ok" and text_of(reply) != "'ipykernel'", text_of(reply)
    finally:
        host.stop()


NEEDS_CGROUPS = pytest.mark.skipif(cgroup_version() is None, reason="forked kernels need cgroups")


def parents_with(change_spec):
    """KernelParents in this process, each parent's sandbox changed by `change_spec`; a factory of kernels; and
    the cleanup to await."""
    name = f"panlearn-test-forks-{os.getpid()}"
    limits = Limits(memory_mib=256, pids=48, tmp_mib=16)
    version = cgroup_version()
    parents = KernelParents(limits=limits, preload=(), secure=True, cgroup_parent=name, cgroup_version=version,
                            mpl_cache=None, max_kernels=4)  # fmt: skip
    real_new_parent = parents._new_parent

    def changed_parent(datasets):
        parent = real_new_parent(datasets)
        parent.spec = change_spec(parent.spec)
        return parent

    parents._new_parent = changed_parent
    spec = SandboxSpec(argv=[sys.executable, *KERNEL_ARGV], limits=limits)

    def kernel() -> ForkedKernel:
        cgroup = KernelCgroup(name=os.urandom(8).hex(), parent=name, memory_bytes=256 << 20, pids_max=48,
                              version=version)  # fmt: skip
        return ForkedKernel(parents=parents, datasets=(), spec=spec, cgroup=cgroup, secure=True)

    async def cleanup(*kernels):
        for started in kernels:
            await started.shutdown(now=True)
        await parents.close()
        remove_parent_groups(name, version)

    return parents, kernel, cleanup


async def forty_two(kernel) -> str:
    result = await kernel.execute(
        "6 * 7", timeout=10, grace=2, budget=OutputBudget(max_text_bytes=4096, max_image_bytes=0)
    )
    return result.outputs[-1]["data"]["text/plain"] if result.status == "ok" else result.status


@NEEDS_CGROUPS
def test_a_parent_that_cannot_start_leaves_kernels_starting_on_their_own():
    """The parent's sandbox fails (here: its Python is a program that exits): the kernel starts in a sandbox of
    its own, the host says so in its metrics, and later kernels do not wait for a parent again."""
    parents, kernel, cleanup = parents_with(lambda spec: dataclasses.replace(spec, argv=["/bin/false"]))

    async def scenario():
        first = await kernel().start(timeout=60)
        second = await kernel().start(timeout=60)
        try:
            return await forty_two(first), first.fork, second.fork, parents.describe()
        finally:
            await cleanup(first, second)

    answer, first_fork, second_fork, described = asyncio.run(scenario())
    assert answer == "42"
    assert first_fork is None and second_fork is None  # both started on their own
    assert described["kernel_forks_broken"] == 1 and described["kernels_forked"] == 0, described
    assert described["kernel_parent_failures"] == 1, described  # the second kernel did not try again


@NEEDS_CGROUPS
def test_forks_that_cannot_start_say_why_and_then_kernels_start_on_their_own():
    """A parent that starts, but whose forks fail before their kernel is up (here: it lacks CAP_NET_ADMIN for
    the fork's loopback). Each fork's reason reaches the host; after three in a row, kernels start on their own."""
    parents, kernel, cleanup = parents_with(lambda spec: dataclasses.replace(spec, job_loopback=False))

    async def scenario():
        failures = []
        for _ in range(3):
            try:
                await kernel().start(timeout=30)
            except KernelDied as error:
                failures.append(str(error))
        broken = parents.broken
        alone = await kernel().start(timeout=60)
        try:
            return failures, broken, alone.fork, await forty_two(alone), parents.describe()
        finally:
            await cleanup(alone)

    failures, broken, alone_fork, answer, described = asyncio.run(scenario())
    assert len(failures) == 3, failures
    assert "Operation not permitted" in broken, broken  # the fork's own words, not a guess
    assert alone_fork is None and answer == "42"
    assert described["kernel_forks_broken"] == 1 and described["kernels_forked"] == 3, described


def test_a_fork_that_ended_is_told_by_its_pidfd_even_past_fd_1024():
    """Fork.alive polls the pidfd: select() refuses fds past 1024, which a host with many kernels has."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard <= 1500:
        pytest.skip("this process may not open fd 1500")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 1501), hard))
    child = os.fork()
    if child == 0:
        os.read(os.open("/dev/zero", os.O_RDONLY), 0)
        time.sleep(30)
        os._exit(0)
    fork = Fork.__new__(Fork)
    fork.pidfd = os.dup2(os.pidfd_open(child), 1500)
    try:
        assert fork.alive
        os.kill(child, 9)
        os.waitpid(child, 0)
        assert not fork.alive
    finally:
        os.close(fork.pidfd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


@pytest.mark.parametrize(
    "report",
    [b"[" * 3000, b'"not an object"', b"\xff\xfe not json", b'{"error": "Out of pids"}'],
    ids=["nested-deep", "not-an-object", "not-json", "a-report"],
)
def test_what_a_failed_fork_reports_is_read_with_care(report):
    """The fork runs the student's side of the sandbox: what it sends the host before its kernel is up may be
    anything. A report that is not one is no reason, not an error that skips the clean-up of the fork."""
    import socket

    from runner.grading_parents import FRAME

    fork = Fork.__new__(Fork)
    fork.report, theirs = socket.socketpair()
    try:
        theirs.sendall(FRAME.pack(len(report)) + report)
        assert fork.why_it_failed() == ("Out of pids" if report.startswith(b"{") else "")
    finally:
        fork.report.close()
        theirs.close()


def test_a_parent_that_dies_takes_its_kernels_and_the_students_get_new_ones(tmp_path):
    host = RunningHost(tmp_path)
    try:
        with host.client() as client:
            user = _user("orphaned")
            session = (client.create_session(user=user, context="orphaned")["session_id"], user)
            assert run(client, session, "kept = 1").status == "ok"
            parents = [
                pid
                for pid in descendants(host.process.pid)
                if b"panlearn_grader.py\0kernel" in Path(f"/proc/{pid}/cmdline").read_bytes()
                and Path(f"/proc/{pid}/comm").read_text().strip() != "ipykernel"
                and Path(f"/proc/{pid}/status").read_text().split("NSpid:")[1].split("\n")[0].split()[-1] == "2"
            ]  # the parent: pid 2 of its sandbox (bwrap's init is 1); the keepers and inits are deeper
            assert len(parents) == 1, parents
            kernels = kernel_processes(host.process.pid)
            os.kill(parents[0], 9)
            deadline = time.monotonic() + 10  # its sandbox ends with it, and every kernel forked from it
            while any(os.path.exists(f"/proc/{pid}") for pid in kernels) and time.monotonic() < deadline:
                time.sleep(0.05)
            reply = run(client, session, "kept")  # found dead before it ran: replaced, as any kernel that died
            assert reply.outputs[-1]["ename"] == "NameError" and reply.session["restarts"] == 1, reply
            assert text_of(run(client, session, "6 * 7")) == "42"  # on a fork of a new parent
            metrics = client.metrics()
            assert metrics["kernel_parents"] == 1 and metrics["kernel_forks_broken"] == 0, metrics
    finally:
        host.stop()


@NEEDS_CGROUPS
def test_a_grading_pair_just_started_is_not_evicted_under_its_caller(tmp_path):
    """max_pairs reached and every other pair in use: the new pair stays (for a while above the bound), where
    it used to be closed at once and its caller got a KeyError."""
    name = f"panlearn-test-pairs-{os.getpid()}"
    version = cgroup_version()
    for dataset in ("a", "b"):
        (tmp_path / dataset).mkdir()
    directories = [reachable_by_sandboxes(tmp_path / dataset) for dataset in ("a", "b")]
    grader = Grader(limits=Limits(memory_mib=256, pids=48, tmp_mib=16), preload=(), slots=2, interrupt_grace=2,
                    secure=True, cgroup_parent=name, cgroup_version=version, mpl_cache=None, max_pairs=1)  # fmt: skip

    async def scenario():
        try:
            busy = await grader.pair_for((("a", str(directories[0])),))
            busy.in_use += 1
            new = await grader.pair_for((("b", str(directories[1])),))
            return busy.alive, new.alive, len(grader.pairs)
        finally:
            await grader.close()
            remove_parent_groups(name, version)

    assert asyncio.run(scenario()) == (True, True, 2)
