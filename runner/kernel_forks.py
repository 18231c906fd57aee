"""Live kernels forked from a sandboxed parent that imported ipykernel and the scientific stack once.

A kernel started on its own (bwrap, Python, ipykernel, numpy) costs ~0.25 CPU-s; a fork of a parent that
has all of it imported costs ~0.06 (bench/zygote_bench.py). After a kernel host dies, its students need
fresh kernels all at once, and those starts decided the load test's p95 (docs/performance.md).

The parent is a grading parent of role "kernel" (kernel_lib/panlearn_grader.py), one per set of datasets,
in a bubblewrap sandbox like a kernel's own. Each fork is isolated as a grading job is
(kernel_lib/panlearn_jobns.py): pid 1 of its own pid namespace with its own mount, IPC, network and UTS
namespaces, private /tmp, /dev/shm, home and /run/kernel, a read-only /proc of its own, no capabilities, a
signal and namespace filter of its own, not dumpable, and a host uid of its own where the host can map a
block of ids. On top of what a grading job has, it is placed before it runs: the fork reports its pid with
its credentials (Linux translates them into the host's pid namespace) and waits while the host moves it
into the kernel's own memory and pids cgroup and sets its priority. Only then does it get its connection,
over a socket of its own that never passes through the parent, and start its ipykernel.

Ending a parent's sandbox ends every kernel forked from it (they live in its pid namespace), so a parent
is closed only when none of its kernels lives: a parent that stops answering is retired, not killed.
"""

import array
import asyncio
import contextlib
import dataclasses
import json
import logging
import os
import select
import signal
import socket
import struct
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable

from .cgroups import KernelCgroup
from .exceptions import KernelDied
from .grading_parents import FORK_TIMEOUT, FRAME, GRADER, GraderParent
from .job_ids import IdBlocks, JobIdRange
from .kernel import SandboxedKernel
from .launch import wait_for_sockets
from .pool import DatasetKey
from .priority import lower_sessions, session_priority_usable
from .sandbox import GROUP, HOME, PASSWD, Limits, SandboxSpec

logger = logging.getLogger(__name__)
CREDENTIALS = struct.Struct("3i")  # struct ucred: pid, uid, gid
MAX_STARTED_BYTES = 4096
# Parents kept with no kernel of theirs alive (each holds the imported stack, ~100 MiB).
IDLE_PARENTS = 2
# After a parent failed to start, kernels start on their own this long before a parent is tried again.
PARENT_RETRY_SECONDS = 60.0
PARENT_CPU_SECONDS = 2**31 - 1
FAILED_FORKS_IN_A_ROW = 3


class ParentUnavailable(RuntimeError):
    """No forking parent could be started: the kernel is to start on its own."""


class Fork:
    """One forked kernel's processes as the host sees them: the keeper (session leader, whose mount
    namespace holds the kernel's sockets) and a pidfd that tells when it has ended."""

    def __init__(self, parent: GraderParent, host_pid: int):
        self.parent, self.host_pid = parent, host_pid
        self.pidfd: int | None = os.pidfd_open(host_pid)
        self.report: socket.socket | None = None  # the host's end of the fork's socket, until it is a kernel

    def why_it_failed(self) -> str:
        """What a fork that ended before its kernel was up said about it ("" if nothing)."""
        if self.report is None:
            return ""
        try:
            self.report.setblocking(False)
            report = _whole_frame(self.report.recv(MAX_STARTED_BYTES))
        except (OSError, ValueError):  # nothing, or not a report: the fork failed all the same
            return ""
        return str(report.get("error", ""))[:500] if report else ""

    def up(self) -> None:
        """The kernel's sockets are up: nothing more comes on the fork's own socket."""
        if self.report is not None:
            self.report.close()
            self.report = None

    @property
    def alive(self) -> bool:
        if self.pidfd is None:
            return False
        poller = select.poll()  # not select(): a host with many kernels has fds past 1024
        poller.register(self.pidfd, select.POLLIN)
        return not poller.poll(0)  # a pidfd turns readable when its process ends

    def close(self) -> None:
        self.up()
        self._kill()

    def _kill(self) -> None:
        """The keeper goes (the kernel with it; the host has killed its cgroup already) and the parent reaps it
        within a second. Through the pidfd, which names this process alone: a kill by pid could reach a later
        fork that got the pid of a keeper already reaped."""
        if self.pidfd is not None:
            with contextlib.suppress(ProcessLookupError):
                signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
            os.close(self.pidfd)
            self.pidfd = None


