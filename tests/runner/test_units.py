"""Pure parts of the runner: the sandbox command line, output caps, grading results."""

import pytest

from runner.grading_protocol import RESULT_MIME, GradingTest, parse_results
from runner.host import HostConfig, KernelHost
from runner.outputs import OutputBudget, output_from_message
from runner.sandbox import HOME, Limits, Protection, SandboxSpec, bwrap_argv


def argv_for(**spec_kwargs) -> list[str]:
    spec = SandboxSpec(argv=["python", "-m", "ipykernel_launcher"], **spec_kwargs)
    return bwrap_argv(spec, bwrap="bwrap", info_fd=5, seccomp_fd=6, files={"/run/kernel/connection.json": 7})


def pairs(argv: list[str], flag: str) -> list[tuple[str, str]]:
    return [(argv[i + 1], argv[i + 2]) for i, item in enumerate(argv) if item == flag]


def test_sandbox_unshares_everything_and_drops_identity():
    argv = argv_for()
    for flag in ("--unshare-all", "--die-with-parent", "--new-session", "--clearenv"):
        assert flag in argv
    assert argv[argv.index("--uid") + 1] == "65534"
    assert argv[argv.index("--cap-drop") + 1] == "ALL"
    assert argv[argv.index("--seccomp") + 1] == "6"
    assert "--share-net" not in argv


def test_only_grading_parents_hold_a_capability_and_the_sandbox_root():
    """A grading parent's jobs mount their own procfs, which needs CAP_SYS_ADMIN in the sandbox's single user
    namespace (runner/sandbox.py), and take it out of their bounding set, which needs CAP_SETPCAP; kernels hold
    nothing and run as 65534."""
    kernel = argv_for()
    assert "--cap-add" not in kernel and kernel[kernel.index("--uid") + 1] == "65534"
    grading = argv_for(job_namespaces=True)
    assert grading[grading.index("--cap-drop") + 1 : grading.index("--cap-drop") + 6] == [
        "ALL", "--cap-add", "CAP_SYS_ADMIN", "--cap-add", "CAP_SETPCAP"
    ]  # fmt: skip
    assert grading[grading.index("--uid") + 1] == grading[grading.index("--gid") + 1] == "0"


def test_sandbox_mounts_are_read_only_except_sized_tmpfs():
    argv = argv_for(limits=Limits(tmp_mib=16), datasets={"refl": "/srv/data/refl"})
    assert ("/srv/data/refl", "/data/refl") in pairs(argv, "--ro-bind")
    assert not pairs(argv, "--bind")  # nothing from the host is writable
    for target in ("/tmp", HOME, "/run/kernel"):
        index = argv.index(target)
        assert argv[index - 1] == "--tmpfs"
        assert argv[index - 3] == "--size"
    assert argv[argv.index("/tmp") - 2] == str(16 << 20)


def test_sandbox_environment_is_explicit():
    argv = argv_for(env={"EXTRA": "1"})
    names = [argv[i + 1] for i, item in enumerate(argv) if item == "--setenv"]
    assert "EXTRA" in names and "HOME" in names
    assert not {"DJANGO_SECRET_KEY", "DATABASE_URL", "JPY_PARENT_PID"} & set(names)


def stream(text: str) -> dict:
    return {"header": {"msg_type": "stream"}, "content": {"name": "stdout", "text": text}}


def test_text_output_is_capped_with_one_notice():
    budget = OutputBudget(max_text_bytes=10, max_image_bytes=100)
    first = output_from_message(stream("12345678"), budget)
    second = output_from_message(stream("abcdefgh"), budget)
    third = output_from_message(stream("more"), budget)
    assert first[0]["text"] == "12345678"
    assert second[0]["text"] == "ab"
    assert second[1]["truncated"] and "Output truncated" in second[1]["text"]
    assert third == []


def test_images_have_their_own_budget():
    budget = OutputBudget(max_text_bytes=1000, max_image_bytes=10)
    message = {
        "header": {"msg_type": "display_data"},
        "content": {"data": {"image/png": "A" * 50, "text/plain": "<Figure>"}, "metadata": {}},
    }
    outputs = output_from_message(message, budget)
    assert outputs[0]["data"] == {"text/plain": "<Figure>"}
    assert "images" in outputs[1]["text"]


