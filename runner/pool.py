"""Pre-started kernels, handed out in milliseconds and refilled in the background.

Kernels are keyed by their dataset set, because datasets are bind mounts fixed at start: the
default key (no datasets) is kept warm at `target_size`; other keys start on demand. A kernel
handed out is never returned to the pool: sessions and grading runs own it until shutdown.
"""

import asyncio
import contextlib
import itertools
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from .exceptions import QUEUE_TIMEOUT, PoolExhausted
from .kernel import SandboxedKernel

logger = logging.getLogger(__name__)
DatasetKey = tuple[tuple[str, str], ...]
# A kernel warming at idle priority that has not started in this long is raised: on a saturated machine an
# idle task gets almost no CPU, and would miss the start's deadlines and be thrown away, again and again.
IDLE_START_GRACE = 10.0


@dataclass(eq=False)
class _Waiter:
    """A student in the queue, who keeps their place (their ticket: the order they came in) until they have a
    kernel or leave."""

    datasets: "DatasetKey"
    ticket: int
    woken: asyncio.Event = field(default_factory=asyncio.Event)  # set: something they may use is there


@dataclass
class PoolStats:
    started: int = 0
    start_failures: int = 0
    handed_out: int = 0
    waited: int = 0
    start_seconds_total: float = 0.0


