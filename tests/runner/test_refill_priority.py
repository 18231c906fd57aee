"""Pool refills warm at idle CPU priority; a kernel someone needs runs at normal priority."""

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from runner.priority import (
    idle_prefix,
    lower_new_session,
    lower_sessions,
    run_at_normal_priority,
    session_of,
    session_priority_usable,
)
from tests.runner.conftest import descendants, run, text_of
from tests.runner.recording_pool import RecordingKernel, recording_pool

SCHED_OTHER, SCHED_IDLE = os.SCHED_OTHER, os.SCHED_IDLE


def kernel_policies(host_pid: int, *, with_session_nice: bool = False) -> list:
    """For each kernel process below the host, the scheduling policies of its threads (and, asked, the nice
    of its session's autogroup)."""
    found = []
    for pid in descendants(host_pid):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            forked = Path(f"/proc/{pid}/comm").read_bytes().strip() == b"ipykernel"  # a fork of a kernel parent
            if not forked and (b"ipykernel_launcher" not in argv or b"bwrap" in os.path.basename(argv[0])):
                continue  # bwrap's own processes name the kernel in their arguments too
            policies = {os.sched_getscheduler(int(tid)) for tid in os.listdir(f"/proc/{pid}/task")}
            session = session_of(pid)
            if with_session_nice and session is None:
                continue  # ended meanwhile (this machine has autogroups: the test asserts it)
            found.append((policies, session[1]) if with_session_nice else policies)
        except (OSError, ProcessLookupError):
            continue  # ended meanwhile
    return found


