"""The kernel host: owns the pool, the students' sessions and grading runs.

Everything here runs on one asyncio loop in the runner process (`python -m runner serve`);
Django talks to it through `runner.client`. Kernels are started from this loop only, because
the launch uses preexec_fn, which is not thread-safe.
"""

import asyncio
import contextlib
import logging
import os
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .cgroups import KernelCgroup, cgroup_version, claim_parent_group, reap_stale_groups, remove_parent_groups
from .datasets import DirectoryDatasets
from .exceptions import (
    QUEUE_TIMEOUT,
    CodeTooLarge,
    SandboxUnavailable,
    SessionNotFound,
    TooManySessions,
    UnknownKernelSpec,
)
from .grading_parents import Grader
from .grading_protocol import GradingResult, GradingTest
from .host_config import HostConfig
from .job_ids import job_id_range, split_for_kernels
from .kernel import KERNEL_ARGV, ExecutionResult, OnOutput, OnStatus, SandboxedKernel, matplotlib_cache
from .kernel_forks import ForkedKernel, KernelParents
from .outputs import OutputBudget
from .pool import DatasetKey, KernelPool
from .priority import idle_warmup_available, session_priority_usable
from .sandbox import MPL_CACHE, SandboxSpec, host_protections, sandbox_host_uid

logger = logging.getLogger(__name__)
PENDING_INTERRUPT_SECONDS = 2.0
KERNEL_SPECS = {"python3": "Python 3 (sandboxed)"}


@dataclass
class Session:
    id: str
    user: str
    context: str
    kernel_name: str
    datasets: DatasetKey
    kernel: SandboxedKernel
    created_at: float = field(default_factory=time.monotonic)
    restarts: int = 0
    # An interrupt that found the kernel idle: the run it was meant for has not reached us yet
    # (Django shows "busy" before its execute request arrives), so that run stops before it starts.
    interrupt_requested_at: float = 0.0

    @property
    def status(self) -> str:
        if not self.kernel.alive:
            return "dead"
        return "busy" if self.kernel.busy else "idle"

    def describe(self) -> dict:
        return {
            "session_id": self.id,
            "context": self.context,
            "kernel": self.kernel_name,
            "datasets": [dataset_id for dataset_id, _ in self.datasets],
            "status": self.status,
            "restarts": self.restarts,
        }


