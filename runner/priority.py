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
"""

import contextlib
import os
import shutil
import subprocess
import time
from collections.abc import Iterable
from pathlib import Path

CHRT = shutil.which("chrt")
PROC = Path("/proc")


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
    """Put every thread of these processes back under SCHED_OTHER: the number of threads changed, or None
    if this host may not (no CAP_SYS_NICE in the first user namespace).

    Threads, not processes: the policy is per thread, and a warm kernel already runs several
    (ZMQ's, the heartbeat's). A process that ends meanwhile is skipped.
    """
    changed = 0
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
