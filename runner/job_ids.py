"""A host uid and gid of its own for every grading job (security issue 16).

Without this, every process of every grading sandbox ran as the one sandbox host uid, and Linux
counts a good deal per uid: processes (RLIMIT_NPROC), pipe buffers (pipe-user-pages-*), epoll watches.
One grade could use up what a concurrent grade needed. (inotify instances and POSIX message queues are
counted up the user-namespace chain, against the sandboxes' own uid whatever a job's: jobs are refused
those calls, kernel_lib/panlearn_signals.py.)

So each grading parent's user namespace maps, besides its root (inside 0, the sandbox host uid as
before), a block of host ids of its own at inside 1..size. The parent gives each job an inside uid
that no running job holds (kernel_lib/panlearn_grader.py), and the job switches to it
(kernel_lib/panlearn_jobns.py). Blocks are disjoint, so no two jobs of any two parents share a host uid.

Bubblewrap, run by the unprivileged sandbox uid, can map only that uid. With --userns-block-fd it
writes no map at all: it reports its child's pid on --info-fd and waits; the host, still root,
writes the child's uid_map and gid_map itself (or, not being root, has newuidmap and newgidmap write
them from its /etc/subuid and /etc/subgid ranges) and then lets it go on.
"""

import contextlib
import fcntl
import grp
import logging
import os
import pwd
import shutil
import stat
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .exceptions import SandboxUnavailable

logger = logging.getLogger(__name__)
# Above the ranges useradd hands out in /etc/subuid (100000-600100000 by default) and systemd-nspawn's
# container range (524288-1879048191), below 2**31 (some software takes uids as signed).
DEFAULT_JOB_IDS = "1879048192:65536"
NEWUIDMAP, NEWGIDMAP = shutil.which("newuidmap"), shutil.which("newgidmap")


@dataclass(frozen=True)
class JobIdRange:
    """Host uids uid_start.., gids gid_start.., `count` of each, for grading jobs."""

    uid_start: int
    gid_start: int
    count: int
    source: str  # where it comes from, for the check and the errors
    helper: bool = False  # written with newuidmap/newgidmap (a host not running as root)


@dataclass(frozen=True)
class IdBlock:
    """One grading parent's block: its inside ids 1..size are host ids start..start+size-1."""

    uid_start: int
    gid_start: int
    size: int
    helper: bool = False

    def maps(self, root_uid: int, root_gid: int) -> tuple[str, str]:
        uid_map = f"0 {root_uid} 1\n1 {self.uid_start} {self.size}\n"
        return uid_map, f"0 {root_gid} 1\n1 {self.gid_start} {self.size}\n"


def _parse(text: str, source: str) -> tuple[int, int]:
    start, _, count = text.strip().partition(":")
    if not (start.isdigit() and count.isdigit()):
        raise SandboxUnavailable(f"{source}={text!r} is not START:COUNT (e.g. {DEFAULT_JOB_IDS})")
    return int(start), int(count)


def _root_range(sandbox_uid: int) -> JobIdRange:
    source = "PANLEARN_RUNNER_JOB_UIDS"
    text = os.environ.get(source, DEFAULT_JOB_IDS)
    start, count = _parse(text, source)
    _refuse_shared_ids(start, start, count, sandbox_uid, f"{source}={text!r}", own_subordinates=())
    return JobIdRange(start, start, count, source=f"{source}={start}:{count}")


def _refuse_shared_ids(
    uid_start: int, gid_start: int, count: int, sandbox_uid: int | None, what: str, own_subordinates: tuple[str, ...]
) -> None:
    """Ids no one else may hold: a job running as a real user's or group's id could reach its files, signal its
    processes or use its quota, and one in another user's subordinate range could be taken by that user with
    newuidmap, who could then signal the job. `own_subordinates` names the users whose ranges these are."""
    for start in (uid_start, gid_start):
        if start < 1 or count < 1 or start + count > 2**31:
            raise SandboxUnavailable(f"{what}: needs 0 < START, 0 < COUNT and START + COUNT <= 2**31")
    if sandbox_uid is not None and uid_start <= sandbox_uid < uid_start + count:
        raise SandboxUnavailable(f"{what} holds the sandbox host uid {sandbox_uid}")
    users = pwd.getpwall()
    for start, taken in (
        (uid_start, {user.pw_uid for user in users}),
        (gid_start, {user.pw_gid for user in users} | {group.gr_gid for group in grp.getgrall()}),
    ):
        clash = sorted(value for value in taken if start <= value < start + count)
        if clash:
            raise SandboxUnavailable(f"{what} holds ids of existing users or groups: {clash[:5]}")
    for path, start in (("/etc/subuid", uid_start), ("/etc/subgid", gid_start)):
        for owner, first, size in _subordinate_ranges(path):
            if owner not in own_subordinates and first < start + count and start < first + size:
                raise SandboxUnavailable(f"{what} overlaps {owner}'s range {first}:{size} in {path}")


