"""Several kernel hosts behind one client, against two real kernel hosts (each its own process).

Placement by load and in order, a student kept on one host, a session's calls sent to its own host, and a
host that dies: its students get a fresh kernel elsewhere with a notice, grades in flight are graded by
the other host, and when no host answers, the grade goes back to the queue.
"""

import asyncio
import contextlib
import os
import signal
import subprocess
import threading
import time
from types import SimpleNamespace

import httpx
import pytest
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from cells.sessions import Who, run_cell
from runner import hosts as hosts_module
from runner.cgroups import KernelCgroup, cgroup_version, claim_parent_group, reap_stale_groups, remove_parent_groups
from runner.exceptions import HostLost, PoolExhausted, RunnerUnavailable, SessionNotFound
from runner.hosts import (
    AsyncMultiHostClient,
    HostAddress,
    MultiHostClient,
    choose,
    load_of,
    parse_hosts,
    rank_of,
    split_session_id,
    tagged,
)
from runner.replies import ExecuteReply
from tests.runner.conftest import SECRET, RunningHost, descendants, text_of

pytestmark = pytest.mark.django_db

SLOW_TEST = [
    {"name": "slow", "function": "test_slow", "source": "def test_slow():\n    import time\n    time.sleep(2.5)"}
]


# -- pure parts ----------------------------------------------------------------------------------------


def test_parse_hosts():
    assert parse_hosts("a=unix:/run/a.sock, b-2=http://10.0.0.6:8787/") == (
        HostAddress("a", socket_path="/run/a.sock"),
        HostAddress("b-2", base_url="http://10.0.0.6:8787"),
    )
    assert parse_hosts("") == ()
    for bad in ["a", "A=unix:/x", "a=ftp://x", "a=unix:", "a=unix:/x,a=unix:/y", "a.b=unix:/x"]:
        with pytest.raises(ImproperlyConfigured):
            parse_hosts(bad)


def test_choose_by_policy():
    def warm(load):
        return (hosts_module.WARM, load)

    ranks = {"a": warm(0.5), "b": warm(0.25), "c": warm(0.25)}
    assert choose(ranks, "least-loaded") == "b"  # ties go to the first configured
    assert choose(ranks, "in-order") == "a"
    assert choose({"a": warm(1.0), "b": warm(1.5)}, "in-order") == "a"  # all full: the least loaded
    assert choose({"a": warm(1.0), "b": warm(0.9)}, "in-order") == "b"
    assert choose({}, "least-loaded") is None
    assert load_of({"sessions": 3, "queue_length": 1, "grading_waiting": 2, "kernels_max": 12}) == 0.5


def test_a_host_with_a_warm_kernel_goes_before_one_that_would_start_one():
    """A host that has just started again has few sessions but no warm kernel yet: a newcomer there would
    wait for a kernel to start while the other host has kernels idle."""
    restarted = {"sessions": 2, "pool_idle": 0, "kernels_starting": 2, "kernels_max": 110}
    busy = {"sessions": 80, "pool_idle": 20, "kernels_max": 110}
    ranks = {"k1": rank_of(restarted), "k2": rank_of(busy)}
    assert choose(ranks, "least-loaded") == "k2"
    assert choose(ranks, "in-order") == "k1"  # packing first: the first host with room
    # Grades run in processes of their own: the idle kernels do not matter to them.
    grade_ranks = {"k1": rank_of(restarted, kernel=False), "k2": rank_of(busy, kernel=False)}
    assert choose(grade_ranks, "least-loaded") == "k1"
    # No host has a warm kernel: by load.
    assert choose({"k1": rank_of(restarted), "k2": rank_of({**busy, "pool_idle": 0})}, "least-loaded") == "k1"


def test_a_host_with_room_goes_before_a_full_one():
    """Neither has a warm kernel: on k1 a kernel starts in a second or two, on k2 (full, though fewer sessions:
    its kernels are still starting) the student would queue until one is freed."""
    room = {"sessions": 60, "pool_idle": 0, "kernels_total": 60, "kernels_max": 110}
    full = {"sessions": 10, "pool_idle": 0, "kernels_total": 110, "kernels_starting": 100, "kernels_max": 110}
    assert choose({"k2": rank_of(full), "k1": rank_of(room)}, "least-loaded") == "k1"
    assert rank_of(full, kernel=False) < rank_of(room, kernel=False)  # a grade needs no kernel of the pool


