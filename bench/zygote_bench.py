"""Zygote (fork from a pre-imported parent) against the warm pool: refill cost, memory, isolation.

Both sides run inside the same bubblewrap sandbox spec as production kernels.
- pool: a fresh sandboxed kernel with the scientific stack imported, as the pool refills it;
- zygote: one sandboxed parent that imported the same stack once; each kernel is a fork of it
  that starts an ipykernel app on its own ipc sockets.
Figures: wall time to a ready kernel (first kernel_info reply), CPU seconds spent, and the
kernel's own memory (PSS). The isolation check then asks one zygote child to see and signal a
sibling, which the pool's per-kernel sandboxes make impossible.

    python bench/zygote_bench.py [--samples N] [--json]
"""

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from jupyter_client.asynchronous import AsyncKernelClient

from runner.host import HostConfig, KernelHost
from runner.kernel import SandboxedKernel
from runner.launch import sandbox_init_pid, spawn_sandbox
from runner.sandbox import IPC_PREFIX, SandboxSpec

PRELOAD = "numpy,scipy,matplotlib,matplotlib.pyplot,pandas,h5py"
ZYGOTE = r"""
import importlib, json, os, sys
for name in sys.argv[1].split(","):
    importlib.import_module(name)
from ipykernel.kernelapp import IPKernelApp  # the kernel machinery is pre-imported too
print("ready", flush=True)
for line in sys.stdin:
    index = int(line)
    pid = os.fork()
    if pid == 0:
        devnull = os.open("/dev/null", os.O_RDWR)
        os.dup2(devnull, 0)
        os.dup2(devnull, 1)
        connection = {"transport": "ipc", "ip": "/run/kernel/z%d" % index, "shell_port": 1, "iopub_port": 2,
                      "stdin_port": 3, "control_port": 4, "hb_port": 5, "key": "", "signature_scheme": "hmac-sha256"}
        path = "/tmp/z%d.json" % index
        with open(path, "w") as stream:
            json.dump(connection, stream)
        app = IPKernelApp.instance()
        app.initialize(["-f", path, "--HistoryManager.enabled=False"])
        app.start()
        os._exit(0)
    print(pid, flush=True)
"""


def pss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def descendants(pid: int) -> list[int]:
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        try:
            children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
        except OSError:
            continue
        for child in map(int, children):
            found.append(child)
            frontier.append(child)
    return found


def cpu_seconds(pids: list[int]) -> float:
    total = 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
        except (OSError, IndexError):
            continue
    return total


