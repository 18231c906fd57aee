"""Pool refills at idle CPU priority: warming a kernel takes only CPU that nobody else wants.

A kernel's start and preload cost about 0.6 s of CPU. When a host comes back after a fault it
refills its whole pool at once, and on a busy machine that refill competed with the students'
cells and page requests. Kernels warmed for the pool now start under SCHED_IDLE (`chrt --idle`,
inherited by bwrap and everything it starts) and are set back to SCHED_OTHER when someone needs
them: at hand-out, as soon as a student waits for the pool, and when a start has taken long
enough (on a saturated machine an idle task gets almost no CPU, and would miss its deadlines).

Leaving SCHED_IDLE needs CAP_SYS_NICE in the machine's first user namespace: a root host in a
container that has its own user namespace has the capability on paper but is refused. So the host
tries it once on a process of its own before warming anything idle (`idle_warmup_available`); a
host that cannot warms at normal priority, as before.

The policy is per CPU cgroup: where the host has a CPU cgroup of its own (systemd's CPU
accounting on cgroup v2), idle kernels yield to the host's other work, not to other services.

Sessions. Where the processes share the root CPU cgroup (cgroup v1 without a CPU group per service, or
Procfile layouts), Linux's autogroup scheduling (on by default in Debian) shares the CPU between
sessions first, and only then between the threads of a session. Every sandbox is a session of its own
(bwrap --new-session), so a warming kernel's SCHED_IDLE only yielded to itself: it got as much CPU as a
whole web process (seen in the load test, and in two busy loops on one core, one under SCHED_IDLE in a
session of its own: each got half). A warming kernel's sessions therefore also get autogroup nice 19
(/proc/PID/autogroup: a weight of 15 against 1024), set back to 0 with the threads. The host uses this
only where it may change a session's nice without the kernel's rate limit (CAP_SYS_ADMIN): a raise
refused at hand-out would leave a student's kernel starved.
"""

import asyncio
import contextlib
import functools
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterable
from pathlib import Path

CHRT = shutil.which("chrt")
PROC = Path("/proc")
IDLE_SESSION_NICE = 19
# bwrap makes the sandbox's session after its whole set-up (mounts, files, the filter), once it has reported
# the sandbox's pid: how often to look for it.
NEW_SESSION_POLL = 0.01


def idle_prefix() -> list[str]:
    """The command prefix that starts a process, and all it starts, under SCHED_IDLE."""
    assert CHRT is not None
    return [CHRT, "--idle", "0"]


