"""`runner check` runs a real sandbox: it fails a host whose sandboxes would run as host root."""

import os

import pytest
from django.core.management import CommandError, call_command

from runner.sandbox import host_protections

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="a host running as its own user never maps to root")


def by_name(checks):
    return {check.name: check for check in checks}


def test_a_root_host_drops_to_the_sandbox_uid(monkeypatch):
    monkeypatch.setenv("PANLEARN_RUNNER_SANDBOX_UID", "64999")
    checks = by_name(host_protections("panlearn"))
    assert checks["user"].ok, checks["user"].detail
    assert "host uid 64999" in checks["user"].detail
    assert checks["proc"].ok, checks["proc"].detail


@pytest.mark.parametrize("uid", ["0", "-1", "4294967295", "nobody"])
def test_check_fails_a_host_whose_sandboxes_would_run_as_root(monkeypatch, capsys, uid):
    """0 is root; -1 and 4294967295 mean "leave the uid unchanged" to setuid(2), so setpriv kept root (review
    of 2026-12-05). None of them starts a sandbox, insecure mode or not."""
    from runner.exceptions import SandboxUnavailable
    from runner.sandbox import drop_privileges_argv

    monkeypatch.setenv("PANLEARN_RUNNER_SANDBOX_UID", uid)
    checks = by_name(host_protections("panlearn"))
    assert not checks["user"].ok
    assert "cannot drop" in checks["user"].detail or "is not a uid" in checks["user"].detail
    with pytest.raises(CommandError, match="refuse to start"):
        call_command("runner", "check")
    assert "user" in capsys.readouterr().out
    with pytest.raises(SandboxUnavailable):
        drop_privileges_argv()


def test_check_says_what_the_sandbox_uid_cannot_read(tmp_path):
    """A datasets directory in a private folder (pytest's own, mode 0700) cannot be mounted by the unprivileged
    uid: the check fails and names what that uid must be able to read, not a bare bubblewrap error."""
    private = tmp_path / "private"
    (private / "datasets").mkdir(parents=True)
    private.chmod(0o700)
    tmp_path.chmod(0o700)
    checks = by_name(host_protections("panlearn", private / "datasets"))
    assert not checks["user"].ok
    assert "Permission denied" in checks["user"].detail and "must be able to read" in checks["user"].detail
