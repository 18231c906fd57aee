"""The jupyter_client provisioner: a stock KernelManager starts a kernel in panlearn's sandbox."""

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest
import zmq
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager

from runner.provisioner import PROVISIONER_NAME, register
from tests.runner.conftest import FORTY_PARTS_THAT_NEVER_END, peak_memory_mib, reset_peak_memory


@pytest.fixture
def kernel_manager(tmp_path):
    register()
    spec_dir = tmp_path / "kernels" / "panlearn-python3"
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (sandboxed)",
        "language": "python",
        "interrupt_mode": "message",
        "metadata": {
            "kernel_provisioner": {
                "provisioner_name": PROVISIONER_NAME,
                "config": {"memory_mib": 200, "pids": 64, "cgroup_name": "panlearn-provisioner-test"},
            }
        },
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    specs = KernelSpecManager(kernel_dirs=[str(spec_dir.parent)])
    return AsyncKernelManager(kernel_name="panlearn-python3", kernel_spec_manager=specs)


async def run(client, code: str, timeout: float = 20) -> tuple[str, str]:
    printed = []
    reply = await client.execute_interactive(
        code, timeout=timeout, output_hook=lambda msg: printed.append(msg["content"].get("text", ""))
    )
    return reply["content"]["status"], "".join(printed)


def test_stock_kernel_manager_runs_a_sandboxed_kernel(kernel_manager):
    async def scenario():
        await kernel_manager.start_kernel(env={"HOST_SECRET": "must-not-leak"})
        client = kernel_manager.client()
        client.start_channels(hb=False)
        await client.wait_for_ready(timeout=30)
        status, text = await run(client, "import os, socket; print(os.getuid(), 'HOST_SECRET' in os.environ)")
        assert (status, text.strip()) == ("ok", "65534 False")
        status, _ = await run(client, "socket.create_connection(('10.255.255.1', 80), timeout=1)")
        assert status == "error"
        cgroup = kernel_manager.provisioner.cgroup
        assert cgroup is not None and all(directory.is_dir() for directory in cgroup.directories)
        client.execute("blocks = []\nwhile True: blocks.append(bytearray(8 << 20))")
        for _ in range(100):
            if not await kernel_manager.is_alive():
                break
            await asyncio.sleep(0.1)
        assert not await kernel_manager.is_alive()
        assert cgroup.oom_kills() >= 1
        client.stop_channels()
        await kernel_manager.shutdown_kernel(now=True)
        assert not any(directory.exists() for directory in cgroup.directories)

    asyncio.run(scenario())


def test_a_message_of_many_parts_does_not_inflate_the_server(kernel_manager):
    """ZMQ holds every part of a message until its last: forty 8 MiB parts that never end sat in the
    server's memory (328 MiB). The provisioner puts the relay (runner/zmtp_guard.py) between the server's
    sockets and the kernel's; it cuts the message past 16 MiB, and the server hears no more from iopub."""

    async def scenario():
        await kernel_manager.start_kernel()
        client = kernel_manager.client()
        client.start_channels(hb=False)
        await client.wait_for_ready(timeout=30)
        relay = kernel_manager.provisioner.relay
        assert client.iopub_channel.socket.get(zmq.LAST_ENDPOINT).decode().startswith(f"ipc://{relay.directory}/")
        reset_peak_memory(os.getpid())
        before = peak_memory_mib(os.getpid())
        with pytest.raises(TimeoutError):  # reading iopub, as a server does: it hears nothing after the cut
            await run(client, FORTY_PARTS_THAT_NEVER_END, timeout=8)
        grown = peak_memory_mib(os.getpid()) - before
        assert "more than 16777216 bytes" in relay.refused
        assert grown < 32, f"the server grew by {grown:.0f} MiB"
        client.stop_channels()
        await kernel_manager.shutdown_kernel(now=True)
        assert kernel_manager.provisioner.relay is None and not Path(relay.directory).exists()

    asyncio.run(scenario())
