"""The host ids grading jobs run as (runner/job_ids.py): the configured range, the check, the blocks."""

import os

import pytest

from runner import job_ids
from runner.exceptions import SandboxUnavailable
from runner.job_ids import IdBlocks, JobIdRange, job_id_range
from runner.sandbox import _job_ids_check


@pytest.fixture
def as_root(monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 0)


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("abc", "START:COUNT"),
        ("200000", "START:COUNT"),
        ("0:10", "0 < START"),
        ("200000:0", "0 < COUNT"),
        ("2147483000:1000", "2**31"),
        ("65000:1000", "sandbox host uid 65534"),
        ("1:10", "existing users or groups"),  # daemon, bin, sys...
    ],
)
def test_a_root_host_refuses_a_range_it_must_not_use(monkeypatch, as_root, value, says):
    monkeypatch.setenv("PANLEARN_RUNNER_JOB_UIDS", value)
    with pytest.raises(SandboxUnavailable, match=says.replace("*", r"\*")):
        job_id_range(65534)
    check = _job_ids_check()
    assert not check.ok and check.required, check  # runner check fails; the host refuses to start


def test_a_root_host_maps_the_default_range(monkeypatch, as_root):
    monkeypatch.delenv("PANLEARN_RUNNER_JOB_UIDS", raising=False)
    monkeypatch.setenv("PANLEARN_RUNNER_SANDBOX_UID", "65534")
    expected = JobIdRange(1879048192, 1879048192, 65536, source="PANLEARN_RUNNER_JOB_UIDS=1879048192:65536")
    assert job_id_range(65534) == expected
    check = _job_ids_check()
    assert check.ok and "1879048192-1879113727" in check.detail, check


def test_a_host_of_its_own_user_without_a_subordinate_range_warns(monkeypatch, tmp_path):
    """Not a failure: its grades share its uid, as before, and stay apart in every other way."""
    monkeypatch.setattr(os, "geteuid", lambda: 4321)
    monkeypatch.setattr(os, "getuid", lambda: 4321)
    monkeypatch.setattr(job_ids, "_subordinate", lambda path, uid: None)
    assert job_id_range(None) is None
    check = _job_ids_check()
    assert not check.ok and not check.required, check
    assert "share one host uid" in check.detail and "/etc/subuid" in check.detail, check.detail


def test_a_host_of_its_own_user_uses_its_subordinate_range(monkeypatch, tmp_path):
    (tmp_path / "subuid").write_text("someone:100000:65536\n4321:300000:1000\n")
    assert job_ids._subordinate(str(tmp_path / "subuid"), 4321) == (300000, 1000)
    assert job_ids._subordinate(str(tmp_path / "subuid"), 999) is None
    monkeypatch.setattr(os, "geteuid", lambda: 4321)
    monkeypatch.setattr(os, "getuid", lambda: 4321)
    monkeypatch.setattr(job_ids, "_subordinate", lambda path, uid: (300000, 1000) if "uid" in path else (400000, 800))
    monkeypatch.setattr(job_ids, "NEWUIDMAP", "/usr/bin/newuidmap")
    monkeypatch.setattr(job_ids, "NEWGIDMAP", "/usr/bin/newgidmap")
    assert job_id_range(None) == JobIdRange(300000, 400000, 800, source="/etc/subuid and /etc/subgid", helper=True)


def test_blocks_are_disjoint_and_come_back_once_their_uids_run_nothing(monkeypatch):
    blocks = IdBlocks(JobIdRange(1000000, 1000000, 25, source="test"), 10)
    first, second = blocks.take(), blocks.take()
    assert (first.uid_start, second.uid_start, first.size) == (1000000, 1000010, 10)
    with pytest.raises(SandboxUnavailable, match="widen the range"):
        blocks.take()  # 25 // 10: two blocks
    assert first.maps(65534, 65534) == ("0 65534 1\n1 1000000 10\n", "0 65534 1\n1 1000000 10\n")
    monkeypatch.setattr(job_ids, "running_uids_in", lambda start, size: {start})
    blocks.give_back(first, timeout=0.1)  # still running: never handed out again
    monkeypatch.setattr(job_ids, "running_uids_in", lambda start, size: set())
    blocks.give_back(second)
    assert blocks.take().uid_start == 1000010


def test_two_kernel_hosts_of_one_machine_take_disjoint_blocks(tmp_path, monkeypatch):
    """Every host of a machine reads the same range; each kept its blocks in its own memory, so two hosts gave
    their jobs the same uids (review of 2026-12-06). A block is held by an flock while its parent lives."""
    monkeypatch.setattr(job_ids, "running_uids_in", lambda start, size: set())
    id_range = JobIdRange(2000000, 2000000, 20, source="test")
    one, two = IdBlocks(id_range, 10, directory=tmp_path), IdBlocks(id_range, 10, directory=tmp_path)
    first = one.take()
    second = two.take()
    assert first.uid_start != second.uid_start
    with pytest.raises(SandboxUnavailable, match="in use on this machine"):
        two.take()  # the one block left is the first host's
    one.give_back(first)
    assert two.take().uid_start == first.uid_start  # released: the other host may take it


@pytest.mark.parametrize("owner", ["alice", "4321"])
def test_a_range_that_overlaps_another_users_subordinate_range_is_refused(monkeypatch, as_root, owner):
    """Alice could take a job's uid with newuidmap and signal the job."""
    monkeypatch.setenv("PANLEARN_RUNNER_JOB_UIDS", "100000:65536")
    monkeypatch.setattr(job_ids, "_subordinate_ranges", lambda path: [(owner, 165000, 65536)])
    with pytest.raises(SandboxUnavailable, match="overlaps"):
        job_id_range(65534)


def test_a_host_of_its_own_user_is_held_to_the_same_rules(monkeypatch):
    """newuidmap maps whatever /etc/subuid grants: a range that holds root or the sandbox uid is refused."""
    monkeypatch.setattr(os, "geteuid", lambda: 4321)
    monkeypatch.setattr(os, "getuid", lambda: 4321)
    monkeypatch.setattr(job_ids, "NEWUIDMAP", "/usr/bin/newuidmap")
    monkeypatch.setattr(job_ids, "NEWGIDMAP", "/usr/bin/newgidmap")
    monkeypatch.setattr(job_ids, "_subordinate", lambda path, uid: (0, 70000))
    with pytest.raises(SandboxUnavailable):
        job_id_range(None)


def test_a_sandbox_uid_that_is_a_users_is_a_warning(monkeypatch, as_root):
    """Every sandbox's user namespace belongs to the sandbox uid: a process of that uid on the host holds every
    capability in all of them. `nobody`, the default before, is the uid of daemons and many containers."""
    from runner.sandbox import DEFAULT_SANDBOX_HOST_UID, _sandbox_uid_check

    monkeypatch.delenv("PANLEARN_RUNNER_SANDBOX_UID", raising=False)
    check = _sandbox_uid_check()
    assert check.ok and str(DEFAULT_SANDBOX_HOST_UID) in check.detail, check
    monkeypatch.setenv("PANLEARN_RUNNER_SANDBOX_UID", "65534")
    check = _sandbox_uid_check()
    assert not check.ok and not check.required and "'nobody'" in check.detail, check