async def wait_ready(client: AsyncKernelClient, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    sent = time.monotonic()
    client.kernel_info()
    while time.monotonic() < deadline:
        try:
            reply = await client.get_shell_msg(timeout=0.02)
        except Exception:
            if time.monotonic() - sent > 0.5:
                sent = time.monotonic()
                client.kernel_info()
            continue
        if reply["msg_type"] == "kernel_info_reply":
            return
    raise TimeoutError("kernel did not answer")


async def measure_pool(host: KernelHost, samples: int) -> dict:
    preload = host._preload_code()
    times, cpu, pss = [], [], []
    for _ in range(samples):
        kernel = host._new_kernel(())
        started = time.monotonic()
        await kernel.start()
        await kernel.preload(preload)
        times.append(time.monotonic() - started)
        pids = [kernel.process.pid, *descendants(kernel.process.pid)]
        cpu.append(cpu_seconds(pids))
        pss.append(sum(pss_kib(pid) for pid in pids) / 1024)
        await kernel.shutdown(now=True)
    return {
        "ready_s_p50": statistics.median(times),
        "cpu_s_p50": statistics.median(cpu),
        "pss_mib_p50": statistics.median(pss),
    }


async def measure_zygote(host: KernelHost, samples: int) -> dict:
    spec = SandboxSpec(argv=[sys.executable, "-c", ZYGOTE, PRELOAD], limits=host.config.limits)
    zygote = SandboxedKernel(spec=spec, cgroup=host._new_kernel(()).cgroup, secure=host.secure)
    # The sandbox launcher of kernels, but the zygote is driven over its stdin/stdout instead of ZMQ.
    started = time.monotonic()
    process = await _launch_zygote(zygote)
    line = await asyncio.wait_for(asyncio.to_thread(process.stdout.readline), 60)
    assert line.strip() == b"ready", line
    parent_ready = time.monotonic() - started
    sandbox_pid = zygote.child_pid
    times, cpu, pss, clients, child_pids = [], [], [], [], []
    for index in range(samples):
        before = time.monotonic()
        process.stdin.write(f"{index}\n".encode())
        process.stdin.flush()
        child = int((await asyncio.to_thread(process.stdout.readline)).strip())
        client = AsyncKernelClient()
        client.load_connection_info(
            {
                "transport": "ipc",
                "ip": f"/proc/{sandbox_pid}/root/run/kernel/z{index}",
                "shell_port": 1,
                "iopub_port": 2,
                "stdin_port": 3,
                "control_port": 4,
                "hb_port": 5,
                "key": b"",
                "signature_scheme": "hmac-sha256",
            }
        )
        client.start_channels()
        await wait_ready(client)
        times.append(time.monotonic() - before)
        clients.append(client)
        host_children = [pid for pid in descendants(process.pid) if pid not in child_pids]
        newest = max(host_children) if host_children else None
        if newest:
            child_pids.append(newest)
            cpu.append(cpu_seconds([newest]))
            pss.append(pss_kib(newest) / 1024)
        del child
    isolation = await _sibling_check(clients)
    for client in clients:
        client.stop_channels()
    await zygote.shutdown(now=True)
    return {
        "parent_ready_s": parent_ready,
        "ready_s_p50": statistics.median(times),
        "cpu_s_p50": statistics.median(cpu) if cpu else None,
        "pss_mib_p50": statistics.median(pss) if pss else None,
        "sibling_visible": isolation,
    }


async def _launch_zygote(zygote: SandboxedKernel):
    """Start the zygote through the same bwrap/seccomp/cgroup path as kernels, with pipes attached."""
    spawned = spawn_sandbox(
        zygote.spec, cgroup=zygote.cgroup, secure=zygote.secure, files={}, stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    zygote.process = spawned.process
    zygote.child_pid = await sandbox_init_pid(spawned, 30)
    return spawned.process


async def _sibling_check(clients: list[AsyncKernelClient]) -> bool:
    """Can the first zygote child see the second one's process? (Pool kernels never can.)"""
    if len(clients) < 2:
        return False
    client = clients[0]
    msg_id = client.execute("import os; print(len([p for p in os.listdir('/proc') if p.isdigit()]))")
    count = 0
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            message = await client.get_iopub_msg(timeout=0.1)
        except Exception:
            continue
        if message["parent_header"].get("msg_id") != msg_id:
            continue
        if message["msg_type"] == "stream":
            count = int(message["content"]["text"].strip())
        if message["msg_type"] == "status" and message["content"]["execution_state"] == "idle":
            break
    return count > 3  # bwrap's init, the zygote, this child: anything more is a sibling


async def main(samples: int) -> dict:
    state = Path(tempfile.mkdtemp(prefix="zygote-bench-"))
    host = KernelHost(HostConfig(pool_size=0, max_kernels=4, state_dir=state, datasets_dir=state / "data"))
    host.check_protections()
    from runner.kernel import matplotlib_cache

    host._mpl_cache = matplotlib_cache(state / "mplcache")
    pool = await measure_pool(host, samples)
    zygote = await measure_zygote(host, samples)
    return {"pool": pool, "zygote": zygote, "samples": samples, "ipc_prefix": IPC_PREFIX}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures = asyncio.run(main(args.samples))
    pool, zygote = figures["pool"], figures["zygote"]
    print(f"pool refill   ready {pool['ready_s_p50'] * 1000:7.0f} ms  cpu {pool['cpu_s_p50']:.2f} s  "
          f"pss {pool['pss_mib_p50']:.0f} MiB")  # fmt: skip
    print(f"zygote fork   ready {zygote['ready_s_p50'] * 1000:7.0f} ms  cpu {zygote['cpu_s_p50'] or 0:.2f} s  "
          f"pss {zygote['pss_mib_p50'] or 0:.0f} MiB  (parent {zygote['parent_ready_s']:.2f} s once)")  # fmt: skip
    print(f"zygote children see each other: {zygote['sibling_visible']}")
    if args.json:
        print(json.dumps(figures))
