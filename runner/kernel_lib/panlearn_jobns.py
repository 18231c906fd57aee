"""Each grading job in namespaces of its own: a pid namespace, and private /tmp, /dev/shm and home.

Jobs of one grading parent share its sandbox. Without this, a job saw the files a concurrent job
wrote, could fill the space that job needed, and could name (and, but for the signal filter,
stop) the other jobs and the parent. The parent makes a user namespace of its own at start
(`prepare_parent`); right after its fork, a job's first process unshares mount, pid, IPC, network
and UTS namespaces, mounts fresh size-limited tmpfs on the writable places and forks the job's real
process, pid 1 of the new pid namespace. Both drop every capability before any of the job's
code runs. The first process stays behind as the
*keeper*: the parent knows its pid, it ignores interrupts (they reach the job through the process
group they share: the host's kill reaches both) and exits with the job. When the job's pid 1 exits,
Linux kills whatever else the job started. The job's signal filter does not let it signal its process
group (which holds the keeper), only itself and its own namespace.

The grading sandbox's seccomp filter lets unshare and mount through for this; each job's own filter
(panlearn_signals) refuses them again before the job's code runs.

What stays shared: the sandbox's /proc, which still lists the parent and the other jobs (their
pids and command lines; nothing else: every grading process is not dumpable), and the host uid.
"""

import ctypes
import os
import signal

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
# A job's own: mounts, pids, System V and POSIX message-queue IPC (a shared-memory segment would outlive
# the job, charged to the parent's cgroup), the network (abstract unix sockets and loopback ports), the name.
JOB_NAMESPACES = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWUTS
MS_NOSUID, MS_NODEV, MS_REC, MS_PRIVATE = 0x2, 0x4, 0x4000, 0x40000
PR_SET_PDEATHSIG = 1
LINUX_CAPABILITY_VERSION_3 = 0x20080522


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def _check(result: int, what: str) -> None:
    if result != 0:
        number = ctypes.get_errno()
        raise OSError(number, f"{what}: {os.strerror(number)}")


def _write(path: str, text: str) -> None:
    with open(path, "w") as stream:
        stream.write(text)


def private_places(home: str) -> tuple[str, ...]:
    return ("/tmp", "/dev/shm", home, "/run/kernel")


def prepare_parent(libc) -> None:
    """Once, in the grading parent before any job exists: a user namespace of its own (the same ids),
    so that every job can make its mount and pid namespaces without writing an id map. Writing
    one needs the writer's /proc files open to it: possible only while the process is dumpable,
    which a job's process must never be while other jobs run (they could open its memory)."""
    uid, gid = os.getuid(), os.getgid()
    _check(libc.unshare(CLONE_NEWUSER), "unshare(user)")
    _write("/proc/self/setgroups", "deny")
    _write("/proc/self/uid_map", f"{uid} {uid} 1")
    _write("/proc/self/gid_map", f"{gid} {gid} 1")


def enter_job_namespaces(libc, *, size_bytes: int, home: str, close_in_keeper: tuple[int, ...] = ()) -> None:
    """Returns in the job's pid 1, inside its own namespaces, with no capabilities. The calling process
    becomes the keeper and never returns. Raises OSError if a namespace cannot be made."""
    _check(libc.unshare(JOB_NAMESPACES), "unshare(mount, pid, ipc, net, uts)")
    _check(libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "making mounts private")
    options = f"size={size_bytes},mode=0700".encode()
    for place in private_places(home):
        _check(libc.mount(b"tmpfs", place.encode(), b"tmpfs", MS_NOSUID | MS_NODEV, options), f"tmpfs on {place}")
    job = os.fork()
    _drop_capabilities(libc)
    if job == 0:
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # the keeper gone: the job goes
        return
    _keep(job, close_in_keeper)


def _drop_capabilities(libc) -> None:
    """The parent's user namespace gives every capability within it: none may reach a job's code."""
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
