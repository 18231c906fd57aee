"""Grading with tests apart from the student's code: two forking parents per dataset set.

Each grade forks a *student* process (from a sandboxed parent that imported the scientific stack
once) that runs the submission, and then a *tests* process (from a second parent, in a sandbox of
its own) that runs the exercise's tests. The host relays the tests' questions to the student's
process and its answers back, as data (see kernel_lib/panlearn_grader.py). A fork costs a few
milliseconds where a fresh kernel costs ~0.7 s of CPU, and the tests never exist in a process
that runs student code.

Concurrent grades are apart: each job is pid 1 of its own pid namespace, with its own mount, IPC,
network and UTS namespaces, private /tmp, /dev/shm, home and /run/kernel, and a read-only procfs
that lists that namespace alone (kernel_lib/panlearn_jobns.py); the parents are not dumpable. Where
the host can map a range of ids (job_ids.py), each job also runs as a host uid and gid that no
concurrent job has, so what Linux counts per host uid (processes, pipe buffers, epoll watches)
is its own; elsewhere the jobs share the sandbox's host uid.

The protocol of a grade (its tests, the results and their parser) is `grading_protocol.py`; the
in-sandbox side of the parents is kernel_lib/panlearn_grader.py.
"""

import array
import asyncio
import contextlib
import json
import logging
import os
import socket
import struct
import sys
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass

from .cgroups import KernelCgroup
from .exceptions import RunnerUnavailable
from .grading_protocol import GradingResult, GradingTest, TestOutcome, not_run, outcome_of
from .job_ids import IdBlocks, JobIdRange, write_id_maps
from .launch import Spawned, sandbox_init_pid, spawn_sandbox
from .pool import DatasetKey
from .sandbox import KERNEL_LIB, Limits, SandboxSpec, sandbox_host_uid

logger = logging.getLogger(__name__)
FRAME = struct.Struct(">I")
MAX_FRAME = 256 << 20
GRADER = f"{KERNEL_LIB}/panlearn_grader.py"
START_TIMEOUT = 90.0
# A fork answers in milliseconds; a parent silent this long is stopped or hung, and is replaced.
FORK_TIMEOUT = 10.0


class ChildGone(Exception):
    pass


