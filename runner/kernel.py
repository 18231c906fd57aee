"""One sandboxed ipykernel: launch, readiness, execute with limits, interrupt, shutdown.

The kernel talks ZMQ over the ipc transport. Its sockets live in the sandbox's own tmpfs
(`/run/kernel`) and the host reaches them through `/proc/<pid>/root/run/kernel/...`, so the
kernel can neither see the host's filesystem nor fill its disk. Interrupts are messages on the
control channel: a signal would reach bwrap, not the kernel.
"""

import asyncio
import json
import logging
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import zmq
from jupyter_client.asynchronous import AsyncKernelClient

from .cgroups import KernelCgroup
from .exceptions import CellTimeout, KernelDied
from .iopub import CellRun, OnOutput, OnStatus
from .launch import (
    NEVER_RECONNECT_MS,
    Spawned,
    host_side,
    ipc_connection,
    sandbox_init_pid,
    spawn_sandbox,
    wait_for_sockets,
)
from .outputs import OutputBudget
from .priority import lower_new_session, lower_sessions, run_at_normal_priority, session_priority_usable
from .sandbox import CONNECTION_FILE, SandboxSpec
from .zmtp_guard import MAX_MESSAGE_BYTES, KernelRelay

logger = logging.getLogger(__name__)

# ZMQ holds a whole message in memory before anyone can look at it, so a cap on outputs applied after
# decoding came too late: one print of 100 MB grew the host by ~270 MiB. Past MAX_MESSAGE_BYTES the
# relay (zmtp_guard) drops the connection while the message streams in (and ZMQ itself refuses any one
# part over it), and the kernel is replaced.
OUTPUT_FLOOD_MESSAGE = (
    f"Your code sent more than {MAX_MESSAGE_BYTES >> 20} MiB of output at once, so the kernel was restarted. "
    "Print a summary or a slice instead."
)
# What ZMQ may queue for the host's reader, per socket, in messages. Between cells nobody reads, and its
# default (1000) let a kernel pile up whole messages just under the size limit there: 400-580 MiB in the
# host from one kernel. Past a few, they wait in the kernel's own sockets (its memory, its limit), whose
# publisher drops what its queue cannot hold, as ZMQ does for any slow subscriber.
HOST_QUEUE_MESSAGES = 4
# How long a kernel whose iopub closed may take to show that it exited rather than overflowed.
KERNEL_EXIT_GRACE_S = 0.5
KERNEL_ARGV = ["-m", "ipykernel_launcher", "-f", CONNECTION_FILE, "--HistoryManager.enabled=False"]


@dataclass
class ExecutionResult:
    status: str  # "ok", "error", "timeout", "died"
    outputs: list[dict] = field(default_factory=list)
    execution_count: int | None = None
    truncated: bool = False
    duration_ms: float = 0.0
    message: str = ""
    # Why a cell ended abnormally: "interrupted", "stuck" (ignored the interrupt: the kernel must be
    # replaced), or for a dead kernel "memory", "processes", "died", "output" (a message over the size
    # limit cut the host's connection). Callers act on this, not the message.
    cause: str = ""