def test_students_waiting_for_a_start_count_against_a_host():
    """After a host's loss its peer has room on paper, but a queue of students waiting for their kernels to
    start: a newcomer goes where the wait is shorter, and a host whose room is all promised counts as full."""
    queued = {"sessions": 40, "pool_idle": 0, "kernels_total": 60, "kernels_waiting_to_start": 40, "kernels_max": 110}
    calm = {"sessions": 60, "pool_idle": 0, "kernels_total": 62, "kernels_max": 110}
    assert choose({"k1": rank_of(queued), "k2": rank_of(calm)}, "least-loaded") == "k2"
    promised = {**queued, "kernels_waiting_to_start": 50}
    assert rank_of(promised)[0] == rank_of({"kernels_total": 110, "kernels_max": 110})[0]


def test_session_ids_name_their_host():
    assert split_session_id("a.abc.def", {"a", "b"}) == ("a", "abc.def")
    for foreign in ["c.abc", "abc", "a.", ""]:
        with pytest.raises(SessionNotFound):
            split_session_id(foreign, {"a", "b"})
    reply = tagged("b", ExecuteReply(status="ok", session={"session_id": "x", "restarts": 1}))
    assert reply.session == {"session_id": "b.x", "restarts": 1}
    assert tagged("b", {"ok": True}) == {"ok": True}


def test_settings_are_checked():
    from runner.checks import kernel_hosts

    with override_settings(PANLEARN_RUNNER_HOSTS="a=ftp://x", PANLEARN_RUNNER_PLACEMENT="random"):
        assert [error.id for error in kernel_hosts(None)] == ["panlearn.E010", "panlearn.E011"]
    with override_settings(PANLEARN_RUNNER_HOSTS="a=unix:/x", PANLEARN_RUNNER_PLACEMENT="in-order"):
        assert kernel_hosts(None) == []


def test_what_a_killed_host_left_in_its_cgroups_is_ended_by_the_next():
    parent = f"panlearn-test-{os.getpid()}-reap"
    version = cgroup_version()
    claim = claim_parent_group(parent, version)
    assert claim is not None and claim_parent_group(parent, version) is None  # one host per name
    group = KernelCgroup(name="left", parent=parent, memory_bytes=64 << 20, pids_max=8, version=version).create()
    orphan = subprocess.Popen(["sleep", "60"], preexec_fn=group.join_current_process)
    try:
        assert reap_stale_groups(parent, version) == 1
        assert orphan.wait(timeout=5) == -signal.SIGKILL
        assert not any(directory.exists() for directory in group.directories)
    finally:
        orphan.kill()
        os.close(claim)
        remove_parent_groups(parent, version)


# -- two real hosts --------------------------------------------------------------------------------------


class TwoHosts:
    def __init__(self, tmp_path_factory):
        self.tmp = {name: tmp_path_factory.mktemp(f"host-{name}") for name in "ab"}
        self.running = {name: self.start(name) for name in "ab"}
        self.orphans: dict[str, set[int]] = {}

    def start(self, name: str) -> RunningHost:
        return RunningHost(self.tmp[name], PANLEARN_RUNNER_CGROUP_NAME=f"panlearn-test-{os.getpid()}-{name}")

    def addresses(self):
        return tuple(HostAddress(name, socket_path=host.socket) for name, host in self.running.items())

    def client(self, policy="least-loaded") -> MultiHostClient:
        return MultiHostClient(self.addresses(), secret=SECRET, policy=policy, timeout=60)

    def async_client(self, policy="least-loaded") -> AsyncMultiHostClient:
        return AsyncMultiHostClient(self.addresses(), secret=SECRET, policy=policy, timeout=60)

    def kill(self, name: str) -> None:
        """SIGKILL, as a machine that loses power: no clean-up of its own."""
        process = self.running[name].process
        self.orphans[name] = descendants(process.pid)
        process.send_signal(signal.SIGKILL)
        process.wait()
        self.running[name].log.close()

    def restart(self, name: str) -> None:
        """Start the host again, as its supervisor would: nothing the killed one left may still run then."""
        self.running[name] = self.start(name)
        hosts_module.DOWN.clear(name)
        left = _running(self.orphans.pop(name, ()))
        assert not left, f"the restarted host left its predecessor's kernels running: {left}"

    def ensure_running(self) -> None:
        for name, host in self.running.items():
            if host.process.poll() is not None:
                self.restart(name)

    def stop(self) -> None:
        for host in self.running.values():
            if host.process.poll() is None:
                host.stop()