class Child:
    """One forked process and the host's end of its connection."""

    def __init__(self, parent: "GraderParent", reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.parent, self.reader, self.writer = parent, reader, writer
        self.pid = 0

    async def send(self, message: dict) -> None:
        payload = json.dumps(message, separators=(",", ":")).encode()
        try:
            self.writer.write(FRAME.pack(len(payload)) + payload)
            await self.writer.drain()
        except (ConnectionError, RuntimeError) as error:
            raise ChildGone() from error

    async def receive(self) -> dict:
        try:
            (size,) = FRAME.unpack(await self.reader.readexactly(FRAME.size))
            if size > MAX_FRAME:
                raise ChildGone()
            return json.loads(await self.reader.readexactly(size))
        except (asyncio.IncompleteReadError, ConnectionError) as error:
            raise ChildGone() from error

    def interrupt(self) -> None:
        self.parent.command(b"I", self.pid)

    def kill(self) -> None:
        if self.pid:
            self.parent.command(b"K", self.pid)
        self.writer.close()


class GraderParent:
    """A sandboxed Python that imported the stack once and forks a child per connection it is given."""

    def __init__(
        self,
        *,
        role: str,
        spec: SandboxSpec,
        cgroup: KernelCgroup | None,
        secure: bool,
        id_blocks: IdBlocks | None = None,
    ):
        self.role, self.spec, self.cgroup, self.secure = role, spec, cgroup, secure
        self.id_blocks = id_blocks  # where spec.job_ids goes back once the sandbox is gone
        self.spawned: Spawned | None = None
        self.control: socket.socket | None = None
        self.forks = 0
        self.unresponsive = False
        self.files: dict[str, bytes] = {}  # data files of the sandbox besides the standard ones

    @property
    def alive(self) -> bool:
        """Running and answering: a parent that did not fork when asked (stopped, hung) counts as dead,
        so the next grade gets a new one instead of waiting for it again."""
        return self.spawned is not None and self.spawned.process.poll() is None and not self.unresponsive

    def oom_kills(self) -> int:
        return self.cgroup.oom_kills() if self.cgroup is not None else 0

    async def start(self) -> "GraderParent":
        host_end, sandbox_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self.spawned = spawn_sandbox(self.spec, cgroup=self.cgroup, secure=self.secure, files=self.files,
                                         stdin=sandbox_end.fileno())  # fmt: skip
        finally:
            sandbox_end.close()
        host_end.setblocking(False)
        self.control = host_end
        if self.spawned.userns_block is not None:
            try:
                await self._map_ids()
            except (OSError, ValueError, TimeoutError) as error:
                detail = self.spawned.stderr_tail()
                await self.close()
                message = f"The {self.role} grading process got no ids for its jobs: {error} {detail}"
                raise RuntimeError(message) from error
        try:
            ready = await asyncio.wait_for(asyncio.get_running_loop().sock_recv(host_end, 5), START_TIMEOUT)
        except TimeoutError:
            ready = b""
        if ready[:1] != b"R":
            detail = self.spawned.stderr_tail()
            await self.close()
            raise RuntimeError(f"The {self.role} grading process did not start: {detail or 'no message'}")
        return self

    async def _map_ids(self) -> None:
        """bwrap waits, its child in a user namespace with no ids yet: map them, then let it go on."""
        block, spawned = self.spec.job_ids, self.spawned
        try:
            child_pid = await sandbox_init_pid(spawned, START_TIMEOUT)
            root = sandbox_host_uid()
            root_uid, root_gid = (root, root) if root is not None else (os.getuid(), os.getgid())
            await asyncio.to_thread(write_id_maps, child_pid, block, root_uid, root_gid)
            os.write(spawned.userns_block, b"1")
        finally:
            os.close(spawned.userns_block)  # closed unwritten, bwrap goes on unmapped and fails at once
            spawned.userns_block = None

    async def fork(self) -> Child:
        if not self.alive or self.control is None:
            raise ChildGone()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            fds = array.array("i", [theirs.fileno()])
            self.control.sendmsg([b"F\0\0\0\0"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, fds)])
        except OSError as error:
            ours.close()
            raise ChildGone() from error
        finally:
            theirs.close()
        reader, writer = await asyncio.open_unix_connection(sock=ours)
        child = Child(self, reader, writer)
        try:
            started = await asyncio.wait_for(child.receive(), FORK_TIMEOUT)
        except (TimeoutError, ChildGone) as error:
            writer.close()
            self.unresponsive = True
            raise ChildGone() from error
        child.pid = int(started["pid"])
        self.forks += 1
        return child

    def command(self, kind: bytes, pid: int) -> None:
        if self.control is not None and self.alive:
            with contextlib.suppress(OSError):
                self.control.send(kind + struct.pack(">i", pid))

    async def close(self) -> None:
        if self.control is not None:
            self.control.close()
            self.control = None
        if self.spawned is not None:
            process = self.spawned.process
            if process.poll() is None:  # reaped already: its pid, and so its group's id, may be another's now
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, 9)
            await asyncio.to_thread(process.wait)
            os.close(self.spawned.stderr_fd)
            self.spawned = None
        if self.cgroup is not None:
            await asyncio.to_thread(self.cgroup.remove)
        if self.id_blocks is not None and self.spec.job_ids is not None:
            blocks, self.id_blocks = self.id_blocks, None
            await asyncio.to_thread(blocks.give_back, self.spec.job_ids)


@dataclass
class ParentPair:
    student: GraderParent
    tests: GraderParent
    last_used: float = 0.0
    in_use: int = 0

    @property
    def alive(self) -> bool:
        return self.student.alive and self.tests.alive

    async def close(self) -> None:
        await asyncio.gather(self.student.close(), self.tests.close())