def idle_warmup_available() -> bool:
    """Start a process under SCHED_IDLE and raise it: True only if the raise is allowed here."""
    if CHRT is None or not hasattr(os, "SCHED_IDLE"):
        return False
    try:
        probe = subprocess.Popen([*idle_prefix(), "sleep", "5"], stdin=subprocess.DEVNULL,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    except OSError:
        return False
    try:
        # chrt sets the policy after its exec, a moment after Popen returns: wait for it, or the raise
        # would find nothing to change and prove nothing.
        for _ in range(200):
            with contextlib.suppress(ProcessLookupError):
                if os.sched_getscheduler(probe.pid) == os.SCHED_IDLE:
                    return bool(run_at_normal_priority([probe.pid]))
            time.sleep(0.005)
        return False
    finally:
        probe.kill()
        probe.wait()


def run_at_normal_priority(pids: Iterable[int]) -> int | None:
    """Put every thread of these processes back under SCHED_OTHER, and their sessions back at nice 0: the
    number of threads and sessions changed, or None if this host may not change the threads' policy (no
    CAP_SYS_NICE in the first user namespace).

    Threads, not processes: the policy is per thread, and a warm kernel already runs several
    (ZMQ's, the heartbeat's). A process that ends meanwhile is skipped.
    """
    pids = list(pids)
    # Sessions first, and whatever happens to the threads: a kernel left at nice 19 would starve its student.
    changed = restore_sessions(pids) if session_priority_usable() else 0
    normal = os.sched_param(0)
    for pid in pids:
        try:
            threads = [int(name) for name in os.listdir(PROC / str(pid) / "task")]
        except OSError:
            continue
        for tid in threads:
            with contextlib.suppress(ProcessLookupError):
                if os.sched_getscheduler(tid) == os.SCHED_IDLE:
                    try:
                        os.sched_setscheduler(tid, os.SCHED_OTHER, normal)
                    except PermissionError:
                        return None
                    changed += 1
    return changed


# -- sessions (autogroup scheduling) ----------------------------------------------------------------


def session_of(pid: int | Path) -> tuple[str, int] | None:
    """A process's autogroup and its nice ("/autogroup-42 nice 0"), or None (gone, or no autogroups).
    `pid` may be the path of a /proc/PID directory held open (`lower_new_session`)."""
    try:
        name, _, nice = _autogroup_file(pid).read_text().split()
        return name, int(nice)
    except (OSError, ValueError):
        return None


def set_session_nice(pid: int | Path, nice: int) -> bool:
    try:
        _autogroup_file(pid).write_text(str(nice))
        return True
    except OSError:  # gone; EAGAIN (the rate limit without CAP_SYS_ADMIN); EPERM
        return False


def _autogroup_file(pid: int | Path) -> Path:
    return (pid if isinstance(pid, Path) else PROC / str(pid)) / "autogroup"


@functools.cache
def session_priority_usable() -> bool:
    """Whether this host may lower and restore a session's nice as often as it needs (probed once)."""
    try:
        probe = subprocess.Popen(["sleep", "5"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
    except OSError:
        return False
    try:
        # Without CAP_SYS_ADMIN the second of two changes within 0.1 s is refused: so are these.
        steps = [IDLE_SESSION_NICE, 0, IDLE_SESSION_NICE, 0]
        return session_of(probe.pid) is not None and all(set_session_nice(probe.pid, nice) for nice in steps)
    finally:
        probe.kill()
        probe.wait()


def lower_sessions(pids: Iterable[int]) -> int:
    """Give the sessions of these processes autogroup nice 19: the number of sessions changed."""
    return _set_sessions(pids, IDLE_SESSION_NICE)


def restore_sessions(pids: Iterable[int]) -> int:
    """Set the sessions of these processes that the host lowered (nice 19) back to 0: the number changed. A
    session at another nice is someone else's choice (the probe's process shares the host's session)."""
    return _set_sessions(pids, 0, only_from=IDLE_SESSION_NICE)


def _set_sessions(pids: Iterable[int], nice: int, *, only_from: int | None = None) -> int:
    changed: set[str] = set()  # one write changes a whole session: once each
    for pid in pids:
        session = session_of(pid)
        if session is None or session[0] in changed or session[1] == nice:
            continue
        if (only_from is None or session[1] == only_from) and set_session_nice(pid, nice):
            changed.add(session[0])
    return len(changed)


async def lower_new_session(
    launcher_pid: int, sandbox_pid: int, *, still_idle: Callable[[], bool], timeout: float
) -> bool:
    """Lower the sandbox's own session once bwrap has made it, unless the kernel was raised meanwhile
    (`still_idle`, asked just before the write: nothing can come between). True when it was lowered.

    The sandbox's pid is looked at through a directory opened once: were that process to end while its
    session is awaited, and its pid to go to another process, the reads and the write fail (ESRCH) rather
    than lower a stranger's session."""
    launcher = session_of(launcher_pid)
    try:
        directory = os.open(PROC / str(sandbox_pid), os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return False
    sandbox = Path(f"/proc/self/fd/{directory}")
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and still_idle():
            session = session_of(sandbox)
            if session is None:
                return False  # ended, or no autogroups here
            if launcher is None or session[0] != launcher[0]:
                return session[1] == IDLE_SESSION_NICE or set_session_nice(sandbox, IDLE_SESSION_NICE)
            await asyncio.sleep(NEW_SESSION_POLL)
        return False
    finally:
        os.close(directory)