def test_results_need_the_nonce_and_are_clamped():
    tests = [GradingTest("a", "", "t", points=2), GradingTest("b", "", "t", points=1)]
    forged = {"output_type": "display_data", "data": {RESULT_MIME: {"nonce": "guess", "results": []}}}
    real = {
        "output_type": "display_data",
        "data": {RESULT_MIME: {"nonce": "n", "results": [{"name": "a", "status": "passed", "fraction": 7}]}},
    }
    assert parse_results([forged], tests, "n") is None
    outcomes = parse_results([forged, real], tests, "n")
    assert (outcomes[0].points, outcomes[1].status) == (2.0, "not_run")


@pytest.mark.parametrize("claimed", [float("nan"), "nan", float("inf"), "1e999", "all of it", None, -3])
def test_a_report_that_is_not_a_fraction_earns_nothing(claimed):
    """Review of 2026-12-05: max(0, min(1, nan)) is 1.0, so a report of NaN earned the test's full points. On the
    gateway backend the student's code runs in the kernel before the tests and can tamper with their report."""
    tests = [GradingTest("a", "", "t", points=2)]
    report = {
        "output_type": "display_data",
        "data": {RESULT_MIME: {"nonce": "n", "results": [{"name": "a", "status": "passed", "fraction": claimed}]}},
    }
    assert parse_results([report], tests, "n")[0].points == 0.0


def test_host_refuses_to_start_without_a_protection(monkeypatch):
    missing = [Protection("seccomp", False, "libseccomp not found"), Protection("cgroups", True, "cgroup v2")]
    monkeypatch.setattr("runner.host.host_protections", lambda parent, datasets_dir: missing)
    from runner.exceptions import SandboxUnavailable

    with pytest.raises(SandboxUnavailable, match="seccomp: libseccomp not found"):
        KernelHost(HostConfig()).check_protections()
    host = KernelHost(HostConfig(insecure=True))
    host.check_protections()
    assert host.secure is False
    assert host.health()["secure"] is False


@pytest.mark.parametrize("version", [1, 2])
def test_cgroup_layout_and_event_counters(tmp_path, version):
    """Both cgroup versions, on a directory laid out like /sys/fs/cgroup (this host runs only one)."""
    from runner.cgroups import KernelCgroup

    if version == 1:
        (tmp_path / "memory").mkdir()
        (tmp_path / "pids").mkdir()
    group = KernelCgroup(
        name="k1", parent="panlearn", memory_bytes=256 << 20, pids_max=48, version=version, root=tmp_path
    )
    group.create()
    if version == 2:
        directory = tmp_path / "panlearn" / "k1"
        assert (tmp_path / "panlearn" / "cgroup.subtree_control").read_text() == "+memory +pids"
        assert (directory / "memory.max").read_text() == str(256 << 20)
        assert (directory / "memory.swap.max").read_text() == "0"
        (directory / "memory.events").write_text("low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n")
        (directory / "pids.events").write_text("max 7\n")
    else:
        memory, pids = tmp_path / "memory" / "panlearn" / "k1", tmp_path / "pids" / "panlearn" / "k1"
        assert (memory / "memory.limit_in_bytes").read_text() == str(256 << 20)
        assert (pids / "pids.max").read_text() == "48"
        (memory / "memory.oom_control").write_text("oom_kill_disable 0\nunder_oom 0\noom_kill 1\n")
        (pids / "pids.events").write_text("max 7\n")
    assert (group.oom_kills(), group.pids_refused()) == (1, 7)
    assert [path.name for path in group.procs_files()] == ["cgroup.procs"] * (1 if version == 2 else 2)


def test_python_under_tmp_stays_visible(monkeypatch):
    """A checkout (and its virtualenv) under /tmp must not be hidden by the sandbox's own /tmp."""
    monkeypatch.setattr("runner.sandbox.python_paths", lambda: ["/tmp/checkout/.venv"])
    argv = argv_for()
    assert argv.index("/tmp/checkout/.venv") > argv.index("/tmp")


@pytest.mark.parametrize(
    ("asked", "kept"),
    [(2.5, 2.5), (0, 0.0), (-3, 0.0), (1e9, 60.0), (10**400, 60.0), (float("nan"), 60.0), (float("inf"), 60.0),
     (True, 60.0), ("5", 60.0), (None, 60.0), ([1], 60.0)],
)  # fmt: skip
def test_a_clients_queue_timeout_is_held_within_the_hosts(asked, kept):
    from runner.server import _queue_timeout

    assert _queue_timeout({"queue_timeout": asked}) == kept
    assert _queue_timeout({}) == 60.0
