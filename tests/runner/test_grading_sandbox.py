"""The grading parents' sandbox: CAP_SYS_ADMIN for their jobs' namespaces and mounts, and no more.

Each job mounts a procfs of its own pid namespace (kernel_lib/panlearn_jobns.py), which needs the
capability in the sandbox's user namespace; the grading seccomp filter keeps it from turning a
read-only bind of the host writable, moving a mount, or making a user namespace.
"""

import ast
import errno
import os
import subprocess
import sys

from runner.sandbox import SandboxSpec, bwrap_argv, bwrap_path
from runner.seccomp import seccomp_fd

# What a grading parent may do with its CAP_SYS_ADMIN, run under the grading filter: its jobs' mounts, and
# nothing that would turn a read-only bind of the host writable or make a user namespace.
GRADING_PARENT_PROBE = """
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
MS_RDONLY, MS_REMOUNT, MS_BIND, MS_MOVE = 0x1, 0x20, 0x1000, 0x2000
def errno_of(result):
    return 0 if result == 0 else ctypes.get_errno()
answers = {
    "remount_rw": errno_of(libc.mount(None, b"/usr", None, MS_REMOUNT | MS_BIND, None)),
    "move": errno_of(libc.mount(b"/tmp", b"/home/student", None, MS_MOVE, None)),
    "new_user_namespace": errno_of(libc.unshare(0x10000000)),
    "tmpfs": errno_of(libc.mount(b"tmpfs", b"/home/student", b"tmpfs", 0, b"size=4096")),
}
print(answers)
"""


def test_the_grading_filter_refuses_remounts_moves_and_user_namespaces():
    filter_fd = seccomp_fd(job_namespaces=True)
    info_read, info_write = os.pipe()
    try:
        spec = SandboxSpec(argv=[sys.executable, "-c", GRADING_PARENT_PROBE], job_namespaces=True)
        argv = bwrap_argv(spec, bwrap=bwrap_path(), info_fd=info_write, seccomp_fd=filter_fd, files={})
        result = subprocess.run(argv, capture_output=True, text=True, timeout=60, pass_fds=(info_write, filter_fd))
    finally:
        for fd in (filter_fd, info_read, info_write):
            os.close(fd)
    assert result.returncode == 0, result.stderr[-500:]
    answers = ast.literal_eval(result.stdout.strip())
    assert answers == {"remount_rw": errno.EPERM, "move": errno.EPERM, "new_user_namespace": errno.EPERM, "tmpfs": 0}