class Grader:
    """Grades on forks; `slots` bounds the grades that run at once (the rest wait their turn)."""

    def __init__(
        self,
        *,
        limits: Limits,
        preload: tuple[str, ...],
        slots: int,
        interrupt_grace: float,
        secure: bool,
        cgroup_parent: str | None,
        cgroup_version: int | None,
        mpl_cache: str | None,
        max_pairs: int = 4,
        job_ids: JobIdRange | None = None,
    ):
        self.limits, self.preload, self.slots = limits, preload, slots
        self.interrupt_grace, self.secure = interrupt_grace, secure
        self.cgroup_parent, self.cgroup_version, self.mpl_cache = cgroup_parent, cgroup_version, mpl_cache
        self.max_pairs = max_pairs
        # Each parent's block: its `slots` concurrent jobs, and as many again for jobs that were killed
        # and whose pid namespace is still going away (the parent reuses a uid only once it is gone).
        self.id_blocks = IdBlocks(job_ids, 2 * slots + 2) if job_ids is not None else None
        self.pairs: OrderedDict[DatasetKey, ParentPair] = OrderedDict()
        self._semaphore = asyncio.Semaphore(slots)
        self._starting: dict[DatasetKey, asyncio.Task] = {}
        self.waiting = 0
        self.graded = 0

    # -- parents -----------------------------------------------------------------------------------

    def _parent(self, role: str, datasets: DatasetKey) -> GraderParent:
        cgroup = None
        if self.cgroup_version is not None and self.cgroup_parent:
            cgroup = KernelCgroup(
                name=f"grader-{role}-{uuid.uuid4().hex[:12]}",
                parent=self.cgroup_parent,
                memory_bytes=(self.limits.memory_mib * (self.slots + 1)) << 20,
                pids_max=self.limits.pids * self.slots + 8,
                version=self.cgroup_version,
            )
        block = self.id_blocks.take() if self.id_blocks is not None else None
        spec = SandboxSpec(
            # The preload list last: a test reads it as sys.argv[-1] (the parent's memory, intact).
            argv=[sys.executable, "-I", GRADER, role, str(block.size if block else 0), ",".join(self.preload)],
            limits=self.limits,
            datasets=dict(datasets),
            mpl_cache=self.mpl_cache,
            job_namespaces=True,
            job_ids=block,
        )
        return GraderParent(role=role, spec=spec, cgroup=cgroup, secure=self.secure, id_blocks=self.id_blocks)

    async def _start_pair(self, datasets: DatasetKey) -> ParentPair:
        student = self._parent("student", datasets)
        try:
            tests = self._parent("tests", datasets)
        except BaseException:
            await student.close()  # gives its ids back
            raise
        results = await asyncio.gather(student.start(), tests.start(), return_exceptions=True)
        failures = [result for result in results if isinstance(result, BaseException)]
        if failures:
            await asyncio.gather(student.close(), tests.close())
            raise failures[0]
        pair = ParentPair(student=student, tests=tests)
        # Here, not in the callers: a caller that came after the task ended, before the first one resumed,
        # found neither the task nor the pair and started a second pair (the first one then leaked).
        stored = self.pairs.get(datasets)
        if stored is not None and stored.alive:  # started meanwhile by a caller that closed a dead one
            await pair.close()
            return stored
        self.pairs[datasets] = pair
        return pair

    async def pair_for(self, datasets: DatasetKey) -> ParentPair:
        pair = self.pairs.get(datasets)
        while pair is not None and not pair.alive:
            if self.pairs.get(datasets) is pair:
                self.pairs.pop(datasets, None)
            await pair.close()
            pair = self.pairs.get(datasets)  # another caller may have started one meanwhile
        if pair is None:
            task = self._starting.get(datasets)
            if task is None:
                task = asyncio.ensure_future(self._start_pair(datasets))
                self._starting[datasets] = task
                task.add_done_callback(lambda _: self._starting.pop(datasets, None))
            pair = await asyncio.shield(task)
            await self._evict(keep=datasets)
        self.pairs.move_to_end(datasets)
        pair.last_used = time.monotonic()
        return pair

    async def _evict(self, keep: DatasetKey = ()) -> None:
        """Idle pairs beyond max_pairs, oldest first; never `keep`, the pair a caller has just asked for
        (when every other pair was in use, it was the one closed, under the caller)."""
        while len(self.pairs) > self.max_pairs:
            idle = [key for key, pair in self.pairs.items() if pair.in_use == 0 and key not in ((), keep)]
            if not idle:
                return
            await self.pairs.pop(idle[0]).close()

    async def start(self) -> None:
        await self.pair_for(())

    async def close(self) -> None:
        pairs, self.pairs = list(self.pairs.values()), OrderedDict()
        await asyncio.gather(*(pair.close() for pair in pairs))

    def describe(self) -> dict:
        return {
            "grading_slots": self.slots,
            "grading_waiting": self.waiting,
            "grading_parents": 2 * sum(1 for pair in self.pairs.values() if pair.alive),
            "graded": self.graded,
        }

    # -- one grade ---------------------------------------------------------------------------------

    async def grade(
        self, *, code: str, tests: list[GradingTest], datasets: DatasetKey, timeout: float
    ) -> GradingResult:
        started = time.monotonic()
        self.waiting += 1
        try:
            await self._semaphore.acquire()
        finally:
            self.waiting -= 1
        try:
            result = None
            for _attempt in range(2):
                # Once more when a parent died under us or the student's process died of nothing it
                # did (a concurrent job could have signalled it): neither is the student's fault.
                pair = await self.pair_for(datasets)
                pair.in_use += 1
                try:
                    result = await self._grade_on(pair, code=code, tests=tests, timeout=timeout)
                except ChildGone:
                    result = None
                    continue
                finally:
                    pair.in_use -= 1
                if result.limits_hit != ["died"]:
                    break
        finally:
            self._semaphore.release()
        if result is None:
            raise RunnerUnavailable("The grading service restarted during this grade; it will be graded again.")
        self.graded += 1
        result.duration_ms = (time.monotonic() - started) * 1000
        return result

    async def _grade_on(
        self, pair: ParentPair, *, code: str, tests: list[GradingTest], timeout: float
    ) -> GradingResult:
        grace = self.interrupt_grace
        oom_before = pair.student.oom_kills()
        student = tests_child = None
        try:
            student = await pair.student.fork()
            await student.send(
                {"code": code, "memory_mib": self.limits.memory_mib, "cpu_seconds": int(timeout + 2 * grace) + 1}
            )
            ran = await self._student_ran(student, timeout)
            result = GradingResult(status="completed", student_outputs=_student_outputs(ran))
            if ran["status"] != "ok" and ran["status"] != "error":
                result.status, result.message, cause = _student_stopped(ran["status"], timeout, self.limits)
                if ran["status"] == "gone" and pair.student.oom_kills() > oom_before:
                    result.message, cause = _student_stopped("memory", timeout, self.limits)[1:]
                result.limits_hit.append(cause)
                result.tests = not_run(tests, "not_run", result.message)
                return result
            tests_child = await pair.tests.fork()
            budget = sum(test.timeout for test in tests) + 2 * grace + 2
            await tests_child.send(
                {
                    "tests": [
                        {"name": test.name, "source": test.source, "function": test.function, "timeout": test.timeout}
                        for test in tests
                    ],
                    "memory_mib": self.limits.memory_mib,
                    "cpu_seconds": int(budget) + 1,
                }
            )
            reported, ending = await self._relay(student, tests_child, budget)
            result.tests = _outcomes(tests, reported, ending)
            if ending == "timeout":
                result.status = "timeout"
                result.limits_hit.append("timeout")
                result.message = "The tests took longer than their time limits and were stopped."
            elif ending == "gone":
                result.status, result.message = "error", "The tests stopped before they finished."
            return result
        finally:
            for child in (student, tests_child):
                if child is not None:
                    child.kill()

    async def _student_ran(self, student: Child, timeout: float) -> dict:
        """The student's code ran to its end, raised, hit a limit, or was stopped after `timeout`."""
        try:
            return await asyncio.wait_for(student.receive(), timeout)
        except ChildGone:
            return {"type": "ran", "status": "gone", "output": ""}
        except TimeoutError:
            pass
        student.interrupt()
        try:
            ran = await asyncio.wait_for(student.receive(), self.interrupt_grace)
            return {**ran, "status": "timeout"}
        except (TimeoutError, ChildGone):
            return {"type": "ran", "status": "stuck", "output": ""}

    async def _relay(self, student: Child, tests: Child, budget: float) -> tuple[list[dict], str]:
        """Pass the tests' questions to the student's process and its answers back, until the tests
        are done; results arrive one test at a time, so a timeout keeps the ones already reported."""
        reported: list[dict] = []
        waiting: set[int] = set()  # questions the tests still wait for
        abandoned: dict[int, asyncio.TimerHandle] = {}
        student_gone = False
        loop = asyncio.get_running_loop()

        async def answer_gone(question_id: int) -> None:
            await tests.send({"type": "reply", "id": question_id, "raised": {"type": "RuntimeError", "message": GONE}})

        async def from_student() -> None:
            nonlocal student_gone
            try:
                while True:
                    reply = await student.receive()
                    question = reply.get("id")
                    waiting.discard(question)
                    timer = abandoned.pop(question, None)
                    if timer is not None:
                        timer.cancel()
                        continue
                    await tests.send(reply)
            except ChildGone:
                student_gone = True
                for question in list(waiting):
                    waiting.discard(question)
                    with contextlib.suppress(ChildGone):
                        await answer_gone(question)

        def give_up_on_student() -> None:
            nonlocal student_gone
            student_gone = True
            student.kill()

        pump = asyncio.create_task(from_student())
        deadline = time.monotonic() + budget
        try:
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return reported, "timeout"
                try:
                    message = await asyncio.wait_for(tests.receive(), remaining)
                except TimeoutError:
                    return reported, "timeout"
                except ChildGone:
                    return reported, "gone"
                kind = message.get("type")
                if kind == "result":
                    reported.append(message)
                elif kind == "done":
                    return reported, "done"
                elif kind == "rpc":
                    if student_gone:
                        await answer_gone(message["id"])
                    else:
                        waiting.add(message["id"])
                        await student.send(message)
                elif kind == "abandon" and message.get("id") in waiting:
                    waiting.discard(message["id"])
                    student.interrupt()  # the test ran out of time inside the student's code
                    abandoned[message["id"]] = loop.call_later(self.interrupt_grace, give_up_on_student)
        except ChildGone:
            return reported, "gone"
        finally:
            for timer in abandoned.values():
                timer.cancel()
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pump


