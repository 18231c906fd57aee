"""Starting a process inside the sandbox: the one code path for kernels, the provisioner and benches.

The caller gets the bubblewrap process, a pipe that reports the sandbox's init pid, and a memory
file collecting low-level stderr (bounded by RLIMIT_FSIZE, charged to the kernel's cgroup).
"""

import asyncio
import json
import os
import shutil
import stat
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from .cgroups import KernelCgroup
from .priority import idle_prefix
from .sandbox import (
    GROUP,
    IPC_PREFIX,
    MPL_CACHE,
    PASSWD,
    SandboxSpec,
    apply_rlimits,
    bwrap_argv,
    bwrap_path,
    standard_files,
)

# The host connects to a kernel's verified sockets once. Reconnecting would follow whatever the
# kernel puts at that path later (a symlink to any socket on the host), so the interval outlives
# every kernel (~25 days). Not -1: with reconnection off, a send to a dead kernel blocks forever
# and tearing down the ZMQ context takes ~1 s.
NEVER_RECONNECT_MS = 2**31 - 1
IPC_PORTS = {"shell_port": 1, "iopub_port": 2, "stdin_port": 3, "control_port": 4, "hb_port": 5}


def ipc_connection(key: str, *, prefix: str = IPC_PREFIX) -> dict:
    """Connection info for a kernel whose ZMQ sockets are ipc files `<prefix>-1` … `<prefix>-5`."""
    return {"transport": "ipc", "ip": prefix, **IPC_PORTS, "key": key, "signature_scheme": "hmac-sha256"}


def host_side(connection: dict, child_pid: int) -> dict:
    """The same connection, as the host reaches it through the sandbox's root."""
    return {**connection, "ip": f"/proc/{child_pid}/root{connection['ip']}"}


def memfd(name: str, content: bytes) -> int:
    fd = os.memfd_create(name, flags=0)
    os.write(fd, content)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


@dataclass
class Spawned:
    process: subprocess.Popen
    info_fd: int
    stderr_fd: int
    # With spec.job_ids: write a byte here once the sandbox's id maps are written; bwrap waits for it.
    userns_block: int | None = None

    def stderr_tail(self, size: int = 4096) -> str:
        try:
            length = os.fstat(self.stderr_fd).st_size
            return os.pread(self.stderr_fd, size, max(0, length - size)).decode(errors="replace").strip()
        except OSError:
            return ""


def cache_files(spec: SandboxSpec) -> dict[str, bytes]:
    """The matplotlib cache's files, copied in as data: a bind would need the sandbox's uid to reach the
    host's state directory (private to the host) and would show its path in mountinfo."""
    if not spec.mpl_cache:
        return {}
    return {f"{MPL_CACHE}/{path.name}": path.read_bytes() for path in Path(spec.mpl_cache).glob("*.json")}


PRLIMIT = shutil.which("prlimit")
# Joins the cgroups, then execs prlimit, then bwrap: Python forks without a preexec_fn (so it can
# use vfork and return at once) and the slow cgroup move happens in the child, off the event loop.
JOIN_AND_EXEC = 'while [ "$1" != -- ]; do echo 0 > "$1" || exit 111; shift; done; shift; exec "$@"'


def _launcher(argv: list[str], limits, cgroup: KernelCgroup | None, prefix: list[str]) -> list[str]:
    mib = 1 << 20
    rlimits = [
        f"--as={limits.address_space_mib * mib}",
        f"--fsize={limits.file_size_mib * mib}",
        f"--cpu={limits.cpu_seconds}",
        f"--nofile={limits.open_files}",
        "--core=0",
    ]
    procs = [str(path) for path in cgroup.procs_files()] if cgroup is not None else []
    return ["/bin/sh", "-c", JOIN_AND_EXEC, "panlearn-sandbox", *procs, "--", *prefix, PRLIMIT, *rlimits, "--", *argv]


