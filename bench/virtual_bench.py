"""Benchmark of virtual experiments: shadow4 in sandboxed kernels (issue 21).

    .venv/bin/python bench/virtual_bench.py --quick --json

Two real kernel hosts (`python -m runner serve` on a unix socket, default limits, a pool of two), one
after the other: the first preloads the default scientific stack, the second that stack and shadow4.

- shadow4_import_ms: `import` of shadow4's source, beamline, toroid and screen modules in a fresh kernel
  of the first host (the stack already preloaded, the files in the page cache), timed inside the kernel;
- trace_100k_p50_ms: panlearn_shadow4.trace of 100,000 rays (Gaussian source, slit, toroid, image
  screen) in a sandboxed kernel, timed inside it, after one warm-up trace;
- trace_unsandboxed_p50_ms: the same trace in a plain subprocess of the same venv with the kernel's
  thread settings, alternated with the sandboxed runs;
- trace_sandbox_ratio: their ratio (target <= 1.1);
- idle_pss_mib_default, idle_pss_mib_with_shadow4: the PSS of an idle pool kernel of each host
  (its Python process, read from the host's /proc), and their difference.

With --json the LAST line is one JSON object. Everything started is stopped at exit.
"""

import argparse
import asyncio
import contextlib
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

WORK = Path(tempfile.mkdtemp(prefix="panlearn-virtual-bench-"))
WORK.chmod(0o755)  # its datasets directory is mounted into sandboxes, which run as an unprivileged uid
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "panlearn.settings.test")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

from runner.client import AsyncRunnerClient  # noqa: E402
from runner.host_config import HostConfig  # noqa: E402
from runner.sandbox import KERNEL_LIB_SOURCE, kernel_environment  # noqa: E402

TARGETS = {"trace_sandbox_ratio": 1.1}
SHADOW4_MODULES = (
    "shadow4.sources.source_geometrical.source_geometrical",
    "shadow4.beamline.s4_beamline",
    "shadow4.beamline.optical_elements.mirrors.s4_toroid_mirror",
    "shadow4.beamline.optical_elements.absorbers.s4_screen",
)
IMPORT_CELL = (
    "import time as _t\n_s = _t.perf_counter()\n"
    + "".join(f"import {module}\n" for module in SHADOW4_MODULES)
    + "print((_t.perf_counter() - _s) * 1000)"
)
TRACE_CELL = "import panlearn_shadow4 as _s4\nprint(_s4.trace(_s4.ToroidBeamline(nrays={nrays})).trace_ms)"
# The unsandboxed side: the same code in a plain process of the same venv, one trace per line on stdin.
PLAIN_LOOP = (
    "import sys, panlearn_shadow4 as s4\n"
    "for line in sys.stdin:\n"
    "    print(s4.trace(s4.ToroidBeamline(nrays=int(line))).trace_ms, flush=True)\n"
)


def say(line: str) -> None:
    print(line, flush=True)


