"""The jupyter_client provisioner: a stock KernelManager starts a kernel in panlearn's sandbox."""

import asyncio
import json
import sys

import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager

from runner.provisioner import PROVISIONER_NAME, register


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


async def run(client, code: str) -> tuple[str, str]:
    printed = []
    reply = await client.execute_interactive(
        code, timeout=20, output_hook=lambda msg: printed.append(msg["content"].get("text", ""))
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
