"""Benchmark of the sandboxed kernel runner (`runner/`), run in-process against a real KernelHost.

    .venv/bin/python bench/runner_bench.py --quick --json

Figures (each measured in this run; see bench/README.md and docs/performance.md):

- handout_p50_ms: create_session from a warm pool + execute("1+1"), pool refilled before every sample;
- warm_rtt_p50_ms / warm_rtt_ratio: sandboxed "1+1" execute-until-idle round trip, over the same loop on a
  plain jupyter_client kernel (AsyncKernelManager + AsyncKernelClient, same preload, same kernel arguments);
- cold_start_p50_ms / cold_start_ratio: SandboxedKernel.start() to the first kernel_info reply, over a plain
  `python -m ipykernel_launcher -f conn.json` subprocess (ipc) readied the same way: wait for its sockets, then
  the runner's own kernel_info loop (SandboxedKernel._wait_ready, called unchanged); no preload in either;
- burst40_first_reply_p95_ms: 40 create_session + execute("1+1") at once on a filled pool of 40;
- refill_kernels_per_s: preloaded kernels per second started by the pool's background refill (filling the 40);
- idle_pss_mib: mean PSS of one idle pooled kernel (bwrap processes + python kernel);
- grading_run_p50_ms: host.grade() of a 5-test exercise from a warm pool.

Human-readable lines go to stdout as the run goes; with --json the LAST line is one JSON object.
Needs what the runner needs: bubblewrap, libseccomp and writable cgroups (root). Every kernel is shut down on
exit, also on errors, timeouts and Ctrl-C; every wait is bounded.
"""

import argparse
import asyncio
import contextlib
import datetime
import importlib.metadata
import json
import logging
import os
import platform
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import traceback
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from jupyter_client.asynchronous import AsyncKernelClient  # noqa: E402
from jupyter_client.manager import AsyncKernelManager  # noqa: E402

from runner.cgroups import CGROUP_ROOT, cgroup_version  # noqa: E402
from runner.grading_protocol import GradingTest  # noqa: E402
from runner.host import HostConfig, KernelHost  # noqa: E402
from runner.kernel import KERNEL_ARGV, SandboxedKernel  # noqa: E402
from runner.sandbox import CONNECTION_FILE, IPC_PREFIX, bwrap_path, kernel_environment  # noqa: E402

TARGETS = {  # figure: (the most it may be, unit)
    "handout_p50_ms": (15.0, "ms"),
    "warm_rtt_ratio": (1.2, "x"),
    "cold_start_ratio": (1.15, "x"),
    "burst40_first_reply_p95_ms": (1000.0, "ms"),
    "idle_pss_mib": (100.0, "MiB"),
    "grading_run_p50_ms": (300.0, "ms"),
}
STUDENT_CODE = "def add(a, b):\n    return a + b\n"
GRADING_TESTS = [
    GradingTest(
        name=f"test_{n}", source=f"def test_{n}():\n    assert add({n}, {n + 1}) == {2 * n + 1}", function=f"test_{n}"
    )
    for n in range(1, 6)
]


@dataclass(frozen=True)
class Plan:
    cold_samples: int
    handout_samples: int
    rtt_samples: int
    grading_samples: int
    burst_rounds: int
    burst_size: int = 40
    burst_preload: tuple[str, ...] | None = None  # None: the default preload


QUICK = Plan(cold_samples=12, handout_samples=20, rtt_samples=300, grading_samples=15, burst_rounds=1)
FULL = Plan(cold_samples=30, handout_samples=40, rtt_samples=1000, grading_samples=30, burst_rounds=3)


# -- small helpers ---------------------------------------------------------------------------------


def say(line: str = "") -> None:
    print(line, flush=True)


