"""Memory and pids cgroups, one per kernel, on cgroup v1 or v2.

The kernel host creates the group and the launched process joins it itself before exec
(`join_current_process` in the child), so bwrap and everything it starts is counted from the
first instruction. Out-of-memory kills and fork-bomb refusals are read back from the
controllers' event counters to tell the student what happened.
"""

import contextlib
import fcntl
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")


def cgroup_version(root: Path = CGROUP_ROOT) -> int | None:
    """2 for the unified hierarchy, 1 for separate memory and pids hierarchies, None if unusable."""
    if (root / "cgroup.controllers").exists():
        return 2
    if (root / "memory" / "memory.limit_in_bytes").exists() and (root / "pids").is_dir():
        return 1
    return None


def _read_key(path: Path, key: str) -> int:
    try:
        for line in path.read_text().splitlines():
            name, _, value = line.partition(" ")
            if name == key:
                return int(value)
    except OSError:
        pass
    return 0


@dataclass
class KernelCgroup:
    name: str
    parent: str
    memory_bytes: int
    pids_max: int
    version: int
    root: Path = CGROUP_ROOT

    @property
    def directories(self) -> list[Path]:
        if self.version == 2:
            return [self.root / self.parent / self.name]
        return [self.root / "memory" / self.parent / self.name, self.root / "pids" / self.parent / self.name]

    def create(self) -> "KernelCgroup":
        if self.version == 2:
            parent = self.root / self.parent
            parent.mkdir(exist_ok=True)
            (parent / "cgroup.subtree_control").write_text("+memory +pids")
            group = parent / self.name
            group.mkdir()
            (group / "memory.max").write_text(str(self.memory_bytes))
            (group / "memory.swap.max").write_text("0")
            (group / "pids.max").write_text(str(self.pids_max))
        else:
            memory, pids = self.directories
            memory.mkdir(parents=True)
            pids.mkdir(parents=True)
            (memory / "memory.limit_in_bytes").write_text(str(self.memory_bytes))
            memsw = memory / "memory.memsw.limit_in_bytes"
            if memsw.exists():
                memsw.write_text(str(self.memory_bytes))
            (pids / "pids.max").write_text(str(self.pids_max))
        return self

    def procs_files(self) -> list[Path]:
        return [directory / "cgroup.procs" for directory in self.directories]

    def join_current_process(self) -> None:
        """Called in the forked child before exec: async-signal-safe enough (plain writes)."""
        for directory in self.directories:
            fd = os.open(directory / "cgroup.procs", os.O_WRONLY)
            try:
                os.write(fd, b"0")
            finally:
                os.close(fd)

    def add_process(self, pid: int) -> None:
        """Moves another process (all its threads) in: a kernel forked from a parent elsewhere. What it
        allocates from then on is counted here; what it forks is born here."""
        for directory in self.directories:
            (directory / "cgroup.procs").write_text(str(pid))

    def process_ids(self) -> list[int]:
        try:
            return [int(pid) for pid in (self.directories[-1] / "cgroup.procs").read_text().split()]
        except OSError:
            return []

    def process_count(self) -> int:
        return len(self.process_ids())

    def oom_kills(self) -> int:
        if self.version == 2:
            return _read_key(self.directories[0] / "memory.events", "oom_kill")
        return _read_key(self.directories[0] / "memory.oom_control", "oom_kill")

    def pids_refused(self) -> int:
        pids_dir = self.directories[-1]
        return _read_key(pids_dir / "pids.events", "max")

    def memory_peak_bytes(self) -> int:
        path = (
            self.directories[0] / "memory.peak"
            if self.version == 2
            else self.directories[0] / "memory.max_usage_in_bytes"
        )
        try:
            return int(path.read_text().strip())
        except (OSError, ValueError):
            return 0

    def kill_all(self) -> None:
        for directory in self.directories:
            if not directory.is_dir():
                continue
            kill_file = directory / "cgroup.kill"
            if kill_file.exists():
                kill_file.write_text("1")
                continue
            for _ in range(3):
                pids = [int(pid) for pid in (directory / "cgroup.procs").read_text().split() if pid]
                if not pids:
                    break
                for pid in pids:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                time.sleep(0.01)

    def remove(self) -> None:
        self.kill_all()
        for directory in self.directories:
            for _ in range(50):
                try:
                    directory.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)  # processes still exiting


def cgroups_usable(parent: str, root: Path = CGROUP_ROOT) -> tuple[bool, str]:
    """Try to create and remove a probe group: the only reliable test of delegation."""
    version = cgroup_version(root)
    if version is None:
        return False, "no cgroup v2 hierarchy and no v1 memory and pids controllers"
    probe = KernelCgroup(
        name=f"probe-{os.getpid()}", parent=parent, memory_bytes=64 << 20, pids_max=8, version=version, root=root
    )
    try:
        probe.create()
    except OSError as error:
        return False, f"cannot create a cgroup under {root}: {error.strerror}"
    probe.remove()
    return True, f"cgroup v{version}"


def remove_parent_groups(parent: str, version: int, root: Path = CGROUP_ROOT) -> None:
    """Remove the host's parent group(s) once their kernels are gone; a busy or shared one stays."""
    for directory in _parent_directories(parent, version, root):
        with contextlib.suppress(OSError):
            directory.rmdir()


def _parent_directories(parent: str, version: int, root: Path) -> list[Path]:
    return [root / parent] if version == 2 else [root / "memory" / parent, root / "pids" / parent]


def claim_parent_group(parent: str, version: int, root: Path = CGROUP_ROOT) -> int | None:
    """Hold the host's parent group for this process's life (an flock on its directory, which every mount
    namespace sees): a second host with the same name would share the group and reap the first's kernels.
    Returns the descriptor to keep open, or None when another live host holds it."""
    directory = _parent_directories(parent, version, root)[0]
    directory.mkdir(parents=True, exist_ok=True)
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def reap_stale_groups(parent: str, version: int, root: Path = CGROUP_ROOT) -> int:
    """Kill what a host that died without cleaning up (SIGKILL, a crash) left in its kernels' groups, and
    remove the groups. bwrap's --die-with-parent misses a sandbox whose host died while it was starting."""
    names = {
        child.name
        for directory in _parent_directories(parent, version, root)
        if directory.is_dir()
        for child in directory.iterdir()
        if child.is_dir()
    }
    for name in names:
        KernelCgroup(name=name, parent=parent, memory_bytes=0, pids_max=0, version=version, root=root).remove()
    return len(names)
