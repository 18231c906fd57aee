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

import pytest

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


# A grading job, entered by hand in a sandbox like a grading parent's: its ids, what it sees of a read-only bind
# below /tmp (a virtualenv there), and who owns its private places.
JOB_PROBE = """
import ctypes, json, os, sys
import panlearn_jobns
libc = ctypes.CDLL(None, use_errno=True)
uid, kept = int(sys.argv[1]) or None, sys.argv[2]
panlearn_jobns.enter_job_namespaces(libc, size_bytes=1 << 20, home="/home/student", uid=uid)
answers = {"ids": [os.getresuid(), os.getresgid(), os.getgroups()], "kept": sorted(os.listdir(kept))}
sys.path.append(kept)
import module_under_tmp
import panlearn_optics  # from the kernel lib, which bwrap wrote as the sandbox's root: readable by the job too
answers["imported"] = module_under_tmp.VALUE
try:
    open(os.path.join(kept, "new.py"), "w")
    answers["write"] = "written"
except OSError as error:
    answers["write"] = error.errno
answers["places"] = [[os.stat(place).st_uid, oct(os.stat(place).st_mode & 0o777)]
                     for place in ("/tmp", "/dev/shm", "/home/student")]
try:
    os.setresuid(0, 0, 0)
    answers["back_to_root"] = "done"
except PermissionError:
    answers["back_to_root"] = "refused"
print(json.dumps(answers), flush=True)
"""


def _run_job_probe(tmp_path, *, block):
    """The probe in a grading parent's sandbox (job_ids `block` or None), with a module bound read-only below
    /tmp as bwrap binds a virtualenv there; returns its answers."""
    import json

    from runner.job_ids import write_id_maps
    from runner.launch import _read_info, spawn_sandbox
    from runner.sandbox import sandbox_host_uid
    from tests.runner.conftest import reachable_by_sandboxes

    (tmp_path / "venv-like").mkdir()
    kept = reachable_by_sandboxes(tmp_path / "venv-like")
    (kept / "module_under_tmp.py").write_text("VALUE = 42\n")
    (kept / "module_under_tmp.py").chmod(0o644)
    spec = SandboxSpec(
        argv=[sys.executable, "-c", JOB_PROBE, str(1 if block else 0), str(kept)],
        job_namespaces=True,
        extra_ro_paths=(str(kept),),
        job_ids=block,
    )
    spawned = spawn_sandbox(spec, cgroup=None, secure=True, files={}, stdout=subprocess.PIPE)
    try:
        if block is not None:
            child_pid = _read_info(spawned.info_fd)["child-pid"]
            root = sandbox_host_uid()
            write_id_maps(child_pid, block, root, root)
            os.write(spawned.userns_block, b"1")
            os.close(spawned.userns_block)
        output, _ = spawned.process.communicate(timeout=60)
    finally:
        spawned.process.kill()
        spawned.process.wait()
    assert spawned.process.returncode == 0, spawned.stderr_tail()
    return json.loads(output)


def test_a_job_keeps_a_read_only_virtualenv_below_tmp(tmp_path):
    """A job's tmpfs on /tmp hid a virtualenv there (a checkout cloned under /tmp): graded code imported only what
    its parent had preloaded (the former warning panlearn.W011). The job binds the sandbox's read-only mounts below
    its private places back, read-only still."""
    answers = _run_job_probe(tmp_path, block=None)
    assert answers["kept"] == ["module_under_tmp.py"] and answers["imported"] == 42, answers
    assert answers["write"] == errno.EROFS, answers


@pytest.mark.skipif(os.geteuid() != 0, reason="a root host writes the id maps itself")
def test_a_job_switches_to_its_own_uid_for_good(tmp_path):
    """With a block of host ids (runner/job_ids.py), the job runs as uid 1 of the sandbox (a host uid of the block,
    neither 0 nor the sandbox's), in no group, owns its private places alone, and cannot become root again."""
    from runner.job_ids import IdBlock

    answers = _run_job_probe(tmp_path, block=IdBlock(uid_start=1879048192 + 4000, gid_start=1879048192 + 4000, size=2))
    assert answers["ids"] == [[1, 1, 1], [1, 1, 1], []], answers
    assert answers["places"] == [[1, "0o700"]] * 3, answers
    assert answers["back_to_root"] == "refused", answers
    assert answers["kept"] == ["module_under_tmp.py"] and answers["write"] == errno.EROFS, answers
