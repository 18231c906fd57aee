"""Each grading job in namespaces of its own: a pid namespace with its own /proc, and private /tmp,
/dev/shm and home.

Jobs of one grading parent share its sandbox. Without this, a job saw the files a concurrent job
wrote, could fill the space that job needed, and could list (and, but for the signal filter, stop)
the other jobs and the parent. The parent is the sandbox's root with CAP_SYS_ADMIN and CAP_SETPCAP in the sandbox's
user namespace (runner/sandbox.py). Right after its fork, a job's first process unshares mount, pid,
IPC, network and UTS namespaces, mounts fresh size-limited tmpfs on the writable places (binding back,
read-only, what the sandbox bound below them: a virtualenv under /tmp) and forks the
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

A host uid of its own (runner/job_ids.py): where the sandbox maps a block of host ids at uids 1..N, the
parent hands each job one that no running job holds, and the job's pid 1 switches to it (groups, gid,
uid) after its mounts and before its code, its private places owned by it. The grading parent holds
CAP_SETUID and CAP_SETGID for this; the job drops them with the rest, so it cannot go back to 0 or to
another job's uid. Without such a block, the jobs share the sandbox's uid (and host uid) as before.
"""

import ctypes
import errno
import os
import re
import signal
import stat

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
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_CAPBSET_DROP = 1, 4, 24
CAP_SETPCAP = 8  # needed to empty the bounding set, so it goes last
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


def enter_job_namespaces(
    libc,
    *,
    size_bytes: int,
    home: str,
    uid: int | None = None,
    close_in_keeper: tuple[int, ...] = (),
    loopback: bool = False,
) -> None:
    """Returns in the job's pid 1, inside its own namespaces, with no capabilities, as `uid` (and gid) if
    given. The calling process becomes the keeper and never returns. Raises OSError if a namespace cannot
    be made or the uid not taken. `loopback`: the job's network has its loopback up (a live kernel's
    code may serve itself on 127.0.0.1, as in a sandbox of its own)."""
    _check(libc.unshare(JOB_NAMESPACES), "unshare(mount, pid, ipc, net, uts)")
    if loopback:
        _loopback_up()
    _check(libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "making mounts private")
    places = private_places(home)
    kept = _read_only_binds_under(places)  # a virtualenv under /tmp: the tmpfs would hide it
    owner = f",uid={uid},gid={uid}" if uid is not None else ""  # the job's alone: mode 0700
    options = f"size={size_bytes},mode=0700{owner}".encode()
    for place in places:
        _check(libc.mount(b"tmpfs", place.encode(), b"tmpfs", MS_NOSUID | MS_NODEV, options), f"tmpfs on {place}")
    _bind_back(libc, kept, uid)
    job = os.fork()
    if job == 0:
        _mount_own_proc(libc)
        _drop_capabilities(libc, uid)
        # After the switch, which clears both: the keeper gone, the job goes; and a job of its own uid may
        # read its own /proc/self (no other process runs as that uid).
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if uid is not None:
            libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)
        return
    _drop_capabilities(libc)
    _keep(job, close_in_keeper)


SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1