class Host:
    def __init__(self, name: str, preload: tuple[str, ...]):
        self.socket = str(WORK / f"{name}.sock")
        (WORK / f"{name}-datasets").mkdir()
        env = {
            **os.environ,
            "PANLEARN_VAR_DIR": str(WORK / f"{name}-var"),
            "PANLEARN_RUNNER_POOL_SIZE": "2",
            "PANLEARN_RUNNER_MAX_KERNELS": "6",
            "PANLEARN_RUNNER_PRELOAD": ",".join(preload),
            "PANLEARN_RUNNER_DATASETS_DIR": str(WORK / f"{name}-datasets"),
            "PANLEARN_RUNNER_CGROUP_NAME": f"panlearn-virtual-bench-{name}-{os.getpid()}",
        }
        self.log_path = WORK / f"{name}.log"
        self.log = open(self.log_path, "wb")  # noqa: SIM115  closed in close()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "runner", "serve", "--socket", self.socket],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.client = AsyncRunnerClient(
            base_url="http://runner", secret=settings.PANLEARN_RUNNER_SECRET, socket_path=self.socket, timeout=300
        )

    async def wait_for_pool(self, idle: int = 2, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(Exception):
                if (await self.client.metrics())["pool_idle"] >= idle:
                    return
            await asyncio.sleep(0.3)
        raise RuntimeError(f"the pool did not fill. Kernel host log:\n{self.log_path.read_text()[-2000:]}")

    async def run(self, session: dict, user: str, code: str) -> float:
        reply = await self.client.execute(session["session_id"], user=user, code=code)
        text = "".join(output.get("text", "") for output in reply.outputs if output["output_type"] == "stream")
        if reply.status != "ok":
            raise RuntimeError(f"cell failed: {reply.outputs}")
        return float(text.strip().splitlines()[-1])

    def idle_kernel_pss_mib(self) -> list[float]:
        """PSS of each kernel's Python process below this host (the pool's idle kernels)."""
        values = []
        for pid in descendants(self.process.pid):
            try:
                argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
                # bwrap and the sandbox's init carry the same command line: the kernel is the Python.
                if b"ipykernel_launcher" not in argv or not os.path.basename(argv[0]).startswith(b"python"):
                    continue
                rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
            except OSError:
                continue
            values.append(int(next(line for line in rollup.splitlines() if line.startswith("Pss:")).split()[1]) / 1024)
        return values

    async def close(self) -> None:
        await self.client.aclose()
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError):
                parent = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(parent, []).append(int(entry))
    found, stack = set(), [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


async def idle_pss(host: Host) -> float:
    await host.wait_for_pool()
    await asyncio.sleep(2)  # the pool's refill done, its kernels settled
    values = host.idle_kernel_pss_mib()
    if not values:
        raise RuntimeError("no idle kernel found below the host")
    return statistics.median(values)


SCALING_CELL = """
import json, panlearn_shadow4 as s4
s4.trace(s4.ToroidBeamline(nrays=1000))
result = s4.trace(s4.ToroidBeamline(nrays={nrays}))
with open("/proc/self/status") as status:
    peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))
print(json.dumps([result.trace_ms, peak / 1024]))
"""


async def scaling(host: Host) -> list[dict]:
    """Trace time and the kernel's peak memory by number of rays, each in a fresh kernel."""
    rows = []
    for nrays in (10_000, 50_000, 100_000, 200_000, 250_000):
        await host.wait_for_pool()
        user = f"scaling-{nrays}"
        session = await host.client.create_session(user=user, context="bench")
        reply = await host.client.execute(session["session_id"], user=user, code=SCALING_CELL.format(nrays=nrays))
        text = "".join(output.get("text", "") for output in reply.outputs if output["output_type"] == "stream")
        if reply.status == "ok":
            trace_ms, peak_mib = json.loads(text.strip().splitlines()[-1])
            rows.append({"nrays": nrays, "trace_ms": round(trace_ms), "peak_mib": round(peak_mib)})
        else:
            rows.append({"nrays": nrays, "status": reply.status, "cause": reply.cause})
        say(f"  {nrays} rays: {rows[-1]}")
        with contextlib.suppress(Exception):
            await host.client.shutdown(session["session_id"], user=user)
    return rows


def plain_process() -> subprocess.Popen:
    """A plain (unsandboxed) Python of the same venv, with the kernel's environment but no sandbox."""
    env = kernel_environment({})
    env.update(PYTHONPATH=str(KERNEL_LIB_SOURCE), HOME=str(WORK), MPLCONFIGDIR=str(WORK / "mpl"), MPLBACKEND="Agg")
    return subprocess.Popen(
        [sys.executable, "-c", PLAIN_LOOP], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )


def plain_trace(process: subprocess.Popen, nrays: int) -> float:
    process.stdin.write(f"{nrays}\n")
    process.stdin.flush()
    return float(process.stdout.readline())


async def measure(args) -> dict:
    imports, traces, nrays = (3, 5, 100_000) if args.quick else (7, 11, 100_000)
    figures: dict = {}
    default_preload = HostConfig().preload

    host = Host("default", default_preload)
    try:
        await host.wait_for_pool()
        figures["idle_pss_mib_default"] = round(await idle_pss(host), 1)
        import_ms = []
        for number in range(imports):  # each in a fresh kernel from the pool
            await host.wait_for_pool()
            user = f"import-{number}"
            session = await host.client.create_session(user=user, context="bench")
            import_ms.append(await host.run(session, user, IMPORT_CELL))
            await host.client.shutdown(session["session_id"], user=user)
        figures["shadow4_import_ms"] = round(statistics.median(import_ms), 1)
        say(f"import shadow4 in a fresh kernel: p50 {figures['shadow4_import_ms']} ms ({len(import_ms)} kernels)")

        await host.wait_for_pool()
        session = await host.client.create_session(user="tracer", context="bench")
        plain = plain_process()
        try:
            await host.run(session, "tracer", TRACE_CELL.format(nrays=nrays))  # warm-up: imports, first use
            plain_trace(plain, nrays)
            sandboxed, unsandboxed = [], []
            for _ in range(traces):  # alternated: the machine's noise hits both alike
                sandboxed.append(await host.run(session, "tracer", TRACE_CELL.format(nrays=nrays)))
                unsandboxed.append(plain_trace(plain, nrays))
        finally:
            plain.stdin.close()
            plain.wait(timeout=30)
        await host.client.shutdown(session["session_id"], user="tracer")
        if args.scaling:
            figures["scaling"] = await scaling(host)
        figures["trace_100k_p50_ms"] = round(statistics.median(sandboxed), 1)
        figures["trace_100k_max_ms"] = round(max(sandboxed), 1)
        figures["trace_unsandboxed_p50_ms"] = round(statistics.median(unsandboxed), 1)
        figures["trace_sandbox_ratio"] = round(figures["trace_100k_p50_ms"] / figures["trace_unsandboxed_p50_ms"], 3)
        say(f"100k-ray trace: sandboxed p50 {figures['trace_100k_p50_ms']} ms, "
            f"unsandboxed p50 {figures['trace_unsandboxed_p50_ms']} ms ({traces} each, alternated)")  # fmt: skip
    finally:
        await host.close()

    host = Host("shadow4", (*default_preload, *SHADOW4_MODULES))
    try:
        figures["idle_pss_mib_with_shadow4"] = round(await idle_pss(host), 1)
    finally:
        await host.close()
    figures["idle_pss_mib_shadow4_cost"] = round(
        figures["idle_pss_mib_with_shadow4"] - figures["idle_pss_mib_default"], 1
    )
    say(f"idle kernel PSS: {figures['idle_pss_mib_default']} MiB with the default preload, "
        f"{figures['idle_pss_mib_with_shadow4']} MiB with shadow4 too")  # fmt: skip
    figures.update(
        nrays=nrays,
        samples={"imports": imports, "traces": traces},
        load=os.getloadavg()[0],
        machine=f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        date=datetime.date.today().isoformat(),
    )
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer samples (about two minutes)")
    parser.add_argument("--scaling", action="store_true", help="also time 10k to 250k rays, each in a fresh kernel")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object on the last line")
    args = parser.parse_args()
    say(f"load before: {os.getloadavg()[0]:.2f}")
    try:
        figures = asyncio.run(measure(args))
    finally:
        shutil.rmtree(WORK, ignore_errors=True)
    for name, limit in TARGETS.items():
        say(f"{name}: {figures[name]} (target <= {limit}) {'ok' if figures[name] <= limit else 'OVER'}")
    if args.json:
        print(json.dumps(figures), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