def _hung_up(sock: socket.socket) -> bool:
    """The fork closed its end: it is gone (it waits, silent, for its job until then)."""
    poller = select.poll()
    poller.register(sock, select.POLLRDHUP | select.POLLHUP)
    return bool(poller.poll(0))


def _set_once(future: asyncio.Future) -> None:
    if not future.done():
        future.set_result(None)


def _whole_frame(data: bytes) -> dict | None:
    """The first frame in `data` (the grader's framing: a length, then JSON), or None until it is whole."""
    if len(data) < FRAME.size:
        return None
    (size,) = FRAME.unpack(data[: FRAME.size])
    if len(data) < FRAME.size + size:
        return None
    try:
        decoded = json.loads(data[FRAME.size : FRAME.size + size])
    except RecursionError as error:  # nested deep on purpose: the fork's code is the student's
        raise ValueError("a frame nested too deep") from error
    if not isinstance(decoded, dict):
        raise ValueError("a frame that is not an object")
    return decoded


async def _receive_started(sock: socket.socket) -> int:
    """The fork's pid on the host, from the credentials sent with its first frame, read on the event loop
    (the caller bounds the wait)."""
    loop = asyncio.get_running_loop()
    sock.setblocking(False)
    data, host_pid = b"", None
    while _whole_frame(data) is None:
        readable = loop.create_future()
        loop.add_reader(sock.fileno(), _set_once, readable)
        try:
            await readable
        finally:
            loop.remove_reader(sock.fileno())
        try:
            chunk, ancillary, _, _ = sock.recvmsg(MAX_STARTED_BYTES, socket.CMSG_SPACE(CREDENTIALS.size))
        except BlockingIOError:
            continue
        if not chunk:
            raise ConnectionError("the fork ended before it started")
        for level, kind, payload in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS and host_pid is None:
                host_pid = CREDENTIALS.unpack(payload[: CREDENTIALS.size])[0]
        data += chunk
        if len(data) > MAX_STARTED_BYTES:
            raise ConnectionError("the fork's first message is too long")
    if host_pid is None or host_pid <= 0:
        raise ConnectionError("the fork sent no credentials")
    return host_pid


def passwd_with_job_uids(count: int) -> dict[str, bytes]:
    """The sandbox's passwd and group files, with the student again at each job uid and gid 1..count."""
    users = [f"student:x:{uid}:{uid}:student:{HOME}:/usr/sbin/nologin" for uid in range(1, count + 1)]
    groups = [f"student:x:{gid}:" for gid in range(1, count + 1)]
    return {
        "/etc/passwd": (PASSWD + "\n".join(users) + "\n").encode(),
        "/etc/group": (GROUP + "\n".join(groups) + "\n").encode(),
    }


