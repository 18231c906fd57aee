"""The seccomp filter every kernel runs under, compiled once to BPF for bwrap's --seccomp.

Default allow with a deny list: the scientific stack uses a wide, changing set of syscalls,
while the dangerous ones are few and well known. ipykernel and libzmq need AF_UNIX, AF_INET,
AF_INET6 and AF_NETLINK sockets (on the sandbox's private loopback); every other family is refused.
"""

import errno
import functools
import os

DENIED_SYSCALLS = (
    # debugging and reading other processes
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
    # namespaces and mounts: no way out of the sandbox, no new sandbox inside it
    "unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree",
    "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
    # kernel keyrings, BPF, perf, io_uring, userfaultfd: large attack surface, no use in a notebook
    "keyctl", "add_key", "request_key", "bpf", "perf_event_open", "io_uring_setup", "io_uring_enter",
    "io_uring_register", "userfaultfd",
    # the machine itself
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module", "reboot",
    "swapon", "swapoff", "acct", "quotactl", "syslog", "settimeofday", "clock_settime", "clock_adjtime",
    "adjtimex", "iopl", "ioperm", "open_by_handle_at", "name_to_handle_at", "lookup_dcookie",
    "fanotify_init", "vhangup", "personality",
    # per-process descriptor tables and secret memory: old exploit primitives, no use in a notebook
    "modify_ldt", "memfd_secret",
)  # fmt: skip
ALLOWED_SOCKET_FAMILIES = (1, 2, 10, 16)  # AF_UNIX, AF_INET, AF_INET6, AF_NETLINK
CLONE_NEWUSER = 0x10000000
HIGHEST_SOCKET_FAMILY = 64


# Grading parents let these through: each job makes its own mount and pid namespaces and mounts its
# private tmpfs and procfs (kernel_lib/panlearn_jobns.py), then its own filter refuses them again
# before any of its code runs (kernel_lib/panlearn_signals.py). Not a new user namespace, and no
# remount or move: the parent holds CAP_SYS_ADMIN over the sandbox's mounts (sandbox.py), and a
# remount could make a read-only bind of the host writable.
JOB_NAMESPACE_SYSCALLS = ("unshare", "mount")
MS_REMOUNT, MS_MOVE = 0x20, 0x2000


@functools.cache
def seccomp_bpf(*, job_namespaces: bool = False) -> bytes:
    """The compiled filter. Raises OSError/ImportError where libseccomp is missing."""
    import pyseccomp as seccomp

    denied = seccomp.ERRNO(errno.EPERM)
    syscall_filter = seccomp.SyscallFilter(seccomp.ALLOW)
    for name in DENIED_SYSCALLS:
        if job_namespaces and name in JOB_NAMESPACE_SYSCALLS:
            continue
        try:
            syscall_filter.add_rule(denied, name)
        except (ValueError, RuntimeError, OSError):
            continue  # unknown on this architecture
    for family in range(HIGHEST_SOCKET_FAMILY):
        if family not in ALLOWED_SOCKET_FAMILIES:
            syscall_filter.add_rule(seccomp.ERRNO(errno.EAFNOSUPPORT), "socket", seccomp.Arg(0, seccomp.EQ, family))
    syscall_filter.add_rule(
        seccomp.ERRNO(errno.EAFNOSUPPORT), "socket", seccomp.Arg(0, seccomp.GE, HIGHEST_SOCKET_FAMILY)
    )
    # No user namespaces from inside: clone with CLONE_NEWUSER fails, clone3 (flags in a struct
    # seccomp cannot read) reports ENOSYS so that libc falls back to clone.
    syscall_filter.add_rule(denied, "clone", seccomp.Arg(0, seccomp.MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER))
    if job_namespaces:
        syscall_filter.add_rule(denied, "unshare", seccomp.Arg(0, seccomp.MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER))
        for flag in (MS_REMOUNT, MS_MOVE):
            syscall_filter.add_rule(denied, "mount", seccomp.Arg(3, seccomp.MASKED_EQ, flag, flag))
    syscall_filter.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
    read_fd, write_fd = os.pipe()
    try:
        with os.fdopen(write_fd, "wb") as sink:
            syscall_filter.export_bpf(sink)
        with os.fdopen(read_fd, "rb") as source:
            return source.read()
    except Exception:
        os.close(read_fd)
        raise


def seccomp_fd(*, job_namespaces: bool = False) -> int:
    """A fresh readable fd holding the filter, for one bwrap launch (bwrap reads it to the end)."""
    fd = os.memfd_create("panlearn-seccomp", flags=0)
    os.write(fd, seccomp_bpf(job_namespaces=job_namespaces))
    os.lseek(fd, 0, os.SEEK_SET)
    return fd