class KernelPool:
    def __init__(
        self,
        *,
        kernel_factory: Callable[[DatasetKey], SandboxedKernel],
        target_size: int,
        max_kernels: int,
        preload_code: str = "",
        refill_concurrency: int = 2,
        warm_at_idle_priority: bool = False,
        start_concurrency: int = 4,
    ):
        self.kernel_factory = kernel_factory
        self.target_size = target_size
        self.max_kernels = max_kernels
        self.preload_code = preload_code
        self.refill_concurrency = refill_concurrency
        # Refills start under SCHED_IDLE (priority.py) and are raised when someone waits or takes one.
        self.warm_at_idle_priority = warm_at_idle_priority
        # Cold starts for students, a few at a time and in order: started all at once they share the CPU
        # and all end late (after a host's loss, 55 at once took 20 s each in the load test).
        if start_concurrency < 1:
            raise ValueError("PANLEARN_RUNNER_START_CONCURRENCY must be at least 1.")
        self._start_slots = asyncio.Semaphore(start_concurrency)
        self.waiting_to_start = 0
        self._warming: set[SandboxedKernel] = set()
        self.idle: dict[DatasetKey, deque[SandboxedKernel]] = {(): deque()}
        self.in_use: set[SandboxedKernel] = set()
        self.starting = 0
        self.stopping = 0
        self.stats = PoolStats()
        self._waiters: deque[_Waiter] = deque()  # first come, first served: in ticket order
        self._tickets = itertools.count()
        self._refill_wakeup = asyncio.Event()
        self._refill_task: asyncio.Task | None = None
        self._background: set[asyncio.Task] = set()

    # -- counts ------------------------------------------------------------------------------------

    @property
    def idle_count(self) -> int:
        return sum(len(kernels) for kernels in self.idle.values())

    @property
    def total(self) -> int:
        return self.idle_count + len(self.in_use) + self.starting + self.stopping

    def queue_length(self) -> int:
        return len(self._waiters)

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> None:
        self._refill_task = asyncio.create_task(self._refill_forever(), name="kernel-pool-refill")
        self._refill_wakeup.set()

    async def fill(self, timeout: float = 120.0) -> None:
        """Wait until the warm pool holds `target_size` kernels (used at start-up and in tests)."""
        deadline = time.monotonic() + timeout
        while len(self.idle[()]) < min(self.target_size, self.max_kernels) and time.monotonic() < deadline:
            self._refill_wakeup.set()
            self._raise_warming()  # someone waits for these
            await asyncio.sleep(0.02)

    async def close(self) -> None:
        if self._refill_task is not None:
            self._refill_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._refill_task
        kernels = [kernel for queue in self.idle.values() for kernel in queue] + list(self.in_use)
        self.idle = {(): deque()}
        self.in_use.clear()
        await asyncio.gather(*(kernel.shutdown(now=True) for kernel in kernels), return_exceptions=True)
        await asyncio.gather(*self._background, return_exceptions=True)

    # -- hand-out ----------------------------------------------------------------------------------

    async def acquire(
        self, datasets: DatasetKey = (), *, timeout: float = QUEUE_TIMEOUT, on_queue=None
    ) -> SandboxedKernel:
        """A ready kernel for these datasets: a warm one if any, else a cold start while the host
        has room, else a place in the queue until a kernel is released or refilled.

        The queue is first come, first served: a student keeps their place however long they wait, and
        one who comes later takes neither a warm kernel that someone ahead waits for nor a start."""
        deadline = time.monotonic() + timeout
        ticket, me, told, counted = next(self._tickets), None, None, False
        try:
            while True:
                if me is not None:
                    me.woken.clear()  # what happens from here on wakes the wait below
                if self._first_in_line(me, datasets):
                    kernel = self._pop_idle(datasets)
                    if kernel is not None:
                        return self._hand_out(kernel)
                if self._has_room() and self._first_in_line(me):
                    if me is not None:  # their place is now among those waiting for a start slot, in order
                        self._leave(me)
                        me = None
                    kernel = await self._cold_start(datasets, deadline)
                    if kernel is not None:
                        return self._hand_out(kernel)
                    me = self._join(datasets, ticket)  # a warm kernel came meanwhile: back at their place
                    continue
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise PoolExhausted()
                if me is None:
                    me = self._join(datasets, ticket)
                if not counted:
                    counted = True
                    self.stats.waited += 1
                    self._raise_warming()
                if on_queue is not None and (place := self._waiters.index(me) + 1) != told:
                    told = place
                    await on_queue(place)  # the student sees their place, and each move
                    continue  # that took a while: look again before waiting
                self._refill_wakeup.set()
                with contextlib.suppress(TimeoutError):  # looks again each second, woken or not
                    # asyncio.timeout, not wait_for: on 3.11 wait_for may swallow a cancellation (a closed
                    # tab) that comes with the wake
                    async with asyncio.timeout(min(remaining, 1.0)):
                        await me.woken.wait()
        finally:
            if me is not None:
                self._leave(me)

    def _has_room(self) -> bool:
        """A place for one more kernel that no student waiting for a start slot has been promised."""
        return self.total + self.waiting_to_start < self.max_kernels

    def _first_in_line(self, me: _Waiter | None, datasets: DatasetKey | None = None) -> bool:
        """Whether no one ahead of `me` (of a newcomer: anyone in the queue) waits for a kernel of these
        datasets, or (datasets None) for any kernel."""
        for waiter in self._waiters:
            if waiter is me:
                return True
            if datasets is None or waiter.datasets == datasets:
                return False
        return True

    def _join(self, datasets: DatasetKey, ticket: int) -> _Waiter:
        me = _Waiter(datasets, ticket)
        place = next((n for n, waiter in enumerate(self._waiters) if waiter.ticket > ticket), len(self._waiters))
        self._waiters.insert(place, me)
        return me

    def _leave(self, me: _Waiter) -> None:
        with contextlib.suppress(ValueError):
            self._waiters.remove(me)
        self._wake_servable()  # a wake they did not use, or one their leaving makes possible, is the next's

    def _wake_servable(self) -> None:
        """Wake the students who could now be served: the first in the queue while there is room for a start,
        and the first waiting for each dataset set that has a warm kernel. Each who takes one and leaves
        wakes the next in turn."""
        room = self._has_room()
        ready = {key for key, kernels in self.idle.items() if kernels}
        for waiter in self._waiters:
            if not room and not ready:
                return
            if room or waiter.datasets in ready:
                waiter.woken.set()
            room = False  # only the first in line may start one
            ready.discard(waiter.datasets)

    async def _cold_start(self, datasets: DatasetKey, deadline: float) -> SandboxedKernel | None:
        """A kernel started for this student once a start slot is free; None if by then a warm kernel is
        there or the host is full (the caller looks again)."""
        self.waiting_to_start += 1
        self._raise_warming()  # a kernel being warmed may be ready before a slot is
        try:
            # asyncio.timeout, not wait_for: on 3.11 wait_for may swallow a cancellation that comes with the slot
            async with asyncio.timeout(max(0.0, deadline - time.monotonic())):
                await self._start_slots.acquire()
        except TimeoutError:
            raise PoolExhausted() from None
        finally:
            self.waiting_to_start -= 1
        try:
            if self.idle.get(datasets) or self.total >= self.max_kernels:
                return None
            return await self._start_kernel(datasets)
        finally:
            self._start_slots.release()

    def _pop_idle(self, datasets: DatasetKey) -> SandboxedKernel | None:
        queue = self.idle.get(datasets)
        while queue:
            kernel = queue.popleft()
            if kernel.alive:
                return kernel
            task = asyncio.create_task(kernel.shutdown(now=True))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
        return None

    def _hand_out(self, kernel: SandboxedKernel) -> SandboxedKernel:
        self._raise(kernel, handed_out=True)
        self.in_use.add(kernel)
        self.stats.handed_out += 1
        kernel.last_used = time.monotonic()
        self._refill_wakeup.set()
        return kernel

    async def release(self, kernel: SandboxedKernel) -> None:
        """Kill a handed-out kernel in the background; its slot returns to the budget once it is gone.

        The sandbox is thrown away, so there is nothing to shut down politely, and a kernel stuck in
        C code would make a polite shutdown wait.
        """
        self.in_use.discard(kernel)
        self.stopping += 1
        task = asyncio.create_task(kernel.shutdown(now=True))
        self._background.add(task)
        task.add_done_callback(self._stopped)

    def _stopped(self, task: asyncio.Task) -> None:
        self._background.discard(task)
        self.stopping -= 1
        self._wake_servable()
        self._refill_wakeup.set()

    # -- refill ------------------------------------------------------------------------------------

    def _raise(self, kernel: SandboxedKernel, *, handed_out: bool = False) -> None:
        if not kernel.run_at_normal_priority(handed_out=handed_out):
            self.warm_at_idle_priority = False  # refused (priority.py): warm at normal priority from now on

    def _raise_warming(self) -> None:
        """A student waits: the kernels being warmed now compete at normal priority."""
        for kernel in list(self._warming):
            self._raise(kernel)

    async def _start_kernel(self, datasets: DatasetKey, *, refill: bool = False) -> SandboxedKernel:
        self.starting += 1
        started = time.monotonic()
        kernel = self.kernel_factory(datasets)
        nobody_waits = not self.queue_length() and not self.waiting_to_start
        idle = refill and self.warm_at_idle_priority and nobody_waits
        raise_late = None
        if idle:
            self._warming.add(kernel)
            raise_late = asyncio.get_running_loop().call_later(IDLE_START_GRACE, self._raise, kernel)
        try:
            await kernel.start(idle_priority=idle)
            if idle and (self.queue_length() or self.waiting_to_start):
                self._raise(kernel)  # a student started waiting while bwrap was starting
            if self.preload_code:
                await kernel.preload(self.preload_code)
            self.stats.started += 1
            self.stats.start_seconds_total += time.monotonic() - started
            return kernel
        except BaseException:  # also cancellation at shutdown: never leave a process or cgroup behind
            self.stats.start_failures += 1
            cleanup = asyncio.ensure_future(kernel.shutdown(now=True))
            self._background.add(cleanup)  # close() waits for it even if this start was cancelled
            cleanup.add_done_callback(self._background.discard)
            await asyncio.shield(cleanup)
            raise
        finally:
            self.starting -= 1
            self._warming.discard(kernel)
            if raise_late is not None:
                raise_late.cancel()

    def _room_for_refill(self) -> int:
        """Places for warm kernels: not those promised to students waiting for a start slot, nor those that
        students queued for other datasets need (only a start gives them a kernel)."""
        others = sum(1 for waiter in self._waiters if waiter.datasets != ())
        return self.max_kernels - self.total - self.waiting_to_start - others

    async def _refill_forever(self) -> None:
        while True:
            await self._refill_wakeup.wait()
            self._refill_wakeup.clear()
            while len(self.idle[()]) + self.starting < self.target_size and self._room_for_refill() > 0:
                batch = min(
                    self.refill_concurrency - self.starting,
                    self.target_size - len(self.idle[()]) - self.starting,
                    self._room_for_refill(),
                )
                if batch <= 0:
                    break
                starts = (self._start_kernel((), refill=True) for _ in range(batch))
                results = await asyncio.gather(*starts, return_exceptions=True)
                for result in results:
                    if isinstance(result, BaseException):
                        logger.error("A pooled kernel failed to start: %s", result)
                        await asyncio.sleep(1.0)  # do not spin on a broken host
                    else:
                        self.idle[()].append(result)
                        self._wake_servable()