@pytest.fixture(scope="module")
def two_hosts(tmp_path_factory):
    hosts = TwoHosts(tmp_path_factory)
    yield hosts
    hosts.stop()


def _running(pids) -> dict[int, str]:
    """Which of `pids` still run (a zombie waiting for init to reap it has ended), with their commands."""
    alive = {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().rsplit(")", 1)[1].split()[0] == "Z":
                    continue
            with open(f"/proc/{pid}/cmdline") as cmdline:
                alive[pid] = cmdline.read().replace("\0", " ")[:120]
        except FileNotFoundError:
            continue
    return alive


@pytest.fixture(autouse=True)
def _no_down_marks(request):
    if "two_hosts" in request.fixturenames:
        request.getfixturevalue("two_hosts").ensure_running()  # a failed test may have left one dead
    hosts_module.DOWN.until.clear()
    yield
    hosts_module.DOWN.until.clear()


def test_two_hosts_on_one_machine_need_their_own_cgroup(two_hosts, tmp_path):
    with two_hosts.running["a"].client() as host_a:
        session = host_a.create_session(user="cgroup-owner", context="c")["session_id"]
        host_a.execute(session, user="cgroup-owner", code="kept = 42")
        with pytest.raises(RuntimeError, match="Another kernel host on this machine uses the cgroup name"):
            RunningHost(tmp_path, PANLEARN_RUNNER_CGROUP_NAME=f"panlearn-test-{os.getpid()}-a")
        # The refused host reaped nothing: the first one's kernel still holds its state.
        assert text_of(host_a.execute(session, user="cgroup-owner", code="print(kept)")) == "42\n"
        host_a.shutdown(session, user="cgroup-owner")
    with two_hosts.client() as client:
        assert client.health()["status"] == "ok"


def _host_of(session: dict) -> str:
    return session["session_id"].split(".", 1)[0]


def test_placement_by_load_and_in_order_and_sticky(two_hosts, request):
    prefix = request.node.name[:20]
    with two_hosts.running["a"].client() as host_a, two_hosts.client() as client:
        busy = [host_a.create_session(user=f"{prefix}-busy", context=str(i)) for i in range(2)]
        try:
            newcomer = client.create_session(user=f"{prefix}-new", context="lesson-1")
            assert _host_of(newcomer) == "b"  # a holds two sessions, b none
            with MultiHostClient(two_hosts.addresses(), secret=SECRET, policy="in-order") as in_order:
                assert _host_of(in_order.create_session(user=f"{prefix}-other", context="lesson-1")) == "a"
            # The same student's next lesson stays with them on b, whatever the loads say now.
            for i in range(3):
                host_a.create_session(user=f"{prefix}-busy{i}", context="x")
            second = client.create_session(user=f"{prefix}-new", context="lesson-2")
            assert _host_of(second) == "b" and second["session_id"] != newcomer["session_id"]
            # And the same lesson is the same session.
            assert (
                client.create_session(user=f"{prefix}-new", context="lesson-1")["session_id"] == newcomer["session_id"]
            )
        finally:
            for info in busy:
                host_a.shutdown(info["session_id"], user=f"{prefix}-busy")


def test_a_host_that_answers_but_has_no_kernel_sends_the_student_to_another(two_hosts, request, monkeypatch):
    """Host a is up (it answers its probes) but gives no kernel: full, or starting again. The student gets
    one on b; when no host has one, they read a's reason, not a generic failure."""
    user = request.node.name[:30]
    asked = []

    def full(**kwargs):
        asked.append(kwargs["queue_timeout"])
        raise PoolExhausted("Every kernel on this machine is in use.")

    # Both full: asked again in rounds a turn apart (not in a tight loop), until a host's queue time is over.
    monkeypatch.setattr(hosts_module, "QUEUE_TIMEOUT", 1.5 * hosts_module.QUEUE_SECONDS_BEFORE_NEXT_HOST)
    with two_hosts.client() as client:
        cache.set(hosts_module._placement_key(user), "a")  # the student's host so far
        monkeypatch.setattr(client.clients["a"], "create_session", full)
        session = client.create_session(user=user, context="lesson-1")
        assert _host_of(session) == "b" and cache.get(hosts_module._placement_key(user)) == "b"
        client.shutdown(session["session_id"], user=user)
        monkeypatch.setattr(client.clients["b"], "create_session", full)
        asked.clear()
        started = time.monotonic()
        with pytest.raises(PoolExhausted):
            client.create_session(user=f"{user}-2", context="lesson-1")
        assert time.monotonic() - started >= hosts_module.QUEUE_SECONDS_BEFORE_NEXT_HOST
        assert len(asked) == 4, asked  # two rounds of both hosts
        assert asked[0] == hosts_module.QUEUE_SECONDS_BEFORE_NEXT_HOST and asked[-1] < asked[0]
    assert "a" not in hosts_module.DOWN and "b" not in hosts_module.DOWN  # refused, not down


def test_a_full_host_sends_a_newcomer_on_after_seconds_not_its_minute(two_hosts, request):
    """The student's host is full (every kernel in use). Alone, a host keeps a newcomer in its queue for a
    minute; with another host to ask, it answers after a few seconds and the student gets a kernel there."""
    user, prefix = request.node.name[:30], request.node.name[:20]
    with two_hosts.running["a"].client() as host_a:
        fill = []  # sessions until host a is full (earlier tests may have left some of their own there)
        try:
            # Until every kernel is in use: none idle, none starting (a slow start must not go to a test below).
            deadline = time.monotonic() + 120
            while (
                (metrics := host_a.metrics())["kernels_starting"]
                or metrics["pool_idle"]
                or (metrics["kernels_total"] < metrics["kernels_max"])
            ):
                assert time.monotonic() < deadline, metrics
                with contextlib.suppress(PoolExhausted):
                    n = len(fill)
                    fill.append(host_a.create_session(user=f"{prefix}-{n}", context="fill", queue_timeout=3))
            started = time.monotonic()
            with pytest.raises(PoolExhausted):
                host_a.create_session(user=f"{prefix}-short", context="c", queue_timeout=0.5)
            assert time.monotonic() - started < 5
            with two_hosts.client() as client:
                cache.set(hosts_module._placement_key(user), "a")  # the student's host so far
                started = time.monotonic()
                session = client.create_session(user=user, context="lesson-1")
                waited = time.monotonic() - started
                assert _host_of(session) == "b"
                assert waited < hosts_module.QUEUE_SECONDS_BEFORE_NEXT_HOST + 10, waited
                client.shutdown(session["session_id"], user=user)
                # b was left out as down a moment ago (it is back): the student waits in turns on a, not a's
                # minute, and gets a kernel on b once it is asked again.
                hosts_module.DOWN.mark("b")
                started = time.monotonic()
                session = client.create_session(user=f"{user}-2", context="lesson-1")
                waited = time.monotonic() - started
                assert _host_of(session) == "b"
                assert waited < hosts_module.DOWN_SECONDS + 2 * hosts_module.QUEUE_SECONDS_BEFORE_NEXT_HOST + 5, waited
                client.shutdown(session["session_id"], user=f"{user}-2")
        finally:
            for n, info in enumerate(fill):
                host_a.shutdown(info["session_id"], user=f"{prefix}-{n}")


def test_session_calls_go_to_its_host_and_stay_private(two_hosts, request):
    user = f"{request.node.name[:20]}-s"
    with two_hosts.client() as client:
        session = client.create_session(user=user, context="c")
        sid = session["session_id"]
        reply = client.execute(sid, user=user, code="x = 6 * 7\nprint(x)")
        assert reply.status == "ok" and text_of(reply) == "42\n"
        assert client.status(sid, user=user)["session_id"] == sid
        assert client.complete(sid, user=user, code="x.bit_l", cursor_pos=7)["matches"] == ["bit_length"]
        assert client.restart(sid, user=user)["restarts"] == 1
        assert text_of(client.execute(sid, user=user, code="print('x' in dir())")) == "False\n"
        with pytest.raises(SessionNotFound):
            client.execute(sid, user="someone-else", code="1")
        other_host = "a" if _host_of(session) == "b" else "b"
        with pytest.raises(SessionNotFound):  # the right id on the wrong host is no session either
            client.execute(f"{other_host}.{sid.split('.', 1)[1]}", user=user, code="1")
        client.shutdown(sid, user=user)
        with pytest.raises(SessionNotFound):
            client.status(sid, user=user)


def test_health_and_metrics_cover_every_host(two_hosts):
    with two_hosts.client() as client:
        health, metrics = client.health(), client.metrics()
    assert health["status"] == "ok" and health["secure"] is True
    assert [row["name"] for row in health["hosts"]] == ["a", "b"] and all(row["up"] for row in health["hosts"])
    assert metrics["hosts_up"] == 2 and metrics["kernels_max"] == 20  # 10 per host, added up
    assert metrics["pool_target"] == 4


def _events():
    events = []

    async def emit(name, data):
        events.append((name, data))

    return events, emit


async def _nothing(*args):
    return None


def test_a_dead_host_s_students_get_a_fresh_kernel_with_a_notice(two_hosts, admin_client, request):
    """Kill the student's host between two runs and in the middle of one; restart it; the admin page lists it."""
    who = Who(runner_user=f"{request.node.name[:20]}-d", key="d")
    page = SimpleNamespace(pk=990001)

    async def scenario():
        async with two_hosts.async_client() as client:
            state = {"session_id": "", "restarts": 0, "generation": 0}
            events, emit = _events()
            run = {"client": client, "who": who, "page": page, "cell_id": "c", "setup": "", "datasets": [],
                   "emit": emit, "persist": _nothing}  # fmt: skip
            await run_cell(code="x = 1", state=state, **run)
            session_id = (await client.create_session(user=who.runner_user, context="lesson-990001"))["session_id"]
            first_host = _host_of({"session_id": session_id})
            state = {"session_id": session_id, "restarts": 0, "generation": 1, "datasets": []}
            two_hosts.kill(first_host)
            events.clear()
            result = await run_cell(code="print('x' in dir())", state=state, **run)
            notices = [data["text"] for name, data in events if name == "notice"]
            outputs = [data["part"] for name, data in events if name == "output"]
            return first_host, result, notices, outputs, await client.metrics()

    first_host, result, notices, outputs, metrics = asyncio.run(scenario())
    try:
        assert result["status"] == "ok"
        assert notices == [HostLost.default_message]
        assert "False" in str(outputs)  # a fresh kernel: x is gone
        assert metrics["hosts_up"] == 1
        down_row = next(row for row in metrics["hosts"] if row["name"] == first_host)
        assert down_row["up"] is False
        with override_settings(PANLEARN_RUNNER_HOSTS=_hosts_setting(two_hosts), PANLEARN_RUNNER_SECRET=SECRET):
            page_html = admin_client.get("/admin/runner/").content.decode()
        assert "1 of 2 hosts answer" in page_html and "not answering" in page_html
    finally:
        two_hosts.restart(first_host)
    with override_settings(PANLEARN_RUNNER_HOSTS=_hosts_setting(two_hosts), PANLEARN_RUNNER_SECRET=SECRET):
        page_html = admin_client.get("/admin/runner/").content.decode()
    assert "2 of 2 hosts answer" in page_html and "not answering" not in page_html


def test_a_host_dying_mid_run_runs_the_cell_again_elsewhere(two_hosts, request):
    who = Who(runner_user=f"{request.node.name[:20]}-m", key="m")
    page = SimpleNamespace(pk=990002)

    async def scenario():
        async with two_hosts.async_client() as client:
            session = await client.create_session(user=who.runner_user, context="lesson-990002")
            host = _host_of(session)
            state = {"session_id": session["session_id"], "restarts": 0, "generation": 1, "datasets": []}
            events, emit = _events()
            killer = asyncio.get_running_loop().call_later(1.0, two_hosts.kill, host)
            result = await run_cell(client=client, who=who, page=page, cell_id="c", setup="", datasets=[],
                                    emit=emit, persist=_nothing, state=state,
                                    code="import time\ntime.sleep(2.5)\nprint('done')")  # fmt: skip
            killer.cancel()
            return host, result, events

    host, result, events = asyncio.run(scenario())
    try:
        assert result["status"] == "ok"
        assert [data["text"] for name, data in events if name == "notice"] == [HostLost.default_message]
        assert "done" in str([data for name, data in events if name == "output"])
    finally:
        two_hosts.restart(host)


def test_a_host_back_from_a_restart_before_it_is_asked_has_lost_the_run(two_hosts, request):
    """The host dies mid-run and its supervisor has it answering again by the time the site asks whether it
    is there (the load test's respawn takes 5 s, and a busy web process may ask that late). It answers, but
    the student's kernel went with its old process: a fresh kernel and the notice, not "restarting"."""
    who = Who(runner_user=f"{request.node.name[:20]}-r", key="r")
    page = SimpleNamespace(pk=990003)

    async def scenario():
        async with two_hosts.async_client() as client:
            session = await client.create_session(user=who.runner_user, context="lesson-990003")
            host = _host_of(session)
            run_on_host = client.clients[host].execute

            async def dies_and_comes_back(*args, **kwargs):
                client.clients[host].execute = run_on_host  # once: the run again may land on the restarted host
                killer = asyncio.get_running_loop().call_later(1.0, two_hosts.kill, host)
                try:
                    return await run_on_host(*args, **kwargs)
                except RunnerUnavailable:
                    await asyncio.to_thread(two_hosts.restart, host)  # back before the site asks
                    raise
                finally:
                    killer.cancel()

            client.clients[host].execute = dies_and_comes_back
            state = {"session_id": session["session_id"], "restarts": 0, "generation": 1, "datasets": []}
            events, emit = _events()
            kept = {}

            async def persist(after, shown, status):
                kept.update(after)

            result = await run_cell(client=client, who=who, page=page, cell_id="c", setup="", datasets=[],
                                    emit=emit, persist=persist, state=state,
                                    code="import time\ntime.sleep(2.5)\nprint('done')")  # fmt: skip
            await client.shutdown(kept["session_id"], user=who.runner_user)  # the fresh one: leave no load behind
            return host, result, events

    host, result, events = asyncio.run(scenario())
    assert two_hosts.running[host].process.poll() is None  # restarted, and answering
    assert result["status"] == "ok"
    assert [data["text"] for name, data in events if name == "notice"] == [HostLost.default_message]
    assert "done" in str([data for name, data in events if name == "output"])


def test_the_blocking_client_also_asks_the_restarted_host_for_the_session(two_hosts, request):
    user = f"{request.node.name[:20]}-s"
    with two_hosts.client() as client:
        session = client.create_session(user=user, context="lesson-990004")
        host = _host_of(session)
        assert client.execute(session["session_id"], user=user, code="x = 1").status == "ok"

        def dies_and_comes_back(*args, **kwargs):
            two_hosts.kill(host)
            two_hosts.restart(host)
            raise RunnerUnavailable() from httpx.RemoteProtocolError("peer closed connection")  # as the kill left it

        client.clients[host].execute = dies_and_comes_back
        with pytest.raises(HostLost):
            client.execute(session["session_id"], user=user, code="x")
        # A host that still holds the session is busy, not lost: its error is the student's to see.
        del client.clients[host].execute
        session = client.create_session(user=user, context="lesson-990004")

        def times_out(*args, **kwargs):
            raise RunnerUnavailable() from httpx.ReadTimeout("no answer in time")

        client.clients[_host_of(session)].execute = times_out
        with pytest.raises(RunnerUnavailable) as raised:
            client.execute(session["session_id"], user=user, code="x")
        assert not isinstance(raised.value, HostLost)
        del client.clients[_host_of(session)].execute
        client.shutdown(session["session_id"], user=user)  # leave no load for the tests after (in-order placement)


def test_a_grade_in_flight_on_a_dying_host_is_graded_by_another(two_hosts):
    with two_hosts.client(policy="in-order") as client:
        threading.Timer(1.0, two_hosts.kill, args=("a",)).start()
        started = time.monotonic()
        try:
            result = client.grade(code="pass", tests=SLOW_TEST)
        finally:
            elapsed = time.monotonic() - started
            two_hosts.restart("a")
    assert [test["status"] for test in result["tests"]] == ["passed"]
    assert elapsed > 3.5  # it was graded in full on b, after a died mid-grade


def test_a_host_too_busy_to_answer_a_probe_is_not_lost(tmp_path, monkeypatch):
    """Under load a host may not answer a probe in time. That is a busy host, not a dead one: its students
    must not be sent to a fresh kernel (losing their variables) as they are when a host is gone. One that
    lets three probes in a row time out is hung, or worse: down."""
    import socket as sockets

    monkeypatch.setattr(hosts_module, "PROBE_TIMEOUT", 0.3)
    busy_path = str(tmp_path / "busy.sock")
    busy = sockets.socket(sockets.AF_UNIX)
    busy.bind(busy_path)
    busy.listen(8)  # takes connections, never answers
    try:
        hosts = (HostAddress("busy", socket_path=busy_path), HostAddress("gone", socket_path=str(tmp_path / "x.sock")))
        with MultiHostClient(hosts, secret=SECRET) as client:
            assert client._alive("gone") is False and "gone" in hosts_module.DOWN  # refused: at once
            assert [client._alive("busy") for _ in range(3)] == [True, True, False]
        assert "busy" in hosts_module.DOWN
        # A refusal is asked again after a second (the host may be back from a restart); a host that let its
        # probes time out costs a probe's timeout to ask, and is left out for longer.
        time.sleep(hosts_module.REFUSED_SECONDS + 0.2)
        assert "gone" not in hosts_module.DOWN and "busy" in hosts_module.DOWN
        hosts_module.DOWN.clear("busy")

        async def probe():
            async with AsyncMultiHostClient(hosts, secret=SECRET) as client:
                return [await client._alive("busy") for _ in range(3)], await client._alive("gone")

        assert asyncio.run(probe()) == ([True, True, False], False)
    finally:
        busy.close()
        hosts_module.DOWN.clear("busy")
        hosts_module.DOWN.clear("gone")


def test_only_a_refusal_is_asked_again_within_a_second():
    """Nothing listening (refused, a unix socket's file gone) is a process that died and may be back at once;
    a name that does not resolve, or a connection not made in time, is not, and each probe would cost."""
    import errno
    import socket

    import httpx

    def failure(cause: BaseException, reason: BaseException | None = None) -> RunnerUnavailable:
        cause.__cause__ = reason
        error = RunnerUnavailable()
        error.__cause__ = cause
        return error

    assert hosts_module.refused(failure(httpx.ConnectError("x"), ConnectionRefusedError(errno.ECONNREFUSED, "x")))
    assert hosts_module.refused(failure(httpx.ConnectError("x"), FileNotFoundError(errno.ENOENT, "x")))
    assert not hosts_module.refused(failure(httpx.ConnectError("x"), socket.gaierror(-2, "Name or service not known")))
    assert not hosts_module.refused(failure(httpx.ConnectTimeout("x")))
    assert not hosts_module.refused(RunnerUnavailable("The code service rejected this server's credentials."))


def test_no_host_answering_sends_the_grade_back_to_the_queue(tmp_path):
    dead = (
        HostAddress("a", socket_path=str(tmp_path / "a.sock")),
        HostAddress("b", socket_path=str(tmp_path / "b.sock")),
    )
    with MultiHostClient(dead, secret=SECRET) as client:
        with pytest.raises(RunnerUnavailable):
            client.grade(code="pass", tests=SLOW_TEST)
        with pytest.raises(RunnerUnavailable):
            client.create_session(user="u", context="c")
        with pytest.raises(RunnerUnavailable):
            client.health()
    assert "a" in hosts_module.DOWN and "b" in hosts_module.DOWN


def _hosts_setting(two_hosts) -> str:
    return ",".join(f"{name}=unix:{host.socket}" for name, host in two_hosts.running.items())
