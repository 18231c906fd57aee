"""A jupyter_client kernel provisioner that starts kernels in panlearn's sandbox.

With it, any KernelManager (Jupyter Server, nbclient, Kernel Gateway) can run a panlearn-sandboxed
kernel from a kernel spec such as:

    {"argv": ["python", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
     "display_name": "Python 3 (sandboxed)", "language": "python", "interrupt_mode": "message",
     "metadata": {"kernel_provisioner": {"provisioner_name": "panlearn-sandbox",
                                         "config": {"memory_mib": 512, "pids": 64}}}}

The kernel host does not go through it (it launches `SandboxedKernel`s itself, to keep the
pool's start-up path short); both use the same launch code in `runner.launch`.
"""

import asyncio
import os
import uuid
from importlib.metadata import EntryPoint
from typing import Any

import zmq
from jupyter_client.provisioning import LocalProvisioner
from jupyter_client.provisioning.factory import KernelProvisionerFactory
from traitlets import Bool, Dict, Integer, Unicode

from .cgroups import KernelCgroup, cgroup_version
from .exceptions import KernelDied
from .launch import NEVER_RECONNECT_MS, host_side, sandbox_init_pid, spawn_sandbox, wait_for_sockets
from .sandbox import CONNECTION_FILE, IPC_PREFIX, Limits, SandboxSpec
from .zmtp_guard import MAX_MESSAGE_BYTES, KernelRelay

PROVISIONER_NAME = "panlearn-sandbox"


class SandboxProvisioner(LocalProvisioner):
    memory_mib = Integer(512, config=True, help="Memory per kernel (cgroup), MiB.")
    pids = Integer(64, config=True, help="Processes and threads per kernel (cgroup).")
    tmp_mib = Integer(64, config=True, help="Size of the kernel's /tmp and working directory, MiB.")
    datasets = Dict(config=True, help="Dataset id -> host directory, mounted read-only at /data/<id>.")
    cgroup_name = Unicode("panlearn", config=True, help="Parent cgroup of the kernels' groups.")
    use_seccomp = Bool(True, config=True, help="Apply panlearn's seccomp filter.")

    cgroup: KernelCgroup | None = None
    relay: KernelRelay | None = None
    _stderr_fd: int | None = None

    async def pre_launch(self, **kwargs: Any) -> dict[str, Any]:
        km = self.parent
        if km is not None:
            # The kernel binds ipc sockets inside its own tmpfs; the host connects once, never reconnects,
            # so a kernel cannot swap a socket for a symlink to something else on the host.
            km.transport = "ipc"
            km.ip = IPC_PREFIX
            km.context.setsockopt(zmq.RECONNECT_IVL, NEVER_RECONNECT_MS)
        return await super().pre_launch(**kwargs)

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> dict:
        km = self.parent
        host_file = km.connection_file
        with open(host_file, "rb") as stream:
            connection_json = stream.read()
        argv = [CONNECTION_FILE if part == host_file else part for part in cmd]
        version = cgroup_version()
        if version is not None:
            self.cgroup = KernelCgroup(
                name=uuid.uuid4().hex,
                parent=self.cgroup_name,
                memory_bytes=self.memory_mib << 20,
                pids_max=self.pids,
                version=version,
            )
        spec = SandboxSpec(
            argv=argv,
            limits=Limits(memory_mib=self.memory_mib, pids=self.pids, tmp_mib=self.tmp_mib),
            datasets=dict(self.datasets),
        )
        spawned = spawn_sandbox(
            spec, cgroup=self.cgroup, secure=self.use_seccomp, files={CONNECTION_FILE: connection_json}
        )
        self.process = spawned.process
        self.pid = spawned.process.pid
        self.pgid = os.getpgid(self.pid)
        self._stderr_fd = spawned.stderr_fd
        child_pid = await sandbox_init_pid(spawned, 30)
        if not await wait_for_sockets(spawned, self.connection_info, child_pid, 30):
            raise KernelDied(f"The sandboxed kernel did not start: {spawned.stderr_tail()}")
        # The server's sockets reach the kernel through a relay that cuts an oversized message as it streams
        # (zmtp_guard): ZMQ would hold all of it in the server's memory first.
        await self._close_relay()
        self.relay = KernelRelay(max_message_bytes=MAX_MESSAGE_BYTES)
        self.connection_info = await self.relay.relayed(host_side(self.connection_info, child_pid))
        return self.connection_info

    async def _close_relay(self) -> None:
        if self.relay is not None:
            await self.relay.close()
            self.relay = None

    async def cleanup(self, restart: bool = False) -> None:
        await super().cleanup(restart=restart)
        await self._close_relay()
        if self.cgroup is not None:
            await asyncio.to_thread(self.cgroup.remove)
            self.cgroup = None
        if self._stderr_fd is not None:  # cleanup may run twice; never close a reused descriptor
            os.close(self._stderr_fd)
            self._stderr_fd = None


def register() -> None:
    """Make the provisioner known without installing the project as a distribution."""
    KernelProvisionerFactory.provisioners[PROVISIONER_NAME] = EntryPoint(
        name=PROVISIONER_NAME, value="runner.provisioner:SandboxProvisioner", group=KernelProvisionerFactory.GROUP_NAME
    )