def spawn_sandbox(
    spec: SandboxSpec,
    *,
    cgroup: KernelCgroup | None,
    secure: bool,
    files: dict[str, bytes],
    stdin=subprocess.DEVNULL,
    stdout=subprocess.DEVNULL,
    idle_priority: bool = False,
) -> Spawned:
    """Start bwrap inside the kernel's cgroup and rlimits; every process of the sandbox is counted.

    With idle_priority the sandbox starts under SCHED_IDLE (priority.py): a pool refill.
    """
    from .seccomp import seccomp_fd

    info_read, info_write = os.pipe()
    stderr_fd = os.memfd_create("sandbox-stderr", flags=0)
    contents = {**standard_files(), **cache_files(spec), **files}
    fds = {path: memfd(path.rsplit("/", 1)[-1], content) for path, content in contents.items()}
    fds.setdefault("/etc/passwd", memfd("passwd", PASSWD.encode()))
    fds.setdefault("/etc/group", memfd("group", GROUP.encode()))
    filter_fd = seccomp_fd(job_namespaces=spec.job_namespaces) if secure else None
    block_read, block_write = os.pipe() if spec.job_ids is not None else (None, None)
    argv = bwrap_argv(spec, bwrap=bwrap_path(), info_fd=info_write, seccomp_fd=filter_fd, files=fds,
                      userns_block_fd=block_read)  # fmt: skip
    if cgroup is not None:
        cgroup.create()
    limits = spec.limits
    child_setup = None
    if PRLIMIT:
        argv = _launcher(argv, limits, cgroup, idle_prefix() if idle_priority else [])
    else:  # no util-linux: set limits and join in the forked child (slower, blocks the caller)

        def child_setup() -> None:
            apply_rlimits(limits)
            if cgroup is not None:
                cgroup.join_current_process()
            if idle_priority:
                os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))

    pass_fds = [info_write, *fds.values(), *([filter_fd] if filter_fd is not None else [])]
    pass_fds += [block_read] if block_read is not None else []
    try:
        process = subprocess.Popen(
            argv,
            env={},  # bwrap is pid 1 inside: its /proc/1/environ is readable by the kernel
            cwd="/",  # and /bin/sh would put the host's working directory there as PWD
            stdin=stdin,
            stdout=stdout,
            stderr=stderr_fd,
            pass_fds=pass_fds,
            preexec_fn=child_setup,
            start_new_session=True,
        )
    except BaseException:
        os.close(info_read)
        os.close(stderr_fd)
        if block_write is not None:
            os.close(block_write)
        raise
    finally:
        for fd in pass_fds:
            os.close(fd)
    return Spawned(process=process, info_fd=info_read, stderr_fd=stderr_fd, userns_block=block_write)


def _read_info(fd: int) -> dict:
    with os.fdopen(fd, "rb") as stream:
        raw = stream.read()
    if not raw:
        raise ValueError("bubblewrap exited before starting the sandbox")
    return json.loads(raw.split(b"}", 1)[0] + b"}")


async def sandbox_init_pid(spawned: Spawned, timeout: float) -> int:
    """The pid of the sandbox's init, as bwrap's --info-fd reports it."""
    info = await asyncio.wait_for(asyncio.to_thread(_read_info, spawned.info_fd), timeout)
    return int(info["child-pid"])


async def wait_for_sockets(
    spawned: Spawned | None, connection: dict, child_pid: int, timeout: float, *, alive=None
) -> bool:
    """True once every ipc endpoint is a real socket (not a symlink the kernel planted), checked
    before any student code can run; the host then connects once and never reconnects. `alive` says
    whether the kernel still runs where there is no bwrap process to ask (a forked kernel)."""
    deadline = time.monotonic() + timeout
    paths = [f"/proc/{child_pid}/root{connection['ip']}-{port}" for port in IPC_PORTS.values()]
    if alive is None:
        alive = lambda: spawned.process.poll() is None  # noqa: E731
    while time.monotonic() < deadline and alive():
        try:
            if all(stat.S_ISSOCK(os.lstat(path).st_mode) for path in paths):
                return True
        except FileNotFoundError:
            pass
        await asyncio.sleep(0.01)
    return False