class KernelParents:
    """One forking parent per set of datasets, started on first use."""

    def __init__(
        self,
        *,
        limits: Limits,
        preload: tuple[str, ...],
        secure: bool,
        cgroup_parent: str,
        cgroup_version: int,
        mpl_cache: str | None,
        max_kernels: int,
        job_ids: JobIdRange | None = None,
    ):
        self.limits, self.preload, self.secure = limits, preload, secure
        self.cgroup_parent, self.cgroup_version, self.mpl_cache = cgroup_parent, cgroup_version, mpl_cache
        # A uid for every kernel a host may hold, and as many again for kernels whose pid namespace is
        # still going away (the parent reuses a uid only once no process has it).
        self.id_blocks = IdBlocks(job_ids, 2 * max_kernels + 2) if job_ids is not None else None
        self.parents: dict[DatasetKey, GraderParent] = {}
        self.live: dict[GraderParent, int] = {}  # kernels of each parent, retired parents included
        self._starting: dict[DatasetKey, asyncio.Task] = {}
        self._wanted: Counter[DatasetKey] = Counter()  # callers waiting for each key's parent
        self.forks = 0
        self.broken = ""  # why the last parent could not start
        self.failed_starts = 0
        self.failed_forks = 0  # in a row
        self._retry_at = 0.0

    @property
    def unavailable(self) -> bool:
        """No parent could start lately: kernels start each in a sandbox of its own until the retry."""
        return time.monotonic() < self._retry_at

    async def _start_parent(self, datasets: DatasetKey) -> GraderParent:
        parent = None
        try:
            parent = self._new_parent(datasets)
            await parent.start()
        except BaseException as error:  # a sandbox that fails, no uid block left (SandboxUnavailable), ...
            if parent is not None:  # its uid block, cgroup and sandbox back, whatever failed
                await asyncio.shield(parent.close())
            if not isinstance(error, Exception):
                raise
            self.failed_starts += 1
            self._pause_forks(f"{type(error).__name__}: {error}")
            raise ParentUnavailable(self.broken) from error
        self.broken = ""
        # Here, not in the callers: a caller that came after the task ended, before the first one resumed,
        # found neither the task nor the parent and started a second one.
        stored = self.parents.get(datasets)
        if stored is not None and stored.alive:  # started meanwhile by a caller that closed a dead one
            await parent.close()
            return stored
        self.parents[datasets] = parent
        self.live.setdefault(parent, 0)
        return parent

    def _new_parent(self, datasets: DatasetKey) -> GraderParent:
        cgroup = KernelCgroup(
            name=f"kernels-{uuid.uuid4().hex[:12]}",
            parent=self.cgroup_parent,
            memory_bytes=self.limits.memory_mib << 20,  # the parent alone: each fork moves to its own group
            pids_max=64,
            version=self.cgroup_version,
        )
        block = self.id_blocks.take() if self.id_blocks is not None else None
        spec = SandboxSpec(
            argv=[sys.executable, "-I", GRADER, "kernel", str(block.size if block else 0), ",".join(self.preload)],
            # RLIMIT_CPU counts a process's whole life: a kernel's would end the parent, and every kernel with
            # it, after an hour of forks. Each fork sets the kernel's own limit (kernel_main).
            limits=dataclasses.replace(self.limits, cpu_seconds=PARENT_CPU_SECONDS),
            datasets=dict(datasets),
            mpl_cache=self.mpl_cache,
            job_namespaces=True,
            job_ids=block,
            job_loopback=True,
        )
        parent = GraderParent(role="kernel", spec=spec, cgroup=cgroup, secure=self.secure, id_blocks=self.id_blocks)
        if block is not None:  # each job's uid is the student too (getpass, pwd, git and whoami ask)
            parent.files = passwd_with_job_uids(block.size)
        return parent

    async def parent_for(self, datasets: DatasetKey, timeout: float = FORK_TIMEOUT) -> GraderParent:
        """The live parent of these datasets, started if need be. Raises ParentUnavailable if none started
        within `timeout` (the start goes on for later kernels)."""
        self._wanted[datasets] += 1  # its parent is not closed as idle before the caller counts its fork
        try:
            while True:
                parent = self.parents.get(datasets)
                if parent is not None and parent.alive:
                    return parent
                if parent is not None:  # died (its kernels with it) or stopped answering
                    self.parents.pop(datasets, None)
                    await self._retire(parent)
                    continue  # another caller may have started one meanwhile
                task = self._starting.get(datasets)
                if task is None:
                    task = asyncio.ensure_future(self._start_parent(datasets))
                    self._starting[datasets] = task
                    task.add_done_callback(lambda _: self._starting.pop(datasets, None))
                try:
                    parent = await asyncio.wait_for(asyncio.shield(task), timeout)
                except TimeoutError as error:
                    raise ParentUnavailable("the kernels' parent is still starting") from error
                await self._close_idle_parents()
                return parent
        finally:
            self._wanted[datasets] -= 1

    async def _retire(self, parent: GraderParent) -> None:
        """A parent that died or stopped answering: closed now if no kernel of it lives, else when the last goes."""
        if self.live.get(parent, 0) == 0:
            self.live.pop(parent, None)
            await parent.close()

    async def _close_idle_parents(self) -> None:
        idle = [
            key
            for key, parent in self.parents.items()
            if self.live.get(parent, 0) == 0 and key != () and not self._wanted[key]
        ]
        for key in idle[: max(0, len(idle) - IDLE_PARENTS)]:
            parent = self.parents.pop(key)
            self.live.pop(parent, None)
            await parent.close()

    async def fork(self, datasets: DatasetKey, job: dict, *, place: Callable[[int], None], timeout: float) -> Fork:
        """A placed fork that has been sent `job`. `place(host_pid)` runs before the fork may go on.
        Raises KernelDied if the parent cannot fork."""
        parent = await self.parent_for(datasets, timeout)
        if parent.control is None or not parent.alive:
            raise ParentUnavailable("the kernels' parent is gone")
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        fork = None
        self.live[parent] = self.live.get(parent, 0) + 1  # from the request on: not closed as idle meanwhile
        try:
            ours.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
            fds = array.array("i", [theirs.fileno()])
            try:
                parent.control.sendmsg([b"F\0\0\0\0"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, fds)])
            finally:
                theirs.close()
            try:
                async with asyncio.timeout(min(timeout, FORK_TIMEOUT)):
                    host_pid = await _receive_started(ours)
                fork = Fork(parent, host_pid)
            except (OSError, ValueError) as error:  # timeouts included: the parent is stopped or hung
                parent.unresponsive = isinstance(error, TimeoutError)
                raise ParentUnavailable("the kernels' parent did not fork") from error
            if _hung_up(ours):  # it died after it spoke: its pid, which the pidfd named, may be another's now
                raise KernelDied("The Python session stopped while it started.")
            place(host_pid)
            payload = json.dumps(job, separators=(",", ":")).encode()
            ours.setblocking(True)
            ours.settimeout(5.0)
            ours.sendall(FRAME.pack(len(payload)) + payload)
            fork.report, ours = ours, None
        except BaseException:
            if fork is not None:
                await self.ended(fork)
            else:
                await self._one_fewer(parent)
            raise
        finally:
            if ours is not None:
                ours.close()
        self.forks += 1
        return fork

    def fork_failed(self, reason: str) -> None:
        """A fork ended before its kernel was up. After a few in a row with none that came up, forks are
        broken here (a parent that starts, and whose forks cannot make their namespaces): kernels start on
        their own for a while, and the log says why."""
        self.failed_forks += 1
        if self.failed_forks >= FAILED_FORKS_IN_A_ROW:
            self.failed_forks = 0
            self._pause_forks(f"forks end before their kernel is up: {reason or 'no reason given'}")

    def _pause_forks(self, why: str) -> None:
        """Kernels start on their own (bwrap each), as they did before forks, until the retry: slower, not
        broken. The log and the runner page say why."""
        self.broken = why[:500]
        self._retry_at = time.monotonic() + PARENT_RETRY_SECONDS
        logger.error("kernels cannot be forked for now (retried in %d s), each starts on its own: %s",
                     PARENT_RETRY_SECONDS, self.broken)  # fmt: skip

    def fork_came_up(self) -> None:
        self.failed_forks = 0

    async def ended(self, fork: Fork) -> None:
        """The kernel is gone (or is to go): its keeper is reaped, and its parent closed if it was retired."""
        fork.close()
        await self._one_fewer(fork.parent)

    async def _one_fewer(self, parent: GraderParent) -> None:
        """One kernel of `parent` fewer; a parent replaced meanwhile (it stopped answering) is closed once unused."""
        self.live[parent] = max(0, self.live.get(parent, 1) - 1)  # (close() may have emptied it)
        if not any(held is parent for held in self.parents.values()):
            await self._retire(parent)

    def describe(self) -> dict:
        return {
            "kernel_parents": sum(1 for parent in self.live if parent.alive),
            "kernels_forked": self.forks,
            "kernel_forks_broken": int(self.unavailable),
            "kernel_parent_failures": self.failed_starts,
        }

    async def close(self) -> None:
        parents = list(self.live) + [parent for parent in self.parents.values() if parent not in self.live]
        self.parents, self.live = {}, {}
        for task in list(self._starting.values()):
            task.cancel()
        with contextlib.suppress(Exception):
            await asyncio.gather(*(parent.close() for parent in parents), return_exceptions=True)