class SandboxedKernel:
    def __init__(self, *, spec: SandboxSpec, cgroup: KernelCgroup | None, secure: bool = True):
        self.id = uuid.uuid4().hex
        self.spec = spec
        self.cgroup = cgroup
        self.secure = secure
        self.process: subprocess.Popen | None = None
        self.child_pid: int | None = None
        self.client: AsyncKernelClient | None = None
        self.started_at = time.monotonic()
        self.ready_at: float | None = None
        self.last_used = time.monotonic()
        self.busy = False
        self._lock = asyncio.Lock()
        self._spawned: Spawned | None = None
        self._iopub_monitor: zmq.Socket | None = None
        self.relay: KernelRelay | None = None  # between the host's sockets and the kernel's (zmtp_guard)
        self.idle_priority = False  # warmed for the pool under SCHED_IDLE (priority.py) and not raised yet
        self._raise_asked = False  # someone needed it: its session is not to be lowered from then on
        self.own_processes = 3  # an idle kernel's: bwrap, its init and the kernel

    # -- lifecycle -------------------------------------------------------------------------------

    async def start(self, *, timeout: float = 30.0, idle_priority: bool = False) -> "SandboxedKernel":
        connection = ipc_connection(uuid.uuid4().hex)
        self.idle_priority = idle_priority
        await self._launch(connection, timeout)
        self.relay = KernelRelay(max_message_bytes=MAX_MESSAGE_BYTES)
        self.client = AsyncKernelClient()
        self.client.context.setsockopt(zmq.RECONNECT_IVL, NEVER_RECONNECT_MS)
        self.client.context.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE_BYTES)
        self.client.context.setsockopt(zmq.RCVHWM, HOST_QUEUE_MESSAGES)
        self.client.load_connection_info(await self.relay.relayed(host_side(connection, self.child_pid)))
        self.client.start_channels(hb=False)
        # Tells when ZMQ dropped iopub (an oversized message): no output nor "idle" would come again.
        self._iopub_monitor = self.client.iopub_channel.socket.get_monitor_socket(zmq.EVENT_DISCONNECTED)
        await self._wait_ready(timeout)
        self.ready_at = time.monotonic()
        return self

    async def _launch(self, connection: dict, timeout: float) -> None:
        """The kernel's processes, up to its verified sockets under /proc/<child_pid>/root."""
        idle_priority = self.idle_priority
        spawned = spawn_sandbox(
            self.spec,
            cgroup=self.cgroup,
            secure=self.secure,
            files={CONNECTION_FILE: json.dumps({**connection, "kernel_name": "python3"}).encode()},
            idle_priority=idle_priority,
        )
        self.process, self._spawned = spawned.process, spawned
        idle_sessions = idle_priority and session_priority_usable()
        if idle_sessions:
            lower_sessions([spawned.process.pid])  # bwrap's own session, where it builds the sandbox
        try:
            self.child_pid = await sandbox_init_pid(spawned, timeout)
        except (TimeoutError, ValueError) as error:
            await self.shutdown(now=True)
            raise KernelDied(f"The sandbox did not start: {spawned.stderr_tail() or error}") from error
        if idle_sessions and not await lower_new_session(
            spawned.process.pid, self.child_pid, still_idle=lambda: not self._raise_asked, timeout=timeout
        ):
            logger.info("kernel %s warms with its session at normal weight (raised, or no session found)", self.id)
        if not await wait_for_sockets(spawned, connection, self.child_pid, timeout):
            reason = self.death_reason() if not self.alive else "The Python session did not start in time."
            await self.shutdown(now=True)
            raise KernelDied(reason)

    async def _wait_ready(self, timeout: float) -> None:
        """Our own readiness loop: a kernel_info reply on shell, polled every 20 ms.

        jupyter_client's wait_for_ready also waits for iopub, which costs ~0.2 s per start.
        """
        deadline = time.monotonic() + timeout
        assert self.client is not None
        sent_at = time.monotonic()
        self.client.kernel_info()
        while time.monotonic() < deadline:
            if not self.alive:
                raise KernelDied(self.death_reason())
            try:
                reply = await self.client.get_shell_msg(timeout=0.02)
            except Exception:  # queue.Empty: the kernel has not bound its sockets yet
                if time.monotonic() - sent_at > 0.5:  # a request sent before the bind may be lost
                    sent_at = time.monotonic()
                    self.client.kernel_info()
                continue
            if reply["msg_type"] == "kernel_info_reply":
                return
        await self.shutdown(now=True)
        raise KernelDied("The Python session did not start in time.")

    def has_strays(self) -> bool:
        """Processes besides the kernel's own (a cell's children that outlived it)."""
        if self.cgroup is None:
            return False
        return self.cgroup.process_count() > self.own_processes

    def output_connection_lost(self) -> bool:
        """iopub closed (the kernel went, or ZMQ refused a part), or the relay cut any channel: an execute
        reply is the cell's too (its payloads are the code's to write), and a cut on shell would otherwise
        pass unreported while its message is lost."""
        if self.relay is not None and self.relay.refused:
            return True
        monitor = self._iopub_monitor
        return monitor is not None and bool(monitor.get(zmq.EVENTS) & zmq.POLLIN)

    async def _why_output_was_lost(self) -> str:
        """A dying kernel closes iopub too, and may do so before its sandbox has exited: an oversized
        message is the cause only if the kernel lives on. (The cgroup's counters are not asked first:
        they count for the kernel's whole life, so a child OOM-killed earlier would name a flood "memory".)"""
        if self.relay is not None and self.relay.refused:
            return "output"
        deadline = time.monotonic() + KERNEL_EXIT_GRACE_S
        while self.alive:
            if time.monotonic() > deadline:
                return "output"
            await asyncio.sleep(0.02)
        return self.death_cause()

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def launched(self) -> bool:
        return self.process is not None

    def death_cause(self) -> str:
        """Why the kernel ended, from the cgroup's counters: "memory", "processes" or "died"."""
        if self.cgroup is not None and self.cgroup.oom_kills() > 0:
            return "memory"
        if self.cgroup is not None and self.cgroup.pids_refused() > 0:
            return "processes"
        return "died"

    def death_reason(self) -> str:
        """The death cause in plain words for the student."""
        limits = self.spec.limits
        return {
            "memory": f"Your code used more than {limits.memory_mib} MiB of memory, so the kernel was restarted.",
            "processes": f"Your code started more than {limits.pids} processes, so the kernel was restarted.",
        }.get(self.death_cause(), "Your Python session stopped unexpectedly and was restarted.")

    def run_at_normal_priority(self, *, handed_out: bool = False) -> bool:
        """Someone needs this kernel: take every process and thread of it out of SCHED_IDLE. False if the
        host was refused (its pool then stops warming at idle priority).

        While it is still starting, a process or thread it forks after a pass may inherit the idle
        policy; at hand-out, when the warm kernel sits idle, passes repeat until one changes nothing.
        """
        self._raise_asked = True
        if not self.idle_priority or not self.launched or self.cgroup is None:
            return True
        for _attempt in range(4 if handed_out else 1):
            changed = run_at_normal_priority(self.cgroup.process_ids())
            if changed is None:
                logger.error("could not raise kernel %s from idle priority: CAP_SYS_NICE refused", self.id)
                return False
            if not changed:
                break
        if handed_out:
            self.idle_priority = False
        return True

    async def shutdown(self, *, now: bool = False) -> None:
        self.run_at_normal_priority()  # a process killed under SCHED_IDLE on a busy machine is slow to exit
        if self.client is not None:
            if not now and self.alive:
                try:
                    self.client.shutdown()
                    await asyncio.wait_for(asyncio.to_thread(self.process.wait), 1.0)
                except (TimeoutError, Exception):
                    pass
            if self._iopub_monitor is not None:
                self.client.iopub_channel.socket.disable_monitor()
                self._iopub_monitor.close(linger=0)
                self._iopub_monitor = None
            self.client.stop_channels()
            self.client = None
        if self.relay is not None:
            await self.relay.close()
            self.relay = None
        await self._end_processes()

    async def _end_processes(self) -> None:
        if self.cgroup is not None:
            await asyncio.to_thread(self.cgroup.kill_all)  # the whole sandbox, strays included
        if self.process is not None:
            if self.process.poll() is None:
                self.process.kill()
            await asyncio.to_thread(self.process.wait)  # reap bwrap: a zombie keeps its cgroup busy
        if self.cgroup is not None:
            await asyncio.to_thread(self.cgroup.remove)
        if self._spawned is not None:
            os.close(self._spawned.stderr_fd)
            self._spawned = None

    async def preload(self, code: str) -> None:
        """Import the scientific stack before hand-out, silently: execution counts start at 1."""
        budget = OutputBudget(max_text_bytes=64 * 1024, max_image_bytes=0)
        result = await self.execute(code, timeout=60, grace=2, budget=budget, store_history=False)
        if result.status != "ok":
            raise KernelDied(f"Preloading the kernel failed: {result.outputs or result.message}")

    # -- running code ----------------------------------------------------------------------------

    async def interrupt(self) -> None:
        assert self.client is not None
        message = self.client.session.msg("interrupt_request", {})
        self.client.control_channel.send(message)

    async def execute(
        self,
        code: str,
        *,
        timeout: float,
        grace: float,
        budget: OutputBudget,
        on_output: OnOutput | None = None,
        on_status: OnStatus | None = None,
        store_history: bool = True,
    ) -> ExecutionResult:
        """Run one cell; outputs stream to `on_output` as they arrive and are also returned."""
        async with self._lock:
            self.busy = True
            try:
                return await self._execute(
                    code,
                    timeout=timeout,
                    grace=grace,
                    budget=budget,
                    on_output=on_output,
                    on_status=on_status,
                    store_history=store_history,
                )
            finally:
                self.busy = False
                self.last_used = time.monotonic()

    async def _execute(self, code, *, timeout, grace, budget, on_output, on_status, store_history) -> ExecutionResult:
        assert self.client is not None
        msg_id = self.client.execute(code, store_history=store_history, allow_stdin=False)
        run = CellRun(ExecutionResult(status="ok"), msg_id, timeout=timeout, grace=grace, budget=budget,
                      on_output=on_output, on_status=on_status)  # fmt: skip
        while True:
            now = time.monotonic()
            if not self.alive:
                run.died(self.death_cause(), self.death_reason())
                break
            if self.output_connection_lost():
                cause = await self._why_output_was_lost()
                run.died(cause, OUTPUT_FLOOD_MESSAGE if cause == "output" else self.death_reason())
                break
            if run.interrupt_due(now):
                await self.interrupt()
                run.interrupted(now)
            if run.stuck(now):
                run.gave_up(restarted=True)  # the host replaces a kernel whose cell is stuck
                break
            try:
                message = await self.client.get_iopub_msg(timeout=0.05)
            except Exception:  # queue.Empty
                continue
            if run.is_ours(message) and await run.take(message):
                break
        return run.finish()

    async def request(self, kind: str, content: dict, *, timeout: float = 5.0) -> dict:
        """A shell request with a reply (complete_request, inspect_request)."""
        assert self.client is not None
        message = self.client.session.msg(kind, content)
        self.client.shell_channel.send(message)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                reply = await self.client.get_shell_msg(timeout=0.1)
            except Exception:
                continue
            if reply["parent_header"].get("msg_id") == message["header"]["msg_id"]:
                return reply["content"]
        raise CellTimeout("The editor's request took too long.")


def matplotlib_cache(directory: Path) -> Path:
    """Build matplotlib's font cache once on the host; kernels copy it instead of rebuilding (~170 ms)."""
    directory.mkdir(parents=True, exist_ok=True)
    if not any(directory.glob("fontlist-*.json")):
        subprocess.run(
            [sys.executable, "-c", "import matplotlib.font_manager"],
            env={**os.environ, "MPLCONFIGDIR": str(directory)},
            check=False,
            capture_output=True,
        )
    return directory
