"""A job's processes may signal their own job and nobody else: not the forking parent, not a neighbour;
and they may not make namespaces or mounts (the grading sandbox allows those for panlearn_jobns).

Each job is pid 1 of a pid namespace of its own (panlearn_jobns), and adds a seccomp filter of its own
right after its fork (filters stack: the sandbox's own stays), built here for its pid: kill() may target
the job itself or -1 (every process of its namespace), not 0: its process group also holds its keeper,
outside the namespace. The thread-directed calls may target the job's leader only, and pidfd signals
are refused. A depth behind the namespace, which already leaves nothing else to name.

Pure Python and ctypes (the sandbox has no libseccomp at this point); x86_64 and aarch64.
"""

import ctypes
import errno
import os
import platform
import struct

# seccomp_data: nr at 0, arch at 4, instruction pointer at 8, args from 16 (8 bytes each, little-endian).
_NR, _ARCH, _ARG0_LOW = 0, 4, 16
_BPF_LD_W_ABS, _BPF_JEQ_K, _BPF_JGE_K, _BPF_RET_K, _BPF_AND_K = 0x20, 0x15, 0x35, 0x06, 0x54
CLONE_NEWUSER = 0x10000000
_RET_ALLOW = 0x7FFF0000
_RET_EPERM = 0x00050000 | errno.EPERM
_RET_ENOSYS = 0x00050000 | errno.ENOSYS
_X32_BIT = 0x40000000

# (audit arch, {name: number}) of the calls that send a signal to a pid chosen by the caller.
_ARCHES = {
    "x86_64": (0xC000003E, {"kill": 62, "tkill": 200, "tgkill": 234, "rt_sigqueueinfo": 129,
                            "rt_tgsigqueueinfo": 297, "pidfd_send_signal": 424,
                            "unshare": 272, "mount": 165, "clone": 56,
                            "inotify_init": 253, "inotify_init1": 294, "mq_open": 240}),
    "aarch64": (0xC00000B7, {"kill": 129, "tkill": 130, "tgkill": 131, "rt_sigqueueinfo": 138,
                             "rt_tgsigqueueinfo": 240, "pidfd_send_signal": 424,
                             "unshare": 97, "mount": 40, "clone": 220,
                             "inotify_init1": 26, "mq_open": 180}),
}  # fmt: skip
PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2


def _op(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
    return struct.pack("=HBBI", code, jt, jf, k & 0xFFFFFFFF)


def job_filter(pid: int, machine: str | None = None, *, signals: bool = True) -> bytes | None:
    """The BPF program for the job whose leader is `pid`; None on an architecture not listed above.
    `signals=False` (a live kernel, which must be able to stop what it started, and which its own process
    group and pid namespace already confine): the namespace, mount, inotify and message-queue rules alone."""
    arch = _ARCHES.get(machine or platform.machine())
    if arch is None:
        return None
    audit_arch, numbers = arch
    # Not 0 (the caller's process group): a job's group also holds its keeper, outside the job's namespace.
    group_only = [pid, -pid]
    program = [_op(_BPF_LD_W_ABS, _ARCH), _op(_BPF_JEQ_K, audit_arch, jt=1), _op(_BPF_RET_K, _RET_EPERM)]
    program += [_op(_BPF_LD_W_ABS, _NR), _op(_BPF_JGE_K, _X32_BIT, jt=0, jf=1), _op(_BPF_RET_K, _RET_EPERM)]

    def only_targets(values: list[int]) -> list[bytes]:
        # A[0] (low 32 bits of the first argument, which the kernel reads as an int) must be one of `values`.
        checks = [_op(_BPF_LD_W_ABS, _ARG0_LOW)]
        for position, value in enumerate(values):
            checks.append(_op(_BPF_JEQ_K, value, jt=len(values) - position))
        return [*checks, _op(_BPF_RET_K, _RET_EPERM), _op(_BPF_RET_K, _RET_ALLOW)]

    signal_rules = [
        (numbers["kill"], only_targets(group_only)),
        (numbers["rt_sigqueueinfo"], only_targets(group_only)),
        (numbers["tkill"], only_targets([pid])),
        (numbers["tgkill"], only_targets([pid])),
        (numbers["rt_tgsigqueueinfo"], only_targets([pid])),
        (numbers["pidfd_send_signal"], [_op(_BPF_RET_K, _RET_ENOSYS)]),
    ]
    branches = [
        *(signal_rules if signals else []),
        # The grading sandbox lets these through so that a job can make its own namespaces
        # (panlearn_jobns); the job's code gets none of them.
        (numbers["unshare"], [_op(_BPF_RET_K, _RET_EPERM)]),
        (numbers["mount"], [_op(_BPF_RET_K, _RET_EPERM)]),
        # Linux counts inotify instances and POSIX message queues up the user-namespace chain, so against
        # the sandboxes' one host uid whatever the job's own: one grade could use them up for every other
        # grade and kernel (review of 2026-12-06). A grade needs neither.
        *[
            (numbers[name], [_op(_BPF_RET_K, _RET_EPERM)])
            for name in ("inotify_init", "inotify_init1", "mq_open")
            if name in numbers
        ],
        (
            numbers["clone"],
            [
                _op(_BPF_LD_W_ABS, _ARG0_LOW),
                _op(_BPF_AND_K, CLONE_NEWUSER),
                _op(_BPF_JEQ_K, 0, jt=1),
                _op(_BPF_RET_K, _RET_EPERM),
                _op(_BPF_RET_K, _RET_ALLOW),
            ],
        ),
    ]
    # Each test jumps over the tests after it, to its own block; no call matched: allow.
    tests, blocks = [], []
    offset = 0
    for index, (number, block) in enumerate(branches):
        remaining_tests = len(branches) - index - 1
        tests.append(_op(_BPF_JEQ_K, number, jt=remaining_tests + 1 + offset))
        offset += len(block)
        blocks.append(block)
    program += [*tests, _op(_BPF_RET_K, _RET_ALLOW)]
    for block in blocks:
        program += block
    return b"".join(program)


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def confine_signals(libc, pid: int | None = None, *, signals: bool = True) -> bool | None:
    """Install the job's filter in this process (inherited by its children): True once installed, False if
    installing failed, None on an architecture the filter does not know."""
    program = job_filter(os.getpid() if pid is None else pid, signals=signals)
    if program is None:
        return None
    if libc is None:
        return False
    buffer = ctypes.create_string_buffer(program)
    fprog = _SockFprog(len(program) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        return False
    return libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) == 0