def _subordinate_ranges(path: str) -> list[tuple[str, int, int]]:
    try:
        lines = Path(path).read_text().splitlines()
    except OSError:
        return []
    ranges = []
    for line in lines:
        parts = line.strip().split(":")
        if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
            ranges.append((parts[0], int(parts[1]), int(parts[2])))
    return ranges


def _own_names(uid: int) -> tuple[str, ...]:
    try:
        return (str(uid), pwd.getpwuid(uid).pw_name)
    except KeyError:
        return (str(uid),)


def _subordinate(path: str, uid: int) -> tuple[int, int] | None:
    """The first range of /etc/subuid or /etc/subgid for this user (by name or number)."""
    names = _own_names(uid)
    for owner, first, size in _subordinate_ranges(path):
        if owner in names and size:
            return first, size
    return None


def job_id_range(sandbox_uid: int | None) -> JobIdRange | None:
    """The ids grading jobs run as; None where the host cannot map any (they share the sandbox's uid).
    Raises SandboxUnavailable for a root host's range that is malformed or holds real users' ids."""
    if os.geteuid() == 0:
        if sandbox_uid is None:
            raise SandboxUnavailable("a root host needs its sandbox uid")
        return _root_range(sandbox_uid)
    uids, gids = _subordinate("/etc/subuid", os.getuid()), _subordinate("/etc/subgid", os.getuid())
    if uids is None or gids is None or not (NEWUIDMAP and NEWGIDMAP):
        return None
    count = min(uids[1], gids[1])
    # newuidmap maps whatever the files grant: held to the same rules as a root host's range.
    _refuse_shared_ids(uids[0], gids[0], count, os.getuid(), "the runner user's range in /etc/subuid and /etc/subgid",
                       own_subordinates=_own_names(os.getuid()))  # fmt: skip
    return JobIdRange(uids[0], gids[0], count, source="/etc/subuid and /etc/subgid", helper=True)


def split_for_kernels(id_range: JobIdRange) -> tuple[JobIdRange, JobIdRange]:
    """(grading's half, live kernels' half): their parents take blocks of different sizes, which must not overlap."""
    half = id_range.count // 2
    grading = JobIdRange(id_range.uid_start, id_range.gid_start, half, id_range.source, id_range.helper)
    kernels = JobIdRange(id_range.uid_start + half, id_range.gid_start + half, id_range.count - half,
                         f"{id_range.source} (its second half, for live kernels)", id_range.helper)  # fmt: skip
    return grading, kernels


def no_job_ids_reason() -> str:
    """Why a host not running as root has no ids for its grading jobs."""
    user = os.getuid()
    missing = [path for path in ("/etc/subuid", "/etc/subgid") if _subordinate(path, user) is None]
    tools = [name for name, found in (("newuidmap", NEWUIDMAP), ("newgidmap", NEWGIDMAP)) if not found]
    parts = [f"no range for uid {user} in {' and '.join(missing)}"] if missing else []
    parts += [f"{' and '.join(tools)} not installed (package uidmap)"] if tools else []
    return "; ".join(parts)


def lock_directory() -> Path:
    """Where the blocks' lock files live: one directory per machine and user, so that every kernel host of
    the machine (they read the same range) sees the others' blocks. Owned by this user, mode 0700."""
    if os.geteuid() == 0:
        directory = Path("/run/panlearn-job-uids")
    else:
        directory = Path(os.environ.get("XDG_RUNTIME_DIR") or "/tmp") / f"panlearn-job-uids-{os.geteuid()}"
    with contextlib.suppress(FileExistsError):
        directory.mkdir(mode=0o700)
    found = directory.lstat()
    if not stat.S_ISDIR(found.st_mode) or found.st_uid != os.geteuid() or found.st_mode & 0o077:
        raise SandboxUnavailable(f"{directory} is not a directory of this user's alone (mode 0700)")
    return directory