def wait_for_full_pool(runner, timeout: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        metrics = runner.metrics()
        if metrics["kernels_starting"] == 0 and metrics["pool_idle"] >= metrics["pool_target"]:
            return metrics
        time.sleep(0.1)
    raise AssertionError(f"the pool did not refill: {metrics}")


def test_warm_kernels_wait_at_idle_priority_and_a_handed_out_one_runs_at_normal(kernel_host, runner, session):
    # The session took a warm kernel; every thread of every process in its sandbox is SCHED_OTHER again.
    reply = run(runner, session, (
        "import os\n"
        "sorted({os.sched_getscheduler(int(t)) for p in os.listdir('/proc') if p.isdigit()"
        " for t in os.listdir(f'/proc/{p}/task')})"
    ))  # fmt: skip
    assert reply.status == "ok", text_of(reply)
    assert text_of(reply) == f"[{SCHED_OTHER}]"

    # The kernels warmed in its place wait under SCHED_IDLE; no other kernel does.
    metrics = wait_for_full_pool(runner)
    assert metrics["refill_at_idle_priority"] == 1
    assert metrics["refill_sessions_lowered"] == 1
    policies = kernel_policies(kernel_host.process.pid)
    idle = [threads for threads in policies if threads == {SCHED_IDLE}]
    normal = [threads for threads in policies if threads == {SCHED_OTHER}]
    assert len(idle) == metrics["pool_idle"], policies
    assert len(normal) == len(policies) - len(idle), f"a kernel with threads of both policies: {policies}"
    assert normal, "the session's kernel is below the host too"

    # Each sandbox is a session of its own, which autogroup scheduling weighs like any other: the warming
    # kernels' sessions are at nice 19, the session's kernel's back at 0.
    assert session_priority_usable(), "root here may set a session's nice (the host relies on it)"
    sessions = kernel_policies(kernel_host.process.pid, with_session_nice=True)
    assert sorted(nice for threads, nice in sessions if threads == {SCHED_IDLE}) == [19] * len(idle), sessions
    assert {nice for threads, nice in sessions if threads == {SCHED_OTHER}} == {0}, sessions


def cpu_of_two_busy_loops(*, lower_second: bool) -> tuple[float, float]:
    """Two busy loops on one core for 1.5 s, each in a session of its own (as sandboxes are), the second
    under SCHED_IDLE as a warming kernel is (and with its session lowered, if asked): the CPU-seconds each
    had while both ran."""
    loop = "import time\nend = time.time() + 1.5\nwhile time.time() < end: pass\n"

    def start(*prefix: str) -> subprocess.Popen:
        return subprocess.Popen([*prefix, sys.executable, "-c", loop], start_new_session=True,
                                preexec_fn=lambda: os.sched_setaffinity(0, {0}))  # fmt: skip

    first, second = start(), start(*idle_prefix())
    for _ in range(200):  # chrt sets the policy just after its exec
        if os.sched_getscheduler(second.pid) == SCHED_IDLE:
            break
        time.sleep(0.005)
    if lower_second:
        assert lower_sessions([second.pid]) == 1
    used = [os.wait4(first.pid, 0)[2]]
    second.kill()  # it would go on, alone, once the first ended
    used.append(os.wait4(second.pid, 0)[2])
    first.returncode = second.returncode = 0  # reaped above
    return tuple(usage.ru_utime + usage.ru_stime for usage in used)


def autogroups_share_the_cpu() -> bool:
    """Autogroup scheduling acts only on processes in the root CPU cgroup, and only when it is on."""
    enabled = Path("/proc/sys/kernel/sched_autogroup_enabled")
    own = [line for line in Path("/proc/self/cgroup").read_text().splitlines() if ":cpu," in line or ":cpu:" in line]
    in_root = all(line.endswith(":/") for line in own) if own else Path("/sys/fs/cgroup/cgroup.procs").exists()
    return enabled.exists() and enabled.read_text().strip() == "1" and in_root and 0 in os.sched_getaffinity(0)


@pytest.mark.skipif(not autogroups_share_the_cpu(), reason="autogroup scheduling is not in force here")
def test_idle_priority_yields_to_other_sessions_only_with_the_session_lowered():
    assert session_priority_usable()
    # SCHED_IDLE alone: autogroup scheduling shares the core between the two sessions first. Up to three
    # tries: under the suite's other worker the idle loop was once starved all the same (CI of 07:37), and
    # load from elsewhere can only take CPU from the idle loop, never give it more; a lowered session must
    # yield every time.
    shares = []
    while len(shares) < 3 and not any(idle > 0.3 * normal for normal, idle in shares):
        shares.append(cpu_of_two_busy_loops(lower_second=False))
    assert any(idle > 0.3 * normal for normal, idle in shares), shares  # what the load test ran into: no real yield
    normal, idle = cpu_of_two_busy_loops(lower_second=True)
    assert idle < 0.1 * normal, (normal, idle)


def test_a_kernel_raised_while_its_session_was_awaited_is_not_lowered():
    """A student (or the start's grace) may need a warming kernel before bwrap has made its session: the
    host must not then lower it."""
    launcher = subprocess.Popen(["sleep", "5"], start_new_session=True)
    sandbox = subprocess.Popen(["sleep", "5"], start_new_session=True)
    try:
        raised = asyncio.run(lower_new_session(launcher.pid, sandbox.pid, still_idle=lambda: False, timeout=1))
        assert raised is False and session_of(sandbox.pid)[1] == 0
        lowered = asyncio.run(lower_new_session(launcher.pid, sandbox.pid, still_idle=lambda: True, timeout=1))
        assert lowered is True and session_of(sandbox.pid)[1] == 19
        assert run_at_normal_priority([sandbox.pid]) == 1 and session_of(sandbox.pid)[1] == 0
    finally:
        for process in (launcher, sandbox):
            process.kill()
            process.wait()


def test_a_sandbox_that_ends_while_its_session_is_awaited_lowers_nothing():
    """It ended before bwrap made its session: the wait stops at once, and the session it shared with its
    launcher (here, ours) is left as it was. (Its pid going to another process meanwhile cannot be staged
    here; the host reads through the /proc directory it opened first, which then fails.)"""
    ours = session_of(os.getpid())
    sandbox = subprocess.Popen(["sleep", "5"])  # still in our session, as bwrap's child before its setsid

    async def scenario() -> tuple[bool, float]:
        started = time.monotonic()
        waiting = asyncio.create_task(lower_new_session(os.getpid(), sandbox.pid, still_idle=lambda: True, timeout=5))
        await asyncio.sleep(0.1)
        sandbox.kill()
        await asyncio.to_thread(sandbox.wait)
        return await waiting, time.monotonic() - started

    lowered, waited = asyncio.run(scenario())
    assert lowered is False and session_of(os.getpid()) == ours
    assert waited < 2, f"the wait went on {waited:.1f} s for a sandbox that had ended"


# -- the pool's side, with kernels that only record what they were asked ---------------------------


def test_the_refill_warms_idle_and_the_hand_out_raises():
    async def scenario():
        made: list[RecordingKernel] = []
        pool = recording_pool(made, target_size=1, max_kernels=3, warm_at_idle_priority=True)
        await pool.fill(timeout=5)
        warm = made[0]
        assert warm.started_idle is True
        assert await pool.acquire() is warm
        assert warm.raised[-1] is True
        # With the pool empty and nobody ahead, a student's kernel is a cold start at normal priority.
        pool.target_size = 0
        cold = await pool.acquire()
        assert cold is not warm and cold.started_idle is False
        await pool.close()

    asyncio.run(scenario())


def test_a_student_waiting_for_the_pool_raises_the_kernels_being_warmed():
    async def scenario():
        gate = asyncio.Event()
        made: list[RecordingKernel] = []
        pool = recording_pool(made, gate=gate, target_size=1, max_kernels=1, warm_at_idle_priority=True)
        await asyncio.sleep(0.05)  # the refill is starting the host's only kernel, at idle priority
        assert len(made) == 1 and made[0].started_idle is True and made[0].raised == []
        student = asyncio.create_task(pool.acquire(timeout=5))
        await asyncio.sleep(0.05)  # the host is full: the student queues behind the refill
        assert made[0].raised == [False], "the kernel being warmed was not raised for the waiting student"
        gate.set()
        assert await student is made[0]
        assert made[0].raised[-1] is True
        await pool.close()

    asyncio.run(scenario())


def test_without_the_privilege_the_refill_warms_at_normal_priority():
    async def scenario():
        made: list[RecordingKernel] = []
        pool = recording_pool(made, target_size=1, max_kernels=2, warm_at_idle_priority=False)
        await pool.fill(timeout=5)
        assert made[0].started_idle is False
        await pool.close()

    asyncio.run(scenario())


def test_a_start_that_takes_long_at_idle_priority_is_raised(monkeypatch):
    """On a saturated machine an idle task gets almost no CPU: the start would miss its deadlines."""
    monkeypatch.setattr("runner.pool.IDLE_START_GRACE", 0.05)

    async def scenario():
        gate = asyncio.Event()
        made: list[RecordingKernel] = []
        pool = recording_pool(made, gate=gate, target_size=1, max_kernels=1, warm_at_idle_priority=True)
        await asyncio.sleep(0.2)  # nobody waits, and still the slow start is raised
        assert made[0].started_idle is True and made[0].raised == [False]
        gate.set()
        await pool.close()

    asyncio.run(scenario())


def test_a_host_refused_the_raise_warms_at_normal_priority_from_then_on():
    async def scenario():
        made: list[RecordingKernel] = []
        pool = recording_pool(made, allowed=False, target_size=1, max_kernels=3, warm_at_idle_priority=True)
        await pool.fill(timeout=5)
        assert made[0].started_idle is True
        await pool.acquire()  # the raise is refused
        assert pool.warm_at_idle_priority is False
        await pool.fill(timeout=5)
        assert made[-1].started_idle is False
        await pool.close()

    asyncio.run(scenario())


def test_the_probe_tells_whether_this_host_may_raise():
    from runner.priority import idle_warmup_available

    # Root on this machine, outside any user namespace of its own: allowed. (A refusal is the test above.)
    assert idle_warmup_available() is (os.geteuid() == 0 and os.readlink("/proc/self/ns/user") == "user:[4026531837]")
