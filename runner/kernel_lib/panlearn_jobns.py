"""Each grading job in namespaces of its own: a pid namespace with its own /proc, and private /tmp,
/dev/shm and home.

Jobs of one grading parent share its sandbox. Without this, a job saw the files a concurrent job
wrote, could fill the space that job needed, and could list (and, but for the signal filter, stop)
the other jobs and the parent. The parent is the sandbox's root with CAP_SYS_ADMIN and CAP_SETPCAP in the sandbox's
user namespace (runner/sandbox.py). Right after its fork, a job's first process unshares mount, pid,
IPC, network and UTS namespaces, mounts fresh size-limited tmpfs on the writable places and forks the
job's real process, pid 1 of the new pid namespace. That one mounts a read-only procfs of its own
namespace over /proc, with the same covers as the sandbox's (/proc/sys hidden; the boot line and the
load empty). Both drop every capability, from the bounding set too, before any of the job's code runs.
The first process stays behind as the *keeper*: the parent knows its pid, it ignores interrupts
(they reach the job through the process group they share: the host's kill reaches both) and exits
with the job. When the job's
pid 1 exits, Linux kills whatever else the job started. The job's signal filter does not let it
signal its process group (which holds the keeper), only itself and its own namespace.

The grading sandbox's seccomp filter lets unshare and mount through for this (no new user namespace,
no remount, no move); each job's own filter (panlearn_signals) refuses them again before the job's
code runs.

What stays shared: the host uid (one uid is mapped into the sandbox).
"""

import ctypes
import os
import signal

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWPID, CLONE_NEWNET = 0x20000000, 0x40000000
# A job's own: mounts, pids, System V and POSIX message-queue IPC (a shared-memory segment would outlive
# the job, charged to the parent's cgroup), the network (abstract unix sockets and loopback ports), the name.
JOB_NAMESPACES = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWUTS
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 0x1, 0x2, 0x4, 0x8
MS_BIND, MS_REC, MS_PRIVATE = 0x1000, 0x4000, 0x40000
# What the sandbox's /proc covers (runner/sandbox.py), covered again in each job's own procfs: host-global
# settings and the boot id, irq affinities and bus devices under read-only empty tmpfs, the boot line and load as
# /dev/null. (sysrq-trigger is a file of a read-only procfs: it cannot be opened for writing.)
HIDDEN_PROC_DIRECTORIES = ("/proc/sys", "/proc/irq", "/proc/bus")
EMPTIED_PROC_FILES = ("/proc/cmdline", "/proc/loadavg")
PR_SET_PDEATHSIG, PR_CAPBSET_DROP = 1, 24
CAP_SETPCAP, CAP_SYS_ADMIN = 8, 21  # the grading parent's two (runner/sandbox.py)
LINUX_CAPABILITY_VERSION_3 = 0x20080522


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def _check(result: int, what: str) -> None:
    if result != 0:
        number = ctypes.get_errno()
        raise OSError(number, f"{what}: {os.strerror(number)}")


def private_places(home: str) -> tuple[str, ...]:
    return ("/tmp", "/dev/shm", home, "/run/kernel")


def enter_job_namespaces(libc, *, size_bytes: int, home: str, close_in_keeper: tuple[int, ...] = ()) -> None:
    """Returns in the job's pid 1, inside its own namespaces, with no capabilities. The calling process
    becomes the keeper and never returns. Raises OSError if a namespace cannot be made."""
    _check(libc.unshare(JOB_NAMESPACES), "unshare(mount, pid, ipc, net, uts)")
    _check(libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "making mounts private")
    options = f"size={size_bytes},mode=0700".encode()
    for place in private_places(home):
        _check(libc.mount(b"tmpfs", place.encode(), b"tmpfs", MS_NOSUID | MS_NODEV, options), f"tmpfs on {place}")
    job = os.fork()
    if job == 0:
        _mount_own_proc(libc)
        _drop_capabilities(libc)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # the keeper gone: the job goes
        return
    _drop_capabilities(libc)
    _keep(job, close_in_keeper)


def _mount_own_proc(libc) -> None:
    """In the job's pid 1: a procfs of this namespace alone, read-only, so that no file of it can be
    written (its sysrq-trigger and irq settings included), covered as the sandbox's own /proc is."""
    flags = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC
    _check(libc.mount(b"proc", b"/proc", b"proc", flags, None), "procfs of the job")
    for directory in filter(os.path.isdir, HIDDEN_PROC_DIRECTORIES):
        _check(libc.mount(b"tmpfs", directory.encode(), b"tmpfs", flags, b"size=4096"), f"cover of {directory}")
    for path in EMPTIED_PROC_FILES:  # reads as empty; what is written there goes nowhere
        _check(libc.mount(b"/dev/null", path.encode(), None, MS_BIND, None), f"cover of {path}")


def _drop_capabilities(libc) -> None:
    """The parent's capabilities reach no job's code: out of the bounding set first (which takes
    CAP_SETPCAP, so it goes last), so that nothing the job executes can regain them, then out of every
    set (the ambient one with them)."""
    for capability in (CAP_SYS_ADMIN, CAP_SETPCAP):
        _check(
            libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0), f"dropping capability {capability} from the bounding set"
        )
    header, data = _CapHeader(LINUX_CAPABILITY_VERSION_3, 0), (_CapData * 2)()
    _check(libc.capset(ctypes.byref(header), data), "dropping capabilities")


def _keep(job: int, close: tuple[int, ...]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # an interrupt is for the job, which gets it too
    code = 1
    try:
        for fd in close:  # the job's connection: the host sees it close when the job ends, not later
            os.close(fd)
        while True:
            try:
                _, status = os.waitpid(job, 0)
            except InterruptedError:
                continue
            code = os.waitstatus_to_exitcode(status)
            break
    finally:
        os._exit(code if code >= 0 else 128 - code)