GONE = "The student's code stopped responding or ended, so this test could not finish."


def _student_outputs(ran: dict) -> list[dict]:
    outputs = []
    if ran.get("output"):
        outputs.append({"output_type": "stream", "name": "stdout", "text": ran["output"]})
    error = ran.get("error")
    if error:
        outputs.append(
            {
                "output_type": "error",
                "ename": error.get("type", ""),
                "evalue": error.get("message", ""),
                "traceback": error.get("traceback", []),
            }
        )
    return outputs


def _student_stopped(status: str, timeout: float, limits: Limits) -> tuple[str, str, str]:
    """(result status, message, limit hit) when the student's code did not run to its end."""
    if status == "memory":
        return "died", f"Your code used more than {limits.memory_mib} MiB of memory, so it was stopped.", "memory"
    if status in ("timeout", "stuck"):
        return "timeout", f"Your code ran for more than {timeout:g} s, so it was stopped.", "timeout"
    return "died", "Your code ended the grading process (it may have used too much memory or exited).", "died"


def _outcomes(tests: list[GradingTest], reported: list[dict], ending: str) -> list[TestOutcome]:
    """Every test's outcome; tests the tests process never reached keep no credit, and say why."""
    by_name = {entry.get("name"): entry for entry in reported}
    unreached = {
        "timeout": ("timeout", "The tests ran out of time before this one."),
        "gone": ("error", "The tests stopped before this one."),
    }.get(ending, ("not_run", "This test did not run."))
    outcomes = []
    for test in tests:
        entry = by_name.get(test.name)
        if entry is None:
            outcomes.append(TestOutcome(test.name, unreached[0], 0.0, test.points, unreached[1], raised_by="runner"))
            continue
        outcomes.append(outcome_of(test, entry))
    return outcomes