class ForkedKernel(SandboxedKernel):
    """A kernel forked from its datasets' parent, with its own cgroup; everything after the sockets (the
    relay, the client, running cells) is SandboxedKernel's. Starts on its own where no parent can start."""

    def __init__(self, *, parents: KernelParents, datasets: DatasetKey, spec: SandboxSpec,
                 cgroup: KernelCgroup, secure: bool):  # fmt: skip
        super().__init__(spec=spec, cgroup=cgroup, secure=secure)
        self.parents, self.datasets = parents, datasets
        self.fork: Fork | None = None
        self.own_processes = 3  # the keeper, the job's init and the kernel

    @property
    def alive(self) -> bool:
        if self.fork is None:
            return super().alive
        return self.fork.alive

    @property
    def launched(self) -> bool:
        return self.fork is not None or super().launched

    async def _launch(self, connection: dict, timeout: float) -> None:
        if not self.parents.unavailable:
            job = {"connection": {**connection, "kernel_name": "python3"}, "cpu_seconds": self.spec.limits.cpu_seconds}
            try:
                self.fork = await self.parents.fork(self.datasets, job, place=self._place, timeout=timeout)
            except ParentUnavailable:
                pass
            except BaseException:
                await asyncio.to_thread(self.cgroup.remove)
                raise
        if self.fork is None:
            self.own_processes = 3
            return await super()._launch(connection, timeout)
        self.child_pid = self.fork.host_pid
        if not await wait_for_sockets(None, connection, self.child_pid, timeout, alive=lambda: self.alive):
            reason = self.death_reason() if not self.alive else "The Python session did not start in time."
            why = self.fork.why_it_failed()
            if why:
                logger.error("a forked kernel could not start: %s", why)
            self.parents.fork_failed(why)
            await self.shutdown(now=True)
            raise KernelDied(reason)
        self.fork.up()
        self.parents.fork_came_up()

    def _place(self, host_pid: int) -> None:
        """Before the fork runs anything of the kernel: its own cgroup, and the pool's idle priority."""
        self.cgroup.create()
        self.cgroup.add_process(host_pid)
        if self.idle_priority and not self._raise_asked:
            try:
                os.sched_setscheduler(host_pid, os.SCHED_IDLE, os.sched_param(0))
            except OSError:
                self.idle_priority = False  # warms at normal priority, as where idle warming is refused
                return
            if session_priority_usable():
                lower_sessions([host_pid])  # the fork's session is its own (setsid): see priority.py

    async def _end_processes(self) -> None:
        fork, self.fork = self.fork, None  # taken before any wait: a second shutdown finds nothing to end
        if fork is None:
            return await super()._end_processes()
        await asyncio.to_thread(self.cgroup.kill_all)
        await self.parents.ended(fork)
        await asyncio.to_thread(self.cgroup.remove)