class IdBlocks:
    """Hands out disjoint blocks of a JobIdRange, one per grading parent; a block comes back only when no
    process runs as any of its uids (the parent's sandbox, jobs included, is gone).

    A block is also held by an flock on its lock file for as long as its parent lives: another kernel host on
    the machine, with the same range and blocks of its own, skips it (two hosts gave their jobs the same
    uids, review of 2026-12-06). The kernel drops the lock when the host dies."""

    def __init__(self, id_range: JobIdRange, block_size: int, directory: Path | None = None):
        self.range, self.size = id_range, block_size
        self.total = id_range.count // block_size
        self._free = list(range(self.total))
        self._lock = threading.Lock()  # released from worker threads
        self._directory = directory
        self._held: dict[int, int] = {}  # block index -> its locked file descriptor

    def _reserve(self, index: int) -> bool:
        """The machine-wide lock of block `index`, if no other host holds it and no process runs its uids."""
        if self._directory is None:
            self._directory = lock_directory()
        start = self.range.uid_start + index * self.size
        path = self._directory / f"{start}-{self.size}.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        if running_uids_in(start, self.size):  # left by a host that died: its sandboxes are still going
            os.close(fd)
            return False
        self._held[index] = fd
        return True

    def take(self) -> IdBlock:
        with self._lock:
            index = next((index for index in self._free if self._reserve(index)), None)
            if index is None:
                raise SandboxUnavailable(
                    f"every block of {self.size} grading uids of {self.range.source} is in use on this machine: "
                    "widen the range"
                )
            self._free.remove(index)
        offset = index * self.size
        return IdBlock(self.range.uid_start + offset, self.range.gid_start + offset, self.size, self.range.helper)

    def give_back(self, block: IdBlock, timeout: float = 10.0) -> None:
        """Blocking; from a thread. A block whose uids still run is never handed out again (logged)."""
        deadline = time.monotonic() + timeout
        while running_uids_in(block.uid_start, block.size):
            if time.monotonic() > deadline:
                logger.warning("grading uids %s+%s still run processes; not reused", block.uid_start, block.size)
                return
            time.sleep(0.05)
        index = (block.uid_start - self.range.uid_start) // self.size
        with self._lock:
            fd = self._held.pop(index, None)
            if fd is not None:
                os.close(fd)  # the flock goes with it: another host may take the block
            self._free.append(index)  # at the end: the most recently released are reused last


def running_uids_in(start: int, size: int) -> set[int]:
    """The host uids in start..start+size-1 that some process on this machine has (real, effective, saved or
    filesystem; zombies included: they are counted against their uid until reaped)."""
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as status:
                line = next(line for line in status if line.startswith("Uid:"))
        except (OSError, StopIteration):
            continue
        found.update(uid for uid in map(int, line.split()[1:]) if start <= uid < start + size)
    return found


def write_id_maps(child_pid: int, block: IdBlock, root_uid: int, root_gid: int) -> None:
    """Maps inside 0 to the sandbox's own uid and gid, and inside 1..size to the block, in the user
    namespace of bwrap's (blocked) child. Raises OSError if it cannot."""
    uid_map, gid_map = block.maps(root_uid, root_gid)
    if block.helper:
        for tool, text in ((NEWUIDMAP, uid_map), (NEWGIDMAP, gid_map)):
            done = subprocess.run([tool, str(child_pid), *text.split()], capture_output=True, timeout=10)
            if done.returncode != 0:
                raise OSError(f"{tool}: {done.stderr.decode(errors='replace').strip()[-300:]}")
        return
    # One write each: the kernel takes a map once, whole. setgroups stays allowed (a privileged writer's
    # gid_map needs no "deny"): each job clears its supplementary groups with it.
    for name, text in (("uid_map", uid_map), ("gid_map", gid_map)):
        fd = os.open(f"/proc/{child_pid}/{name}", os.O_WRONLY)
        try:
            os.write(fd, text.encode())
        finally:
            os.close(fd)
