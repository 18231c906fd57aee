"""Pool refills at idle CPU priority: warming a kernel takes only CPU that nobody else wants.

A kernel's start and preload cost about 0.6 s of CPU. When a host comes back after a fault it
refills its whole pool at once, and on a busy machine that refill competed with the students'
cells and page requests. Kernels warmed for the pool now start under SCHED_IDLE (`chrt --idle`,
inherited by bwrap and everything it starts) and are set back to SCHED_OTHER when someone needs
them: at hand-out, or as soon as a student waits for the pool.

Leaving SCHED_IDLE needs CAP_SYS_NICE (an unprivileged process may not raise its own or another's
priority past RLIMIT_NICE), so a host without it warms at normal priority, as before.
"""

import contextlib
import logging
import os
import shutil
from collections.abc import Iterable
from pathlib import Path

logger = logging.getLogger(__name__)

CHRT = shutil.which("chrt")
CAP_SYS_NICE = 23
PROC = Path("/proc")


def _has_sys_nice(status: Path = PROC / "self" / "status") -> bool:
    try:
        for line in status.read_text().splitlines():
            if line.startswith("CapEff:"):
                return bool(int(line.split()[1], 16) >> CAP_SYS_NICE & 1)
    except (OSError, ValueError):
        pass
    return False


def idle_warmup_available() -> bool:
    """True where kernels can be warmed at idle priority and raised again at hand-out."""
    return CHRT is not None and hasattr(os, "SCHED_IDLE") and _has_sys_nice()


def idle_prefix() -> list[str]:
    """The command prefix that starts a process, and all it starts, under SCHED_IDLE."""
    assert CHRT is not None
    return [CHRT, "--idle", "0"]


def process_tree(root_pid: int) -> list[int]:
    """root_pid and its descendants, from /proc's children lists (for a kernel with no cgroup)."""
    found, pending = [], [root_pid]
    while pending:
        pid = pending.pop()
        found.append(pid)
        with contextlib.suppress(OSError):
            for task in (PROC / str(pid) / "task").iterdir():
                with contextlib.suppress(OSError):
                    pending.extend(int(child) for child in (task / "children").read_text().split())
    return found


def run_at_normal_priority(pids: Iterable[int]) -> int:
    """Put every thread of these processes back under SCHED_OTHER; the number of threads changed.

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
            try:
                if os.sched_getscheduler(tid) == os.SCHED_IDLE:
                    os.sched_setscheduler(tid, os.SCHED_OTHER, normal)
                    changed += 1
            except ProcessLookupError:
                continue
            except PermissionError:
                logger.warning("could not raise the priority of kernel thread %d: no CAP_SYS_NICE", tid)
                return changed
    return changed