def _loopback_up() -> None:
    """`lo` of the new network namespace up (made down): CAP_NET_ADMIN of the sandbox's user namespace,
    which owns that network namespace."""
    import fcntl
    import socket
    import struct

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        request = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(probe, SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(probe, SIOCSIFFLAGS, struct.pack("16sH14x", b"lo", flags | IFF_UP))


def _unescape(field: str) -> str:
    return re.sub(r"\\([0-7]{3})", lambda match: chr(int(match.group(1), 8)), field)  # mountinfo's \040 etc.


def _read_only_binds_under(places: tuple[str, ...]) -> dict[str, int]:
    """The sandbox's read-only mounts below a private place (bwrap binds the virtualenv and Python there when they
    live under /tmp, a checkout cloned there), topmost only, each with an O_PATH fd of this mount namespace's
    copy: the job's tmpfs is about to cover them. Writable ones are left covered: they would be shared."""
    found = {}
    with open("/proc/self/mountinfo") as mountinfo:
        for line in mountinfo:
            fields = line.split()
            point, options = _unescape(fields[4]), fields[5].split(",")
            if any(point.startswith(place.rstrip("/") + "/") for place in places):
                found[point] = "ro" in options  # the last (topmost) mount on a path wins
    points = sorted(point for point, read_only in found.items() if read_only)
    top = [point for point in points if not any(point.startswith(other + "/") for other in points)]
    return {point: os.open(point, os.O_PATH | os.O_NOFOLLOW) for point in top}


def _bind_back(libc, kept: dict[str, int], uid: int | None) -> None:
    """Each kept mount bound again at its path in the job's tmpfs, with what is mounted below it. A bind keeps
    the source mount's flags, read-only among them (and the grading filter refuses the remount that could undo
    it); checked all the same, so that no job runs with a writable view of the host. The directories on the way
    are made as the job's uid, which alone may write in its tmpfs (the sandbox's root has no CAP_DAC_OVERRIDE)."""
    if uid is not None and kept:
        libc.setfsgid(uid)
        libc.setfsuid(uid)
    try:
        _bind_each(libc, kept)
    finally:
        if uid is not None and kept:
            libc.setfsuid(0)
            libc.setfsgid(0)
            if libc.setfsuid(-1) != 0:  # -1 changes nothing and answers the current one
                raise OSError("could not become the sandbox's root again")


def _bind_each(libc, kept: dict[str, int]) -> None:
    for point, fd in kept.items():
        try:
            if stat.S_ISDIR(os.fstat(fd).st_mode):
                os.makedirs(point, exist_ok=True)
            else:
                os.makedirs(os.path.dirname(point), exist_ok=True)
                os.close(os.open(point, os.O_CREAT | os.O_WRONLY, 0o444))
            source = f"/proc/self/fd/{fd}".encode()
            _check(libc.mount(source, point.encode(), None, MS_BIND | MS_REC, None), f"binding {point} back")
            if not os.statvfs(point).f_flag & os.ST_RDONLY:
                raise OSError(f"{point} came back writable")
        finally:
            os.close(fd)


def _mount_own_proc(libc) -> None:
    """In the job's pid 1: a procfs of this namespace alone, read-only, so that no file of it can be
    written (its sysrq-trigger and irq settings included), covered as the sandbox's own /proc is."""
    flags = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC
    _check(libc.mount(b"proc", b"/proc", b"proc", flags, None), "procfs of the job")
    for directory in filter(os.path.isdir, HIDDEN_PROC_DIRECTORIES):
        _check(libc.mount(b"tmpfs", directory.encode(), b"tmpfs", flags, b"size=4096"), f"cover of {directory}")
    for path in EMPTIED_PROC_FILES:  # reads as empty; what is written there goes nowhere
        _check(libc.mount(b"/dev/null", path.encode(), None, MS_BIND, None), f"cover of {path}")


def _drop_capabilities(libc, uid: int | None = None) -> None:
    """The parent's capabilities reach no job's code: out of the bounding set first (which takes
    CAP_SETPCAP, so it goes last), so that nothing the job executes can regain them; then, with the
    CAP_SETUID and CAP_SETGID still held, to `uid` for good (real, effective and saved, no groups);
    then out of every set (the ambient one with them)."""
    for capability in [*(number for number in range(64) if number != CAP_SETPCAP), CAP_SETPCAP]:
        if libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            if ctypes.get_errno() == errno.EINVAL and capability > CAP_SETPCAP:
                continue  # past the last capability this kernel knows
            _check(-1, f"dropping capability {capability} from the bounding set")
    if uid is not None:
        try:
            os.setgroups([])
        except PermissionError:  # setgroups denied in this namespace: fine if there are none to keep
            if os.getgroups():
                raise
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)  # from 0 to non-0: Linux clears the permitted and effective sets
        if os.getresuid() != (uid, uid, uid) or os.getresgid() != (uid, uid, uid):
            raise OSError(f"could not become uid {uid}")
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
