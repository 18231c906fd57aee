"""CPU time by role during the load test: which processes kept the two cores busy.

Each role (the web processes, the RQ workers, the kernel hosts with every kernel and grade sandbox below
them, nginx, PostgreSQL, Redis, locust, the bench) is moved into a cgroup of its own under cgroup v1's
cpuacct controller. A process forked later (a work horse, a sandbox, a backend, a process that respawn.sh
starts again) stays in its parent's group, so the groups count short-lived processes too, which sampling
/proc would miss. The runner uses only the memory and pids controllers on cgroup v1, so it does not move its
kernels out of these groups. Each process goes back to the group it came from at the end, and groups that
a killed bench left are emptied at the next start. Where cpuacct is not writable (cgroup v2 only, or no
root), or shares its hierarchy with the cpu controller (then each group would also be a scheduling group,
and 200 kernels would get the CPU share of two web processes), `usable` is False and the bench reports the
machine's busy time alone.
"""

import contextlib
import os
from pathlib import Path
from typing import NamedTuple

CPUACCT = Path("/sys/fs/cgroup/cpuacct")
PREFIX = "panlearn-load"


class MachineTime(NamedTuple):
    """CPU-seconds since boot, all cores together (/proc/stat)."""

    busy_s: float  # this machine's processes, and the kernel's work for them
    idle_s: float  # iowait included
    steal_s: float  # a virtual CPU that could run while its host ran another tenant: the noise of a shared machine


def machine_time() -> MachineTime:
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    ticks = os.sysconf("SC_CLK_TCK")
    return MachineTime((user + nice + system + irq + softirq) / ticks, (idle + iowait) / ticks, steal / ticks)


def descendants(pid: int) -> list[int]:
    """Every process below `pid`, at this moment."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(parent, []).append(int(entry.name))
    found, frontier = [], [pid]
    while frontier:
        frontier = [child for parent in frontier for child in children.get(parent, [])]
        found += frontier
    return found


def processes_named(name: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() == name:
                    found.append(int(entry.name))
    return found


def cpuacct_alone() -> bool:
    """Whether cpuacct is mounted on its own: moving a process then changes what is counted, not how it is
    scheduled."""
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        fields = line.split()
        if fields[4] == str(CPUACCT) or fields[4] == str(CPUACCT.resolve()):
            return "cpu" not in line.split(" - ", 1)[1].split()[2].split(",")
    return False


def group_of(pid: int) -> Path:
    """The cpuacct group a process is in now."""
    for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
        _number, controllers, path = line.split(":", 2)
        if "cpuacct" in controllers.split(","):
            return CPUACCT / path.lstrip("/")
    return CPUACCT


def _empty(group: Path, into: dict[int, Path], fallback: Path) -> None:
    """Move every process of `group` to where `into` says (else `fallback`), then remove it."""
    for _ in range(3):  # a process may fork while its siblings move
        with contextlib.suppress(OSError):
            for pid in (group / "cgroup.procs").read_text().split():
                with contextlib.suppress(OSError):
                    (into.get(int(pid), fallback) / "cgroup.procs").write_text(pid)
    try:
        group.rmdir()
    except OSError as error:
        print(f"load_cpu: could not remove {group}: {error}", flush=True)


def sweep_stale_groups() -> None:
    """Empty the groups of a bench that was killed before its clean-up (its pid is in the name)."""
    for group in CPUACCT.glob(f"{PREFIX}-*-*"):
        pid = group.name.removeprefix(f"{PREFIX}-").split("-", 1)[0]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            _empty(group, {}, CPUACCT)


class RoleCpu:
    """cpuacct groups, one per role; `usage_s()` reads what each has used, in CPU-seconds."""

    def __init__(self):
        self.groups: dict[str, Path] = {}
        self.came_from: dict[int, Path] = {}  # each process's group before it was moved
        self.role_came_from: dict[str, Path] = {}  # the first of each role's, for processes forked since
        self.usable = (CPUACCT / "cpuacct.usage").exists() and os.access(CPUACCT, os.W_OK) and cpuacct_alone()
        if self.usable:
            sweep_stale_groups()

    def add(self, role: str, pids: list[int]) -> None:
        """Move `pids` (each with the threads it has) into the role's group; a process gone since is skipped."""
        if not self.usable:
            return
        group = self.groups.get(role)
        if group is None:
            group = self.groups[role] = CPUACCT / f"{PREFIX}-{os.getpid()}-{role}"
            group.mkdir(exist_ok=True)
        for pid in pids:
            with contextlib.suppress(OSError):  # exited, or a kernel thread
                came_from = group_of(pid)
                (group / "cgroup.procs").write_text(str(pid))
                self.came_from[pid] = came_from
                self.role_came_from.setdefault(role, came_from)

    def usage_s(self) -> dict[str, float]:
        # A copy: the bench's sampling thread reads while the main thread adds roles (locust, once started).
        return {role: int((group / "cpuacct.usage").read_text()) / 1e9 for role, group in list(self.groups.items())}

    def release(self) -> None:
        """Every process back in the group it came from (PostgreSQL and Redis go on running; one forked since
        goes where the first of its role came from), and the groups removed."""
        for role, group in self.groups.items():
            _empty(group, self.came_from, self.role_came_from.get(role, CPUACCT))
        self.groups.clear()


def role_shares(before: dict[str, float], after: dict[str, float], machine: MachineTime) -> dict:
    """The CPU-seconds of each role over a window (`machine`: the machine's time over it), the rest of the
    machine's busy time (processes in no role), its idle time and the time its host gave other tenants."""
    used = {role: round(after[role] - before.get(role, 0.0), 1) for role in after}
    used["no_role"] = round(max(machine.busy_s - sum(used.values()), 0.0), 1)
    used["idle"] = round(machine.idle_s, 1)
    used["steal"] = round(machine.steal_s, 1)
    return used


def since(before: MachineTime, after: MachineTime) -> MachineTime:
    return MachineTime(*(later - earlier for earlier, later in zip(before, after, strict=True)))