class KernelHost:
    def __init__(self, config: HostConfig):
        self.config = config
        self.protections = []
        self.secure = True
        self.sessions: dict[str, Session] = {}
        self.restarts_by_cause: Counter[str] = Counter()
        self.culled = 0
        self.datasets = DirectoryDatasets(config.datasets_dir)
        self._cgroup_version: int | None = None
        self._cgroup_claim: int | None = None
        self._mpl_cache: Path | None = None
        self._cull_task: asyncio.Task | None = None
        self.pool: KernelPool | None = None
        self.grader: Grader | None = None
        self.kernel_parents: KernelParents | None = None

    # -- start-up ----------------------------------------------------------------------------------

    def check_protections(self) -> None:
        """Refuse to run without every protection, unless the operator opted out loudly."""
        self.protections = host_protections(self.config.cgroup_name, self.config.datasets_dir)
        missing = [check for check in self.protections if not check.ok and check.required]
        if missing:
            summary = "; ".join(f"{check.name}: {check.detail}" for check in missing)
            if not self.config.insecure:
                raise SandboxUnavailable(
                    f"Refusing to run kernels without these protections: {summary}. "
                    "Set PANLEARN_RUNNER_INSECURE_ALLOW_MISSING_PROTECTIONS=1 only on a machine you can lose."
                )
            logger.warning("RUNNING KERNELS WITHOUT: %s", summary)
        by_name = {check.name: check.ok for check in self.protections}
        self.secure = by_name.get("seccomp", False)
        self._cgroup_version = cgroup_version() if by_name.get("cgroups") else None

    def _job_ids(self):
        """The host ids grading jobs and forked kernels run as, one each (job_ids.py), as (grading's, the
        kernels'); (None, None): they share the sandbox's uid."""
        try:
            id_range = job_id_range(sandbox_host_uid())
        except SandboxUnavailable:
            return None, None  # check_protections refused to start, unless the operator chose insecure mode
        return split_for_kernels(id_range) if id_range is not None else (None, None)

    async def start(self) -> None:
        self.check_protections()
        self._claim_cgroups()
        self.config.state_dir.mkdir(parents=True, exist_ok=True)
        self._mpl_cache = await asyncio.to_thread(matplotlib_cache, self.config.state_dir / "mplcache")
        grading_ids, kernel_ids = self._job_ids()
        # A fork's limits are its own cgroup's, and its apartness from its siblings (same sandbox) rests on a uid
        # of its own, which the host, root, reaches through any mode: elsewhere each kernel starts on its own.
        if self.config.fork_kernels and self._cgroup_version is not None and kernel_ids and not kernel_ids.helper:
            self.kernel_parents = KernelParents(
                limits=self.config.limits,
                preload=self.config.preload,
                secure=self.secure,
                cgroup_parent=self.config.cgroup_name,
                cgroup_version=self._cgroup_version,
                mpl_cache=str(self._mpl_cache) if self._mpl_cache else None,
                max_kernels=self.config.max_kernels,
                job_ids=kernel_ids,
            )
        self.pool = KernelPool(
            kernel_factory=self._new_kernel,
            target_size=self.config.pool_size,
            max_kernels=self.config.max_kernels,
            preload_code=self._preload_code(),
            start_concurrency=self.config.start_concurrency,
            # Raising a kernel finds its processes through its cgroup.
            warm_at_idle_priority=self._cgroup_version is not None and idle_warmup_available(),
        )
        self.pool.start()
        self.grader = Grader(
            limits=self.config.limits,
            preload=self.config.preload,
            slots=self.config.grading_slots,
            interrupt_grace=self.config.interrupt_grace,
            secure=self.secure,
            cgroup_parent=self.config.cgroup_name if self._cgroup_version is not None else None,
            cgroup_version=self._cgroup_version,
            mpl_cache=str(self._mpl_cache) if self._mpl_cache else None,
            job_ids=grading_ids,
        )
        await self.grader.start()
        self._cull_task = asyncio.create_task(self._cull_forever(), name="session-cull")

    async def close(self) -> None:
        if self._cull_task is not None:
            self._cull_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._cull_task
        self.sessions.clear()
        if self.grader is not None:
            await self.grader.close()
        if self.pool is not None:
            await self.pool.close()
        if self.kernel_parents is not None:
            await self.kernel_parents.close()
        if self._cgroup_version is not None:
            remove_parent_groups(self.config.cgroup_name, self._cgroup_version)
        if self._cgroup_claim is not None:
            os.close(self._cgroup_claim)
            self._cgroup_claim = None

    def _claim_cgroups(self) -> None:
        """Own the kernels' parent group, and end what a predecessor that was killed left running in it."""
        if self._cgroup_version is None:
            return
        name = self.config.cgroup_name
        self._cgroup_claim = claim_parent_group(name, self._cgroup_version)
        if self._cgroup_claim is None:
            raise SandboxUnavailable(
                f"Another kernel host on this machine uses the cgroup name {name!r}. "
                "Give each host its own PANLEARN_RUNNER_CGROUP_NAME."
            )
        reaped = reap_stale_groups(name, self._cgroup_version)
        if reaped:
            logger.warning("ended %d kernel group(s) that a previous host left in cgroup %r", reaped, name)

    def _preload_code(self) -> str:
        lines = [
            "import shutil as _shutil, os as _os",
            f"_os.path.isdir({MPL_CACHE!r}) and _shutil.copytree({MPL_CACHE!r}, '/tmp/matplotlib', dirs_exist_ok=True)",
        ]
        lines += [f"import {module.strip()}" for module in self.config.preload]
        if "matplotlib" in self.config.preload:
            lines.append("import matplotlib.pyplot")
        lines.append("del _shutil, _os")
        return "\n".join(lines)

    def _new_kernel(self, datasets: DatasetKey) -> SandboxedKernel:
        limits = self.config.limits
        cgroup = None
        if self._cgroup_version is not None:
            cgroup = KernelCgroup(
                name=uuid.uuid4().hex,
                parent=self.config.cgroup_name,
                memory_bytes=limits.memory_mib << 20,
                pids_max=limits.pids,
                version=self._cgroup_version,
            )
        spec = SandboxSpec(
            argv=[sys.executable, *KERNEL_ARGV],
            limits=limits,
            datasets=dict(datasets),
            mpl_cache=str(self._mpl_cache) if self._mpl_cache else None,
        )
        if self.kernel_parents is not None and cgroup is not None:
            return ForkedKernel(parents=self.kernel_parents, datasets=datasets, spec=spec, cgroup=cgroup,
                                secure=self.secure)  # fmt: skip
        return SandboxedKernel(spec=spec, cgroup=cgroup, secure=self.secure)

    # -- sessions ----------------------------------------------------------------------------------

    async def create_session(
        self,
        *,
        user: str,
        context: str,
        kernel_name: str = "python3",
        datasets: list[str] = (),
        on_queue=None,
        queue_timeout: float = QUEUE_TIMEOUT,
    ) -> Session:
        if kernel_name not in KERNEL_SPECS:
            raise UnknownKernelSpec(f"There is no “{kernel_name[:40]}” kernel on this server.")
        resolved = self.datasets.resolve(list(datasets))
        for session in self.sessions.values():
            same_place = session.user == user and session.context == context and session.datasets == resolved
            if same_place and session.kernel.alive:
                return session
        owned = [session for session in self.sessions.values() if session.user == user]
        if len(owned) >= self.config.kernels_per_user:
            oldest = min(owned, key=lambda session: session.kernel.last_used)
            if oldest.kernel.busy:
                raise TooManySessions()
            await self.shutdown_session(oldest)  # the least recently used tab gives way
        assert self.pool is not None
        kernel = await self.pool.acquire(resolved, on_queue=on_queue, timeout=queue_timeout)
        session = Session(
            id=uuid.uuid4().hex, user=user, context=context, kernel_name=kernel_name, datasets=resolved, kernel=kernel
        )
        self.sessions[session.id] = session
        return session

    def get_session(self, session_id: str, *, user: str) -> Session:
        session = self.sessions.get(session_id)
        if session is None or session.user != user:  # another user's id looks exactly like a missing one
            raise SessionNotFound()
        return session

    def _budget(self) -> OutputBudget:
        return OutputBudget(max_text_bytes=self.config.max_text_bytes, max_image_bytes=self.config.max_image_bytes)

    def check_code(self, code: str) -> None:
        size = len(code.encode("utf-8", errors="replace"))
        if size > self.config.max_code_bytes:
            raise CodeTooLarge(
                f"This code is {size // 1024} KiB; cells are limited to {self.config.max_code_bytes // 1024} KiB."
            )

    async def execute(
        self,
        session: Session,
        code: str,
        *,
        on_output: OnOutput | None = None,
        on_status: OnStatus | None = None,
        store_history: bool = True,
    ) -> ExecutionResult:
        self.check_code(code)
        if time.monotonic() - session.interrupt_requested_at < PENDING_INTERRUPT_SECONDS:
            session.interrupt_requested_at = 0.0
            result = interrupted_before_start()
            if on_output is not None:
                for output in result.outputs:
                    await on_output(output)
            return result
        if not session.kernel.alive:
            await self._replace_kernel(session, cause="died")
        result = await session.kernel.execute(
            code,
            timeout=self.config.cell_timeout,
            grace=self.config.interrupt_grace,
            budget=self._budget(),
            on_output=on_output,
            on_status=on_status,
            store_history=store_history,
        )
        if result.status == "died":
            await self._replace_kernel(session, cause=result.cause)
        elif result.cause == "stuck":
            await self._replace_kernel(session, cause="timeout")
        elif result.status == "timeout" and session.kernel.has_strays():
            result.message = (
                f"Your code ran for more than {self.config.cell_timeout:g} s and left processes running, "
                "so the kernel was restarted."
            )
            await self._replace_kernel(session, cause="timeout")
        return result

    async def _replace_kernel(self, session: Session, *, cause: str) -> None:
        self.restarts_by_cause[cause] += 1
        session.restarts += 1
        assert self.pool is not None
        old = session.kernel
        await self.pool.release(old)
        session.kernel = await self.pool.acquire(session.datasets)

    async def interrupt(self, session: Session) -> None:
        if session.kernel.busy:
            await session.kernel.interrupt()
        else:
            session.interrupt_requested_at = time.monotonic()

    async def restart(self, session: Session) -> None:
        await self._replace_kernel(session, cause="requested")

    async def shutdown_session(self, session: Session) -> None:
        self.sessions.pop(session.id, None)
        assert self.pool is not None
        await self.pool.release(session.kernel)

    async def complete(self, session: Session, code: str, cursor_pos: int) -> dict:
        self.check_code(code)
        return await session.kernel.request("complete_request", {"code": code, "cursor_pos": cursor_pos})

    async def inspect(self, session: Session, code: str, cursor_pos: int) -> dict:
        self.check_code(code)
        content = {"code": code, "cursor_pos": cursor_pos, "detail_level": 0}
        return await session.kernel.request("inspect_request", content)

    async def _cull_forever(self) -> None:
        while True:
            await asyncio.sleep(min(60, max(1, self.config.idle_seconds / 4)))
            now = time.monotonic()
            for session in list(self.sessions.values()):
                if not session.kernel.busy and now - session.kernel.last_used > self.config.idle_seconds:
                    self.culled += 1
                    await self.shutdown_session(session)

    # -- grading -----------------------------------------------------------------------------------

    async def grade(
        self, *, code: str, tests: list[GradingTest], datasets: list[str] = (), timeout: float | None = None
    ) -> GradingResult:
        """Run code, then tests in a process of their own (see grading_parents.py); nothing is reused."""
        self.check_code(code)
        assert self.grader is not None
        resolved = self.datasets.resolve(list(datasets))
        timeout = timeout or self.config.cell_timeout
        return await self.grader.grade(code=code, tests=tests, datasets=resolved, timeout=timeout)

    # -- observability -----------------------------------------------------------------------------

    def health(self) -> dict:
        pool = self.pool
        return {
            "status": "ok" if pool is not None else "starting",
            "secure": self.secure and all(check.ok or not check.required for check in self.protections),
            "protections": {check.name: {"ok": check.ok, "detail": check.detail} for check in self.protections},
        }

    def metrics(self) -> dict:
        pool = self.pool
        busy = sum(1 for session in self.sessions.values() if session.kernel.busy)
        return {
            "pool_idle": pool.idle_count if pool else 0,
            "pool_target": self.config.pool_size,
            "kernels_total": pool.total if pool else 0,
            "kernels_starting": pool.starting if pool else 0,
            "kernels_waiting_to_start": pool.waiting_to_start if pool else 0,
            "refill_at_idle_priority": int(bool(pool and pool.warm_at_idle_priority)),  # hosts, once summed
            # and with their sessions lowered too, where autogroup scheduling would otherwise undo it
            "refill_sessions_lowered": int(bool(pool and pool.warm_at_idle_priority and session_priority_usable())),
            "kernels_max": self.config.max_kernels,
            "sessions": len(self.sessions),
            "sessions_busy": busy,
            "sessions_idle": len(self.sessions) - busy,
            "queue_length": pool.queue_length() if pool else 0,
            "kernels_started": pool.stats.started if pool else 0,
            "kernel_start_failures": pool.stats.start_failures if pool else 0,
            "restarts_by_cause": dict(self.restarts_by_cause),
            "sessions_culled": self.culled,
            **(self.grader.describe() if self.grader else {}),
            **(self.kernel_parents.describe() if self.kernel_parents else {}),
        }


def interrupted_before_start() -> ExecutionResult:
    """The result of a run stopped by an interrupt that arrived just before it did."""
    error = {
        "output_type": "error",
        "ename": "KeyboardInterrupt",
        "evalue": "stopped before it started",
        "traceback": ["KeyboardInterrupt: the run was interrupted before it started"],
    }
    return ExecutionResult(status="error", outputs=[error], cause="interrupted")
