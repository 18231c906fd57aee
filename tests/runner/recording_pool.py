"""A kernel pool whose kernels only record what they were asked: the pool's own logic, without sandboxes."""

import asyncio

from runner.pool import KernelPool


class RecordingKernel:
    def __init__(self, started: asyncio.Event | None = None):
        self.alive = True
        self.started_idle: bool | None = None
        self.raised: list[bool] = []  # one entry per raise, True for the one at hand-out
        self.gate = started  # the start ends once it is set

    async def start(self, *, idle_priority: bool = False):
        self.started_idle = idle_priority
        if self.gate is not None:
            await self.gate.wait()
        return self

    def run_at_normal_priority(self, *, handed_out: bool = False) -> bool:
        self.raised.append(handed_out)
        return self.allowed

    allowed = True  # False: the host may not raise (no CAP_SYS_NICE where it counts)

    async def shutdown(self, *, now: bool = False) -> None:
        self.alive = False


def recording_pool(
    made: list, *, gate: asyncio.Event | None = None, gate_each: bool = False, allowed: bool = True, **settings
) -> KernelPool:
    """A started pool whose kernels record what they were asked, appended to `made`. Their starts wait for
    `gate`, or with gate_each for a gate of their own (`kernel.gate`)."""

    def factory(_key):
        made.append(RecordingKernel(asyncio.Event() if gate_each else gate))
        made[-1].allowed = allowed
        return made[-1]

    pool = KernelPool(kernel_factory=factory, **settings)
    pool.start()
    return pool