def percentile(values: list[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default), q in [0, 100]."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summary(values: list[float]) -> dict:
    return {
        "n": len(values),
        "p50": _round(percentile(values, 50)),
        "p95": _round(percentile(values, 95)),
        "min": _round(min(values)) if values else None,
        "max": _round(max(values)) if values else None,
    }


def describe(name: str, values: list[float], unit: str = "ms") -> str:
    if not values:
        return f"  {name:<48} no samples"
    s = summary(values)
    return (
        f"  {name:<48} p50 {s['p50']:>8} {unit}  p95 {s['p95']:>8} {unit}  "
        f"min {s['min']:>8}  max {s['max']:>8}  (n={s['n']})"
    )


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000


async def bounded(awaitable: Awaitable, seconds: float, what: str):
    """Await with a deadline, in the current task (asyncio.timeout, not wait_for: no extra task, so no extra
    loop iteration inside a measured interval)."""
    try:
        async with asyncio.timeout(seconds):
            return await awaitable
    except TimeoutError as error:
        raise TimeoutError(f"{what} took more than {seconds:g} s") from error


async def wait_until(predicate: Callable[[], bool], seconds: float, what: str) -> float:
    """Poll every 10 ms; returns the seconds waited, raises after `seconds`."""
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > seconds:
            raise TimeoutError(f"waited more than {seconds:g} s for {what}")
        await asyncio.sleep(0.01)
    return time.monotonic() - started


def pool_quiet(host: KernelHost) -> Callable[[], bool]:
    pool = host.pool
    return lambda: len(pool.idle[()]) >= min(pool.target_size, pool.max_kernels) and pool.starting == 0


async def execute_until_idle(client: AsyncKernelClient, code: str, *, timeout: float = 30.0) -> float:
    """The round trip measured on both kernels: send execute_request, read iopub until this request's
    status:idle, polling iopub every 50 ms at most, as SandboxedKernel._execute does. Returns ms."""
    started = time.perf_counter()
    msg_id = client.execute(code, store_history=True, allow_stdin=False)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            message = await client.get_iopub_msg(timeout=0.05)
        except Exception:  # queue.Empty
            continue
        if message["parent_header"].get("msg_id") != msg_id:
            continue
        if message["msg_type"] == "status" and message["content"]["execution_state"] == "idle":
            return ms_since(started)
    raise TimeoutError(f"execute {code!r} did not finish within {timeout:g} s")


async def wait_for_sockets(paths: list[Path], alive: Callable[[], bool], timeout: float) -> None:
    """Until every path is a unix socket, polled every 10 ms (SandboxedKernel._wait_sockets, for a plain kernel)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive():
            raise RuntimeError("the plain kernel exited before binding its sockets")
        with contextlib.suppress(FileNotFoundError):
            if all(stat.S_ISSOCK(os.lstat(path).st_mode) for path in paths):
                return
        await asyncio.sleep(0.01)
    raise TimeoutError(f"the plain kernel did not bind its sockets within {timeout:g} s")


# -- memory ----------------------------------------------------------------------------------------


def smaps_rollup(pid: int) -> dict[str, int]:
    """kB fields of /proc/<pid>/smaps_rollup."""
    fields = {}
    with open(f"/proc/{pid}/smaps_rollup") as stream:
        for line in stream:
            name, _, rest = line.partition(":")
            parts = rest.split()
            if len(parts) == 2 and parts[1] == "kB":
                fields[name] = int(parts[0])
    return fields


def kernel_memory(kernel: SandboxedKernel) -> dict:
    """PSS, USS and RSS (MiB) of one kernel: the outer bwrap (a forked kernel: its keeper) and every process
    below it."""
    root = psutil.Process(kernel.process.pid if kernel.process is not None else kernel.child_pid)
    processes = [root, *root.children(recursive=True)]
    pss = uss = rss = 0
    names = []
    for process in processes:
        try:
            fields = smaps_rollup(process.pid)
            names.append(process.name())
        except (OSError, psutil.Error):
            continue
        pss += fields.get("Pss", 0)
        uss += fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0)
        rss += fields.get("Rss", 0)
    charged = None
    if kernel.cgroup is not None:  # what the memory cgroup charges the kernel: anon + tmpfs + page cache
        directory = kernel.cgroup.directories[0]
        for name in ("memory.current", "memory.usage_in_bytes"):
            with contextlib.suppress(OSError, ValueError):
                charged = int((directory / name).read_text()) / (1 << 20)
                break
    return {"pss": pss / 1024, "uss": uss / 1024, "rss": rss / 1024, "cgroup": charged, "processes": names}


def memory_summary(kernels: list[SandboxedKernel]) -> dict:
    rows = [kernel_memory(kernel) for kernel in kernels if kernel.alive]
    if not rows:
        return {}
    mean = lambda key: sum(row[key] for row in rows) / len(rows)  # noqa: E731
    charged = [row["cgroup"] for row in rows if row["cgroup"] is not None]
    return {
        "kernels": len(rows),
        "pss_mib": _round(mean("pss"), 1),
        "uss_mib": _round(mean("uss"), 1),
        "rss_mib": _round(mean("rss"), 1),
        "cgroup_charged_mib": _round(sum(charged) / len(charged), 1) if charged else None,
        "processes": rows[0]["processes"],
    }


# -- hosts -----------------------------------------------------------------------------------------


class Bench:
    def __init__(self, plan: Plan, workdir: Path):
        self.plan = plan
        self.workdir = workdir
        self.cgroup_parent = f"panlearn-bench-{os.getpid()}"
        self.results: dict = {}
        self.details: dict = {}
        self.errors: list[str] = []
        self.other_load: dict[str, float | None] = {}
        self.cpu = CpuAccount(f"panlearn-bench-{os.getpid()}-self", self.cgroup_parent)

    def config(self, **overrides) -> HostConfig:
        datasets = self.workdir / "datasets"
        datasets.mkdir(exist_ok=True)
        return replace(
            HostConfig(),
            # PANLEARN_RUNNER_FORK_KERNELS=0 measures kernels that start each in a sandbox of their own.
            fork_kernels=os.environ.get("PANLEARN_RUNNER_FORK_KERNELS", "1") != "0",
            state_dir=self.workdir / "state",
            datasets_dir=datasets,
            cgroup_name=self.cgroup_parent,
            **overrides,
        )

    @contextlib.asynccontextmanager
    async def host(self, **overrides):
        host = KernelHost(self.config(**overrides))
        try:
            await bounded(host.start(), 60, "host.start()")
            yield host
        finally:
            # KernelPool.close() cancels the refill task; a kernel it is starting at that moment is lost
            # (neither idle nor in use), so let starts finish first. Bounded: cleanup must not hang.
            if host.pool is not None:
                host.pool.target_size = 0
                with contextlib.suppress(Exception):
                    await wait_until(lambda: host.pool.starting == 0, 60, "kernel starts before close")
            with contextlib.suppress(Exception):
                await bounded(host.close(), 120, "host.close()")
            leaked = self.remove_leaked_cgroups()
            if leaked:
                self.errors.append(f"{leaked} kernel cgroup(s) were left behind after host.close(); removed")

    def cgroup_parents(self) -> list[Path]:
        if cgroup_version() == 2:
            return [CGROUP_ROOT / self.cgroup_parent]
        return [CGROUP_ROOT / "memory" / self.cgroup_parent, CGROUP_ROOT / "pids" / self.cgroup_parent]

    def remove_leaked_cgroups(self) -> int:
        """Kill whatever is left in our kernel cgroups and remove them; returns how many there were."""
        leaked = set()
        for parent in self.cgroup_parents():
            if not parent.is_dir():
                continue
            for group in [path for path in parent.iterdir() if path.is_dir()]:
                leaked.add(group.name)
                for _ in range(50):
                    with contextlib.suppress(OSError, ValueError):
                        for pid in (group / "cgroup.procs").read_text().split():
                            with contextlib.suppress(ProcessLookupError):
                                os.kill(int(pid), signal.SIGKILL)
                    try:
                        group.rmdir()
                        break
                    except FileNotFoundError:
                        break
                    except OSError:
                        time.sleep(0.02)
        return len(leaked)

    def remove_cgroup_parent(self) -> None:
        self.remove_leaked_cgroups()
        for directory in self.cgroup_parents():
            with contextlib.suppress(OSError):
                directory.rmdir()

    async def phase(self, name: str, seconds: float, body: Callable[[], Awaitable[None]]) -> None:
        say(f"\n== {name} (bounded to {seconds:g} s)")
        started = time.monotonic()
        before = self.cpu.snapshot()
        try:
            await asyncio.wait_for(body(), seconds)
        except asyncio.CancelledError:
            raise
        except BaseException as error:  # a phase failing must not stop the others, nor the JSON line
            message = f"{name}: {type(error).__name__}: {error}"
            self.errors.append(message)
            say(f"  ERROR {message}")
            logging.getLogger("bench").debug("%s", traceback.format_exc())
        others = self.cpu.others_since(before)
        self.other_load[name] = None if others is None else round(others, 2)
        if others is None:
            load = "CPU use of other processes unknown"
        else:
            load = f"other processes kept {others:.2f} of {os.cpu_count()} CPUs busy"
            if others > 0.2:
                load += "  <- NOT AN IDLE MACHINE: this phase's figures are disturbed"
        say(f"  ({name} took {time.monotonic() - started:.1f} s; {load})")

    # -- cold start --------------------------------------------------------------------------------

    async def plain_cold_start(self, index: int, watch: bool = False) -> tuple[float, float | None]:
        """An unsandboxed kernel, plain subprocess, ipc transport, same argv and environment as the sandbox
        (a fresh empty HOME each time, like the sandbox's tmpfs), waited for by SandboxedKernel._wait_ready."""
        directory = Path(tempfile.mkdtemp(prefix=f"plain{index}-", dir=self.workdir))
        home = directory / "home"
        home.mkdir()
        connection_file = directory / "connection.json"
        connection = {
            "transport": "ipc",
            "ip": str(directory / "ipc"),
            "shell_port": 1,
            "iopub_port": 2,
            "stdin_port": 3,
            "control_port": 4,
            "hb_port": 5,
            "key": uuid.uuid4().hex,
            "signature_scheme": "hmac-sha256",
            "kernel_name": "python3",
        }
        connection_file.write_text(json.dumps(connection))
        argv = [sys.executable, *(str(connection_file) if arg == CONNECTION_FILE else arg for arg in KERNEL_ARGV)]
        env = {**kernel_environment({}), "HOME": str(home)}
        plain = PlainKernel()
        bound = SocketWatch(lambda: directory / "ipc-1") if watch else None
        started = time.perf_counter()
        try:
            if bound:
                bound.start(started)
            plain.process = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=env,
                cwd=home,
                start_new_session=True,
            )
            # As SandboxedKernel.start does: wait for the five ipc sockets (polled every 10 ms), connect once,
            # then the runner's own readiness loop, called unchanged.
            sockets = [directory / f"ipc-{port}" for port in range(1, 6)]
            await wait_for_sockets(sockets, lambda: plain.alive, 30.0)
            plain.client = AsyncKernelClient()
            plain.client.load_connection_info(connection)
            plain.client.start_channels(hb=False)
            await SandboxedKernel._wait_ready(plain, 30.0)
            return ms_since(started), bound.stop() if bound else None
        finally:
            if bound:
                bound.stop()
            await plain.shutdown(now=True)
            shutil.rmtree(directory, ignore_errors=True)

    async def sandboxed_cold_start(self, host: KernelHost, watch: bool = False) -> tuple[float, float | None]:
        kernel = host._new_kernel(())
        shell = f"{IPC_PREFIX}-1"  # the shell socket, bound by the kernel inside the sandbox
        bound = SocketWatch(lambda: kernel.child_pid and f"/proc/{kernel.child_pid}/root{shell}") if watch else None
        started = time.perf_counter()
        try:
            if bound:
                bound.start(started)
            await bounded(kernel.start(timeout=30.0), 40, "sandboxed kernel start")
            return ms_since(started), bound.stop() if bound else None
        finally:
            if bound:
                bound.stop()
            await bounded(kernel.shutdown(now=True), 30, "sandboxed kernel shutdown")

    async def cold_start(self) -> None:
        samples = self.plan.cold_samples
        sandboxed: list[float] = []
        plain: list[float] = []
        async with self.host(pool_size=0, preload=()) as host:
            # one discarded start of each: page cache and the seccomp filter compile
            await self.sandboxed_cold_start(host)
            await bounded(self.plain_cold_start(-1), 40, "plain kernel start")
            for index in range(samples):
                kinds = ["sandboxed", "plain"] if index % 2 == 0 else ["plain", "sandboxed"]  # alternate the order
                for kind in kinds:
                    await asyncio.sleep(0.05)
                    if kind == "sandboxed":
                        sandboxed.append((await self.sandboxed_cold_start(host))[0])
                    else:
                        plain.append((await bounded(self.plain_cold_start(index), 40, "plain kernel start"))[0])
            # Diagnostic, separate samples: when the kernel bound its shell socket vs when the reply came.
            watched: dict[str, list[tuple[float, float]]] = {"sandboxed": [], "plain": []}
            for index in range(max(3, samples // 3)):
                await asyncio.sleep(0.05)
                watched["sandboxed"].append(await self.sandboxed_cold_start(host, watch=True))
                await asyncio.sleep(0.05)
                watched["plain"].append(await bounded(self.plain_cold_start(100 + index, watch=True), 40, "plain"))
        say(describe("sandboxed start -> kernel_info reply", sandboxed))
        say(describe("plain subprocess start -> kernel_info reply", plain))
        diagnosis = {}
        for kind, pairs in watched.items():
            binds = [bind for _, bind in pairs if bind is not None]
            gaps = [ready - bind for ready, bind in pairs if bind is not None]
            say(describe(f"  diagnostic, {kind}: start -> shell socket bound", binds))
            say(describe(f"  diagnostic, {kind}: shell bound -> reply", gaps))
            diagnosis[kind] = {"bound": summary(binds), "bound_to_reply": summary(gaps)}
        p50_sandboxed, p50_plain = percentile(sandboxed, 50), percentile(plain, 50)
        self.results["cold_start_p50_ms"] = _round(p50_sandboxed, 1)
        self.results["cold_start_plain_p50_ms"] = _round(p50_plain, 1)
        self.results["cold_start_ratio"] = _round(p50_sandboxed / p50_plain, 3)
        self.details["cold_start"] = {"sandboxed": summary(sandboxed), "plain": summary(plain), "diagnostic": diagnosis}
        say(f"  cold_start_ratio = {self.results['cold_start_ratio']}")

    # -- warm pool: memory, hand-out, round trip, grading -------------------------------------------

    async def warm_pool(self) -> None:
        async with self.host() as host:
            started = time.monotonic()
            await bounded(host.pool.fill(timeout=90), 95, "initial pool fill")
            await wait_until(pool_quiet(host), 30, "the warm pool (2 kernels)")
            say(f"  pool of {host.config.pool_size} filled in {time.monotonic() - started:.2f} s")
            await asyncio.sleep(0.5)
            memory = memory_summary(list(host.pool.idle[()]))
            self.details["idle_memory_pool2"] = memory
            say(
                f"  idle pooled kernel (pool of 2): PSS {memory['pss_mib']} MiB, USS {memory['uss_mib']} MiB, "
                f"RSS {memory['rss_mib']} MiB, cgroup charge {memory['cgroup_charged_mib']} MiB, "
                f"processes {memory['processes']}"
            )
            await self.handout(host)
            await self.warm_rtt(host)
            await self.grading(host)

    async def handout(self, host: KernelHost) -> None:
        totals, creates, firsts, refills, stalls = [], [], [], [], []
        for index in range(self.plan.handout_samples):
            await wait_until(pool_quiet(host), 60, "the pool to refill between hand-outs")
            await asyncio.sleep(0.1)  # let exited kernels' pages go before the next sample
            lag = LoopLag()
            lag.start()
            started = time.perf_counter()
            session = await bounded(host.create_session(user=f"handout-{index}", context="bench"), 30, "create")
            created = ms_since(started)
            result = await bounded(host.execute(session, "1+1"), 30, "execute 1+1")
            total = ms_since(started)
            lag.stop()
            if result.status != "ok" or result.outputs[0]["data"]["text/plain"] != "2":
                raise RuntimeError(f"hand-out sample {index}: unexpected result {result}")
            refill = await wait_until(pool_quiet(host), 60, "the refill after a hand-out")
            totals.append(total)
            creates.append(created)
            firsts.append(total - created)
            refills.append(refill * 1000 + total)
            stalls.append(lag.worst_ms)
            await bounded(host.shutdown_session(session), 30, "shutdown_session")
        say(describe("hand-out: create_session + first 1+1", totals))
        say(describe("  of which create_session (pool pop)", creates))
        say(describe("  of which first execute 1+1", firsts))
        say(describe("  worst event-loop stall during the sample", stalls))
        say(describe("hand-out -> pool full again (one refill)", refills))
        self.results["handout_p50_ms"] = _round(percentile(totals, 50))
        self.details["handout"] = {
            "total": summary(totals),
            "create_session": summary(creates),
            "first_execute": summary(firsts),
            "loop_stall": summary(stalls),
            "refill_one_ms": summary(refills),
        }
        # The same first execute on a fresh kernel without the refill competing: pool refill paused.
        quiet = []
        pool = host.pool
        for index in range(min(4, self.plan.handout_samples)):
            await wait_until(pool_quiet(host), 60, "the pool to refill")
            await asyncio.sleep(0.1)
            saved, pool.target_size = pool.target_size, 0  # no refill while this sample runs
            try:
                started = time.perf_counter()
                session = await bounded(host.create_session(user=f"quiet-{index}", context="bench"), 30, "create")
                await bounded(host.execute(session, "1+1"), 30, "execute 1+1")
                quiet.append(ms_since(started))
            finally:
                pool.target_size = saved
                pool._refill_wakeup.set()
            await bounded(host.shutdown_session(session), 30, "shutdown_session")
        say(describe("hand-out with the refill held back (diagnostic)", quiet))
        self.details["handout"]["without_refill"] = summary(quiet)

    async def plain_manager(self, transport: str, preload: str, stack: contextlib.AsyncExitStack):
        """A plain local ipykernel through AsyncKernelManager + AsyncKernelClient: same kernel arguments,
        environment and preload as the sandboxed kernels, no sandbox. Shut down by `stack`."""
        home = Path(tempfile.mkdtemp(prefix=f"rtt-{transport}-", dir=self.workdir))
        stack.callback(shutil.rmtree, home, ignore_errors=True)
        options = {"transport": "ipc", "ip": str(home / "kernel-ipc")} if transport == "ipc" else {}
        manager = AsyncKernelManager(kernel_name="python3", **options)

        async def stop() -> None:
            with contextlib.suppress(Exception):
                await bounded(manager.shutdown_kernel(now=True), 30, "plain kernel shutdown")

        stack.push_async_callback(stop)
        env = {**kernel_environment({}), "HOME": str(home), "MPLCONFIGDIR": str(home / "matplotlib")}
        await bounded(
            manager.start_kernel(
                extra_arguments=["--HistoryManager.enabled=False"],
                env=env,
                cwd=str(home),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            ),
            60,
            "plain kernel start",
        )
        client = manager.client()
        client.start_channels()
        stack.callback(client.stop_channels)
        await bounded(client.wait_for_ready(timeout=60), 65, "plain kernel ready")
        await bounded(execute_until_idle(client, preload, timeout=60), 65, "plain preload")
        return client

    async def warm_rtt(self, host: KernelHost) -> None:
        await wait_until(pool_quiet(host), 60, "the pool to refill")
        session = await bounded(host.create_session(user="rtt", context="bench"), 30, "create")
        series: dict[str, list[float]] = {"sandboxed": [], "plain_tcp": [], "plain_ipc": []}
        host_rtt: list[float] = []
        try:
            async with contextlib.AsyncExitStack() as stack:
                clients = {
                    "sandboxed": session.kernel.client,
                    "plain_tcp": await self.plain_manager("tcp", host._preload_code(), stack),
                    "plain_ipc": await self.plain_manager("ipc", host._preload_code(), stack),
                }
                await wait_until(pool_quiet(host), 60, "the refill after the rtt hand-out")
                for _ in range(20):  # warm-up, discarded
                    for client in clients.values():
                        await execute_until_idle(client, "1+1")
                names = list(clients)
                for index in range(self.plan.rtt_samples):
                    shift = index % len(names)  # rotate the order so no kernel always runs first
                    for name in names[shift:] + names[:shift]:
                        series[name].append(await execute_until_idle(clients[name], "1+1", timeout=10))
                for _ in range(self.plan.rtt_samples // 2):  # the product path: KernelHost.execute
                    started = time.perf_counter()
                    await bounded(host.execute(session, "1+1"), 10, "host.execute")
                    host_rtt.append(ms_since(started))
        finally:
            with contextlib.suppress(Exception):
                await bounded(host.shutdown_session(session), 30, "shutdown_session")
        say(describe("warm 1+1 round trip, sandboxed (ipc)", series["sandboxed"]))
        say(describe("warm 1+1 round trip, plain AsyncKernelManager (tcp)", series["plain_tcp"]))
        say(describe("warm 1+1 round trip, plain AsyncKernelManager (ipc)", series["plain_ipc"]))
        say(describe("warm 1+1 via KernelHost.execute (sandboxed)", host_rtt))
        p50 = {name: percentile(values, 50) for name, values in series.items()}
        self.results["warm_rtt_p50_ms"] = _round(p50["sandboxed"])
        self.results["warm_rtt_plain_p50_ms"] = _round(p50["plain_tcp"])
        self.results["warm_rtt_ratio"] = _round(p50["sandboxed"] / p50["plain_tcp"], 3)
        self.results["warm_rtt_plain_ipc_p50_ms"] = _round(p50["plain_ipc"])
        self.results["warm_rtt_ratio_vs_plain_ipc"] = _round(p50["sandboxed"] / p50["plain_ipc"], 3)
        self.results["host_execute_rtt_p50_ms"] = _round(percentile(host_rtt, 50))
        self.details["warm_rtt"] = {name: summary(values) for name, values in series.items()}
        self.details["warm_rtt"]["host_execute"] = summary(host_rtt)
        say(
            f"  warm_rtt_ratio = {self.results['warm_rtt_ratio']} (vs the default tcp baseline); "
            f"{self.results['warm_rtt_ratio_vs_plain_ipc']} vs a plain kernel on ipc like the sandbox"
        )

    async def grading(self, host: KernelHost) -> None:
        totals = []
        for index in range(self.plan.grading_samples):
            await wait_until(pool_quiet(host), 60, "the pool to refill between grading runs")
            await asyncio.sleep(0.1)
            started = time.perf_counter()
            result = await bounded(host.grade(code=STUDENT_CODE, tests=GRADING_TESTS), 60, "host.grade")
            totals.append(ms_since(started))
            passed = [test.status for test in result.tests]
            if result.status != "completed" or passed != ["passed"] * len(GRADING_TESTS):
                raise RuntimeError(f"grading sample {index}: {result.status} {passed} {result.message}")
        say(describe("grading run, 5 tests (host.grade: a forked student process, a forked tests process)", totals))
        self.results["grading_run_p50_ms"] = _round(percentile(totals, 50))
        self.details["grading"] = {"total": summary(totals)}

    # -- burst of 40 -------------------------------------------------------------------------------

    async def burst(self) -> None:
        size = self.plan.burst_size
        overrides = {"pool_size": size, "max_kernels": size, "kernels_per_user": 3}
        if self.plan.burst_preload is not None:
            overrides["preload"] = self.plan.burst_preload
            say(f"  NOTE: burst pool preloads only {self.plan.burst_preload}, not the default preload")
        first_replies: list[float] = []
        fills, rates, stalls = [], [], []
        async with self.host(**overrides) as host:
            pool = host.pool
            for round_index in range(self.plan.burst_rounds):
                started_before = pool.stats.started
                started = time.monotonic()
                await bounded(pool.fill(timeout=170), 175, f"filling {size} kernels")
                if len(pool.idle[()]) < size:
                    raise TimeoutError(f"the pool held only {len(pool.idle[()])} of {size} kernels after 170 s")
                fill_seconds = time.monotonic() - started
                started_kernels = pool.stats.started - started_before
                fills.append(fill_seconds)
                rates.append(started_kernels / fill_seconds)
                say(
                    f"  round {round_index + 1}: {started_kernels} preloaded kernels started by the background refill "
                    f"in {fill_seconds:.1f} s = {started_kernels / fill_seconds:.2f} kernels/s "
                    f"(mean start {pool.stats.start_seconds_total / max(pool.stats.started, 1):.2f} s each, "
                    f"{pool.refill_concurrency} at a time)"
                )
                await asyncio.sleep(1.0)
                if round_index == 0:
                    memory = memory_summary(list(pool.idle[()]))
                    self.details["idle_memory_pool40"] = memory
                    say(
                        f"  idle pooled kernel (pool of {size}): PSS {memory['pss_mib']} MiB, "
                        f"USS {memory['uss_mib']} MiB, RSS {memory['rss_mib']} MiB, "
                        f"cgroup charge {memory['cgroup_charged_mib']} MiB"
                    )
                handed_before, waited_before = pool.stats.handed_out, pool.stats.waited
                starts_before = pool.stats.started

                async def one(index: int, round_index: int, started: float) -> tuple[float, str]:
                    session = await host.create_session(user=f"burst-{round_index}-{index}", context="bench")
                    result = await host.execute(session, "1+1")
                    return ms_since(started), result.status

                lag = LoopLag()
                lag.start()
                started = time.perf_counter()
                everyone = asyncio.gather(*(one(index, round_index, started) for index in range(size)))
                replies = await bounded(everyone, 120, "the burst")
                lag.stop()
                stalls.append(lag.worst_ms)
                bad = [status for _, status in replies if status != "ok"]
                if bad:
                    raise RuntimeError(f"burst: {len(bad)} executions did not succeed: {bad[:5]}")
                first_replies += [elapsed for elapsed, _ in replies]
                cold = pool.stats.started - starts_before
                say(
                    f"  round {round_index + 1}: {pool.stats.handed_out - handed_before} hand-outs, "
                    f"{pool.stats.waited - waited_before} waited, {cold} cold starts; "
                    f"slowest reply {max(elapsed for elapsed, _ in replies):.0f} ms; "
                    f"worst event-loop stall {lag.worst_ms:.0f} ms"
                )
                if round_index + 1 < self.plan.burst_rounds:  # the last round's kernels go with host.close()
                    sessions = list(host.sessions.values())
                    await bounded(
                        asyncio.gather(*(host.shutdown_session(session) for session in sessions)), 60, "shutdowns"
                    )
        say(describe(f"burst of {size}: request -> first 1+1 reply", first_replies))
        self.results["burst40_first_reply_p95_ms"] = _round(percentile(first_replies, 95))
        self.results["burst40_first_reply_p50_ms"] = _round(percentile(first_replies, 50))
        self.results["burst40_pool_fill_s"] = _round(sum(fills) / len(fills), 1)
        self.results["refill_kernels_per_s"] = _round(sum(rates) / len(rates), 3)
        self.details["burst"] = {
            "first_reply": summary(first_replies),
            "fill_seconds": [round(value, 2) for value in fills],
            "loop_stall_ms": [round(value, 1) for value in stalls],
            "preload": list(self.plan.burst_preload or HostConfig().preload),
        }


class PlainKernel:
    """Just what SandboxedKernel._wait_ready touches, for an unsandboxed subprocess kernel."""

    def __init__(self):
        self.process: subprocess.Popen | None = None
        self.client: AsyncKernelClient | None = None

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def death_reason(self) -> str:
        return f"the plain kernel exited with {self.process.returncode if self.process else None}"

    async def shutdown(self, *, now: bool = False) -> None:
        if self.client is not None:
            self.client.stop_channels()
            self.client = None
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            await asyncio.to_thread(self.process.wait, 10)


class CpuAccount:
    """How busy *other* processes kept the machine: /proc/stat busy time minus our own CPU time.

    Our own time is read from a CPU-accounting cgroup the bench moves itself into at start: every process
    it forks afterwards (bwrap, kernels, baseline kernels) is counted there, dead or alive. Kernels leave it
    on cgroup v2 only (their memory/pids group is in the same tree), so there their parent group is added.
    If no such cgroup can be made, the figure is None rather than a guess."""

    def __init__(self, name: str, kernel_parent: str):
        self.version = cgroup_version()
        self.kernel_parent = kernel_parent
        self.group: Path | None = None
        self.origin: Path | None = None
        candidate = CGROUP_ROOT / name if self.version == 2 else CGROUP_ROOT / "cpuacct" / name
        try:
            relative = self._own_group()
            if relative is None:
                return
            candidate.mkdir()
            (candidate / "cgroup.procs").write_text(str(os.getpid()))
            self.group = candidate
            self.origin = (CGROUP_ROOT if self.version == 2 else CGROUP_ROOT / "cpuacct") / relative.lstrip("/")
        except OSError:
            with contextlib.suppress(OSError):
                candidate.rmdir()

    def _own_group(self) -> str | None:
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            if (self.version == 2 and controllers == "") or (self.version == 1 and "cpuacct" in controllers.split(",")):
                return path
        return None

    def _ours(self) -> float | None:
        if self.group is None:
            return None
        if self.version == 1:
            return int((self.group / "cpuacct.usage").read_text()) / 1e9
        total = 0.0
        for group in (self.group, CGROUP_ROOT / self.kernel_parent):
            with contextlib.suppress(OSError, ValueError):
                for line in (group / "cpu.stat").read_text().splitlines():
                    if line.startswith("usage_usec "):
                        total += int(line.split()[1]) / 1e6
        return total

    def snapshot(self) -> tuple[float, float, float | None]:
        values = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        busy = (values[0] + values[1] + values[2] + values[5] + values[6]) / os.sysconf("SC_CLK_TCK")
        return time.monotonic(), busy, self._ours()

    def others_since(self, before: tuple[float, float, float | None]) -> float | None:
        """Mean number of CPUs other processes kept busy since `before`."""
        after = self.snapshot()
        if before[2] is None or after[2] is None:
            return None
        wall = max(after[0] - before[0], 1e-6)
        return max(0.0, (after[1] - before[1]) - (after[2] - before[2])) / wall

    def close(self) -> None:
        if self.group is None:
            return
        with contextlib.suppress(OSError):
            (self.origin / "cgroup.procs").write_text(str(os.getpid()))
        for _ in range(50):  # reaped children may take a moment to leave
            try:
                self.group.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError:
                time.sleep(0.02)


class SocketWatch:
    """When a path (an ipc socket file) first exists, polled every 1 ms, in ms since `started`."""

    def __init__(self, path: Callable[[], str | Path | None]):
        self.path = path
        self.seen_ms: float | None = None
        self._task: asyncio.Task | None = None

    def start(self, started: float) -> None:
        self._task = asyncio.get_running_loop().create_task(self._watch(started))

    async def _watch(self, started: float) -> None:
        while self.seen_ms is None:
            path = self.path()
            if path and os.path.exists(path):
                self.seen_ms = ms_since(started)
                return
            await asyncio.sleep(0.001)

    def stop(self) -> float | None:
        if self._task is not None:
            self._task.cancel()
        return self.seen_ms


class LoopLag:
    """The longest the event loop went without running a 1 ms ticker: time spent blocked in sync code."""

    def __init__(self):
        self.worst_ms = 0.0
        self._task: asyncio.Task | None = None
        self._last = time.perf_counter()

    def start(self) -> None:
        self._last = time.perf_counter()
        self._task = asyncio.get_running_loop().create_task(self._tick())

    async def _tick(self) -> None:
        while True:
            self._last = time.perf_counter()
            await asyncio.sleep(0.001)
            self.worst_ms = max(self.worst_ms, ms_since(self._last) - 1.0)

    def stop(self) -> None:
        """Also counts a stall still under way: the ticker may not have run since the blocking call."""
        self.worst_ms = max(self.worst_ms, ms_since(self._last) - 1.0)
        if self._task is not None:
            self._task.cancel()


# -- machine facts and report ----------------------------------------------------------------------


def machine_facts() -> dict:
    def version(name: str) -> str | None:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            return None

    cpu_model = None
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    bwrap = None
    with contextlib.suppress(Exception):
        bwrap = subprocess.run([bwrap_path(), "--version"], capture_output=True, text=True, timeout=5).stdout.strip()
    commit = None
    with contextlib.suppress(Exception):
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=5
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--", "runner"], cwd=ROOT, capture_output=True, text=True, timeout=5
        ).stdout
        if status.strip():
            commit += " + uncommitted changes in runner/"
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)),
        "cpu_model": cpu_model,
        "memory_gib": round(psutil.virtual_memory().total / (1 << 30), 1),
        "loadavg_at_start": os.getloadavg(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "ipykernel": version("ipykernel"),
        "jupyter_client": version("jupyter_client"),
        "pyzmq": version("pyzmq"),
        "numpy": version("numpy"),
        "bubblewrap": bwrap,
        "cgroup_version": cgroup_version(),
        "git_commit": commit,
    }


def target_lines(results: dict) -> list[str]:
    lines = []
    for name, (target, unit) in TARGETS.items():
        value = results.get(name)
        if value is None:
            lines.append(f"  {name:<28} {'n/a':>10}        target <= {target:g} {unit}   NOT MEASURED")
            continue
        ratio = value / target
        verdict = "ok" if value <= target else "MISSES"
        lines.append(
            f"  {name:<28} {value:>10} {unit:<4}  target <= {target:g} {unit:<4} value/target {ratio:5.2f}  {verdict}"
        )
    return lines


async def run(plan: Plan, quick: bool) -> tuple[dict, bool]:
    workdir = Path(tempfile.mkdtemp(prefix="panlearn-bench-"))
    workdir.chmod(0o755)  # sandboxes, which run as an unprivileged uid, mount directories below it
    bench = Bench(plan, workdir)
    facts = machine_facts()
    say(f"panlearn runner benchmark ({'quick' if quick else 'full'}), {facts['date']}")
    say(
        f"  {facts['cpu_count']} CPUs ({facts['cpu_model']}), {facts['memory_gib']} GiB, Python {facts['python']}, "
        f"ipykernel {facts['ipykernel']}, jupyter_client {facts['jupyter_client']}, {facts['bubblewrap']}, "
        f"cgroup v{facts['cgroup_version']}, load {facts['loadavg_at_start']}"
    )
    started = time.monotonic()
    budget = 1.0 if quick else 3.0
    try:
        await bench.phase("cold start", 60 * budget, bench.cold_start)
        await bench.phase("warm pool: memory, hand-out, round trip, grading", 110 * budget, bench.warm_pool)
        await bench.phase(f"burst of {plan.burst_size}", 200 * budget, bench.burst)
    finally:
        bench.remove_cgroup_parent()
        bench.cpu.close()
        shutil.rmtree(workdir, ignore_errors=True)
    # PSS shares each shared page among the processes mapping it, so it depends on how many kernels run:
    # the headline is the mean over the full pool of 40 (the host's size); the pool of 2 is kept alongside.
    pool40 = (bench.details.get("idle_memory_pool40") or {}).get("pss_mib")
    pool2 = (bench.details.get("idle_memory_pool2") or {}).get("pss_mib")
    bench.results["idle_pss_mib"] = pool40 if pool40 is not None else pool2
    bench.results["idle_pss_mib_measured_on"] = "pool of 40" if pool40 is not None else "pool of 2"
    bench.results["idle_pss_mib_pool2"] = pool2
    bench.results["idle_uss_mib"] = (bench.details.get("idle_memory_pool40") or {}).get("uss_mib")
    say("\n== figures against their targets")
    for line in target_lines(bench.results):
        say(line)
    for error in bench.errors:
        say(f"  ERROR {error}")
    say(f"  total {time.monotonic() - started:.0f} s")
    report = {
        **{name: bench.results.get(name) for name in TARGETS},
        **bench.results,
        "targets": {name: target for name, (target, _) in TARGETS.items()},
        "mode": "quick" if quick else "full",
        "samples": {
            "cold_start": plan.cold_samples,
            "handout": plan.handout_samples,
            "warm_rtt": plan.rtt_samples,
            "grading": plan.grading_samples,
            "burst_rounds": plan.burst_rounds,
        },
        "machine": facts,
        "other_processes_cpus_busy": bench.other_load,
        "details": bench.details,
        "errors": bench.errors,
        "duration_s": round(time.monotonic() - started, 1),
    }
    complete = all(bench.results.get(name) is not None for name in TARGETS) and not bench.errors
    return report, complete


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer samples, about 3 minutes on 2 cores")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object on the last line")
    parser.add_argument(
        "--burst-preload",
        help="comma-separated modules preloaded by the burst pool instead of the default (say so when you publish)",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    plan = QUICK if args.quick else FULL
    if args.burst_preload is not None:
        plan = replace(plan, burst_preload=tuple(name for name in args.burst_preload.split(",") if name.strip()))

    async def guarded() -> tuple[dict, bool]:
        task = asyncio.current_task()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, task.cancel)
        return await run(plan, args.quick)

    try:
        report, complete = asyncio.run(guarded())
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("interrupted: kernels, cgroups and temporary files were cleaned up", file=sys.stderr, flush=True)
        return 130
    if args.json:
        print(json.dumps(report, default=str), flush=True)
    return 0 if complete else 1


if __name__ == "__main__":
    sys.exit(main())
