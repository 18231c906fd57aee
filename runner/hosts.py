"""Several kernel hosts behind one client: placement, stickiness and failover.

`PANLEARN_RUNNER_HOSTS` names the hosts ("a=unix:/run/panlearn/a.sock,b=http://10.0.0.6:8787"); in
production each is its own machine running `python -m runner serve`. The clients here have the methods
and typed errors of `runner.client.RunnerClient` / `AsyncRunnerClient`, so views and tasks do not know
how many hosts there are.

- **Placement.** A student's sessions all live on one host: its limits (kernels per user, one session per
  lesson) are a host's rules. Which host is kept in Django's cache, so every web process and worker sends
  the student to the same place. A new student, and every grade, goes where the policy says:
  `least-loaded` (by the hosts' own metrics) or `in-order` (the first host with room: keeps later
  machines idle until they are needed). With `least-loaded` a new session goes first to a host with a
  warm kernel idle: a host that has just started again has few sessions, and would otherwise take every
  newcomer while its pool is still empty, making each wait for a kernel to start.
- **Session ids** carry their host's name (`a.<id>`): a session's calls need no lookup.
- **Failover.** A host that stops answering is probed; when it is down (refused, its socket gone, no
  connection in time, or three probes in a row unanswered: one slow probe finds a busy host, whose
  students keep their kernels) it is left out of placement for a while (a second when it refused: it is
  restarting, and is used again once back), its students get `HostLost` (a `SessionNotFound`: the cell
  runs again in a fresh kernel on another host, with that notice), and a grade goes to another host, or
  back to the task queue when no host answers.
"""

import asyncio
import errno
import re
import time
from dataclasses import dataclass, replace

import httpx
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

from .client import AsyncRunnerClient, RunnerClient
from .exceptions import QUEUE_TIMEOUT, HostLost, PoolExhausted, RunnerUnavailable, SessionNotFound
from .replies import ExecuteReply

POLICIES = ("least-loaded", "in-order")
PROBE_TIMEOUT = 2.0  # health and metrics during placement and failover: a hung host must not hold a student
DOWN_SECONDS = 10.0  # a host that timed out (hung, or its machine cut off) is not asked again for this long
# One that refused (its process gone: it is restarting) is asked again after this: a refusal costs nothing to
# find, and a host that is back can be placed on at once (placement still prefers another host's warm kernel).
REFUSED_SECONDS = 1.0
PROBE_TIMEOUTS_FOR_DOWN = 3  # a host that took the connection but let this many probes in a row time out is down
# A host found full after placement (others placed there at the same moment) keeps a new student in its
# queue this long, then answers PoolExhausted so that the next host, which may have room, is asked: not
# the host's whole minute. When every host was full, they are asked again in turn (one that was left out
# as down may be back), until the student has waited as long as one host would keep them.
QUEUE_SECONDS_BEFORE_NEXT_HOST = 5.0


class _Rounds:
    """A new student's rounds over several hosts that were full: each host keeps them in its queue for a
    turn; a round in which every host asked answered "full" (the others being left out as down) is followed
    by another, no sooner than a turn after it began, until a host's whole queue time has passed."""

    def __init__(self, hosts):
        self.several = len(hosts) > 1
        now = time.monotonic()
        self.began, self.deadline = now, now + QUEUE_TIMEOUT
        self.all_full = True

    def turn(self) -> float | None:
        """How long the host asked now may keep the student in its queue; None: its own limit (one host)."""
        if not self.several:
            return None
        return max(0.0, min(QUEUE_SECONDS_BEFORE_NEXT_HOST, self.deadline - time.monotonic()))

    def failed(self, error: Exception) -> None:
        self.all_full = self.all_full and isinstance(error, PoolExhausted)

    def pause_before_next(self, tried: set) -> float | None:
        """Seconds to wait before the next round, or None: no next round."""
        now = time.monotonic()
        if not (self.several and tried and self.all_full and now < self.deadline):
            return None
        pause = max(0.0, self.began + QUEUE_SECONDS_BEFORE_NEXT_HOST - now)
        if now + pause >= self.deadline:
            return None
        self.began, self.all_full = now + pause, True
        return pause


NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,30}$")


@dataclass(frozen=True)
class HostAddress:
    name: str
    base_url: str = "http://runner"
    socket_path: str = ""

    @property
    def address(self) -> str:
        return f"unix:{self.socket_path}" if self.socket_path else self.base_url


def parse_hosts(spec: str) -> tuple[HostAddress, ...]:
    """`name=unix:/path` or `name=http://host:port`, comma-separated; names are short, lower-case and unique."""
    hosts = []
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, sep, address = item.partition("=")
        name, address = name.strip(), address.strip()
        if not sep or not NAME.match(name):
            raise ImproperlyConfigured(
                f"PANLEARN_RUNNER_HOSTS: {item!r} is not name=address (names: a-z, 0-9 and '-', at most 31)."
            )
        if address.startswith("unix:") and len(address) > len("unix:"):
            hosts.append(HostAddress(name, socket_path=address.removeprefix("unix:")))
        elif address.startswith(("http://", "https://")):
            hosts.append(HostAddress(name, base_url=address.rstrip("/")))
        else:
            raise ImproperlyConfigured(f"PANLEARN_RUNNER_HOSTS: host {name!r} needs unix:/path or http(s)://host:port.")
    if len({host.name for host in hosts}) != len(hosts):
        raise ImproperlyConfigured("PANLEARN_RUNNER_HOSTS: two hosts have the same name.")
    return tuple(hosts)


def load_of(metrics: dict) -> float:
    """How full a host is: sessions, students queued for a kernel or its start and grades waiting, over its
    kernels."""
    used = metrics.get("sessions", 0) + metrics.get("queue_length", 0) + metrics.get("grading_waiting", 0)
    used += metrics.get("kernels_waiting_to_start", 0)
    return used / max(1, metrics.get("kernels_max", 1))


WARM, ROOM, FULL = 0, 1, 2  # a session's prospects on a host: a warm kernel now, a cold start, a queue


def rank_of(metrics: dict, *, kernel: bool = True) -> tuple[int, float]:
    """How good a host is for new work, lowest first: for a session, a host with an idle warm kernel, then a
    host with room to start one (a second or two), then a full host, where the student would queue until a
    kernel is freed; then by load. Grades run in processes of their own: load alone."""
    if not kernel or metrics.get("pool_idle", 0) > 0:
        prospect = WARM
    elif metrics.get("kernels_total", 0) + metrics.get("kernels_waiting_to_start", 0) < metrics.get("kernels_max", 1):
        prospect = ROOM
    else:
        prospect = FULL
    return (prospect, load_of(metrics))


def choose(ranks: dict[str, tuple[int, float]], policy: str) -> str | None:
    """The host to place on, from the ranks (`rank_of`) of the hosts that answered (in configured order);
    None if none answered."""
    if not ranks:
        return None
    if policy == "in-order":  # packing before speed: the first host with room, warm or not
        loads = {name: load for name, (_prospect, load) in ranks.items()}
        return next((name for name, load in loads.items() if load < 1), min(loads, key=loads.__getitem__))
    return min(ranks, key=ranks.__getitem__)  # ties: the first configured


def session_id_on(name: str, session_id: str) -> str:
    return f"{name}.{session_id}"


def split_session_id(session_id: str, names) -> tuple[str, str]:
    name, _, inner = session_id.partition(".")
    if name not in names or not inner:
        raise SessionNotFound()
    return name, inner


def tagged(name: str, result):
    """A host's answer with its session ids made global."""
    if isinstance(result, ExecuteReply):
        return replace(result, session=tagged(name, result.session)) if result.session else result
    if isinstance(result, dict) and "session_id" in result:
        return {**result, "session_id": session_id_on(name, result["session_id"])}
    return result


def combined(reports: dict[str, dict | None], addresses: dict[str, str]) -> tuple[dict, dict]:
    """One health and one metrics for the site, from each host's (None: did not answer), with a row per host."""
    up = {name: report for name, report in reports.items() if report is not None}
    if not up:
        raise RunnerUnavailable()
    protections: dict[str, dict] = {}
    for report in up.values():
        for check, result in report["health"]["protections"].items():
            merged = protections.setdefault(check, {"ok": True, "detail": result["detail"]})
            if not result["ok"]:
                merged.update(ok=False, detail=result["detail"])
    metrics: dict = {"restarts_by_cause": {}}
    for report in up.values():
        for key, value in report["metrics"].items():
            if key == "restarts_by_cause":
                for cause, count in value.items():
                    metrics["restarts_by_cause"][cause] = metrics["restarts_by_cause"].get(cause, 0) + count
            elif isinstance(value, int | float):
                metrics[key] = metrics.get(key, 0) + value
    rows = [
        {"name": name, "address": addresses[name], "up": report is not None,
         "health": (report or {}).get("health"), "metrics": (report or {}).get("metrics"),
         "load": None if report is None else round(load_of(report["metrics"]), 2)}
        for name, report in reports.items()
    ]  # fmt: skip
    health = {
        "status": "ok" if len(up) == len(reports) else "degraded",
        "secure": all(report["health"]["secure"] for report in up.values()),
        "protections": protections,
        "hosts": rows,
    }
    return health, {**metrics, "hosts_up": len(up), "hosts_total": len(reports), "hosts": rows}


class DownHosts:
    """Hosts found down, left out of placement until their mark expires (per process: each finds out itself)."""

    def __init__(self):
        self.until: dict[str, float] = {}
        self.timeouts: dict[str, int] = {}  # probes in a row that timed out

    def mark(self, name: str, seconds: float = DOWN_SECONDS) -> None:
        self.until[name] = time.monotonic() + seconds

    def clear(self, name: str) -> None:
        self.until.pop(name, None)
        self.timeouts.pop(name, None)

    def probe_failed(self, name: str, error: RunnerUnavailable) -> bool:
        """Count a failed probe; True (and marked down) when the host is gone, or has let PROBE_TIMEOUTS_FOR_DOWN
        probes in a row time out: a busy host answers one of them, a hung or powered-off one never does."""
        if not gone(error):
            self.timeouts[name] = self.timeouts.get(name, 0) + 1
            if self.timeouts[name] < PROBE_TIMEOUTS_FOR_DOWN:
                return False
        self.mark(name, REFUSED_SECONDS if refused(error) else DOWN_SECONDS)
        return True

    def __contains__(self, name: str) -> bool:
        return self.until.get(name, 0) > time.monotonic()


DOWN = DownHosts()


def _placement_key(user: str) -> str:
    return f"panlearn:runner:host:{user}"


def _placement_ttl() -> int:
    from django.conf import settings

    return settings.PANLEARN_RUNNER_IDLE_SECONDS + 300  # past the cull: a returning student is placed afresh


def refused(error: BaseException) -> bool:
    """Whether the host's machine answered that nothing listens there (ECONNREFUSED, or a unix socket's file
    gone): its process died, and may be back in a moment. Not a DNS failure or a proxy's error page."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, OSError) and error.errno in (errno.ECONNREFUSED, errno.ENOENT):
            return True
        error = error.__cause__ or error.__context__
    return False


def gone(error: RunnerUnavailable) -> bool:
    """Whether a failed call means the host is gone (refused, no socket, reset, or no connection made in
    time: a machine powered off or cut off) rather than busy. A host that took the connection and did not
    answer in time is under load: calling it lost at once would cost its students their kernels."""
    cause = error.__cause__
    return not isinstance(cause, httpx.TimeoutException) or isinstance(cause, httpx.ConnectTimeout)


class _Hosts:
    """What both clients share: the hosts, their clients, the policy and the down marks."""

    def __init__(self, hosts, *, secret: str, policy: str = "least-loaded", timeout: float = 120.0, client_class):
        if policy not in POLICIES:
            raise ImproperlyConfigured(f"PANLEARN_RUNNER_PLACEMENT must be one of {', '.join(POLICIES)}.")
        self.hosts = {host.name: host for host in hosts}
        self.policy = policy
        self.down = DOWN
        self.clients = {
            host.name: client_class(
                base_url=host.base_url, socket_path=host.socket_path, secret=secret, timeout=timeout
            )
            for host in hosts
        }

    def candidates(self, exclude=()) -> list[str]:
        return [name for name in self.hosts if name not in exclude and name not in self.down]

    def addresses(self) -> dict[str, str]:
        return {name: host.address for name, host in self.hosts.items()}


class MultiHostClient(_Hosts):
    """Blocking client over several kernel hosts, for tasks and management commands."""

    def __init__(self, hosts, **kwargs):
        super().__init__(hosts, client_class=RunnerClient, **kwargs)

    def close(self) -> None:
        for client in self.clients.values():
            client.close()

    def __enter__(self) -> "MultiHostClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _report(self, name: str) -> dict | None:
        try:
            client = self.clients[name]
            report = {"health": client.health(timeout=PROBE_TIMEOUT), "metrics": client.metrics(timeout=PROBE_TIMEOUT)}
        except RunnerUnavailable as error:
            self.down.probe_failed(name, error)
            return None
        self.down.clear(name)
        return report

    def _alive(self, name: str) -> bool:
        """After a failed call: is the host still there (a busy host that timed out is)?"""
        try:
            self.clients[name].health(timeout=PROBE_TIMEOUT)
        except RunnerUnavailable as error:
            return not self.down.probe_failed(name, error)
        self.down.clear(name)
        return True

    def _place(self, exclude=(), *, kernel: bool = True) -> str:
        ranks = {}
        for name in self.candidates(exclude):
            try:
                ranks[name] = rank_of(self.clients[name].metrics(timeout=PROBE_TIMEOUT), kernel=kernel)
            except RunnerUnavailable as error:  # not placed on now
                self.down.probe_failed(name, error)
        chosen = choose(ranks, self.policy)
        if chosen is None:
            raise RunnerUnavailable()
        return chosen

    def health(self) -> dict:
        return combined({name: self._report(name) for name in self.hosts}, self.addresses())[0]

    def metrics(self) -> dict:
        return combined({name: self._report(name) for name in self.hosts}, self.addresses())[1]

    def create_session(self, *, user: str, context: str, kernel: str = "python3", datasets=(), on_queue=None) -> dict:
        name, tried, failed = cache.get(_placement_key(user)), set(), None
        rounds = _Rounds(self.hosts)
        while True:
            if name not in self.hosts or name in tried or name in self.down:
                try:
                    name = self._place(exclude=tried)
                except RunnerUnavailable:
                    if (pause := rounds.pause_before_next(tried)) is not None:
                        time.sleep(pause)
                        tried, name = set(), None
                        continue
                    raise failed or RunnerUnavailable() from None  # every host tried: the first host's reason
            try:
                session = self.clients[name].create_session(
                    user=user, context=context, kernel=kernel, datasets=datasets, on_queue=on_queue,
                    queue_timeout=rounds.turn(),
                )  # fmt: skip
            except (RunnerUnavailable, PoolExhausted) as error:
                # A host that answers but gives no kernel (starting again, full, or too slow): another may.
                tried.add(name)
                rounds.failed(error)
                if self._alive(name):
                    failed = failed or error  # its reason, for the student if no host has a kernel
                continue
            cache.set(_placement_key(user), name, timeout=_placement_ttl())
            return tagged(name, session)

    def _still_holds(self, name: str, inner: str, user: str) -> bool:
        """After a failed call on a session: does its host still hold it? See the async client's."""
        try:
            self.clients[name].status(inner, user=user, timeout=PROBE_TIMEOUT)
        except SessionNotFound:
            self.down.clear(name)  # it answered: up, restarted, and a place for the fresh kernel
            return False
        except RunnerUnavailable:
            return self._alive(name)
        self.down.clear(name)
        return True

    def _on_session(self, method: str, session_id: str, **kwargs):
        name, inner = split_session_id(session_id, self.hosts)
        try:
            return tagged(name, getattr(self.clients[name], method)(inner, **kwargs))
        except RunnerUnavailable:
            if self._still_holds(name, inner, kwargs["user"]):
                raise
            cache.delete(_placement_key(kwargs["user"]))
            raise HostLost() from None

    def execute(self, session_id: str, **kwargs) -> ExecuteReply:
        return self._on_session("execute", session_id, **kwargs)

    def status(self, session_id: str, **kwargs) -> dict:
        return self._on_session("status", session_id, **kwargs)

    def interrupt(self, session_id: str, **kwargs) -> dict:
        return self._on_session("interrupt", session_id, **kwargs)

    def restart(self, session_id: str, **kwargs) -> dict:
        return self._on_session("restart", session_id, **kwargs)

    def shutdown(self, session_id: str, **kwargs) -> dict:
        return self._on_session("shutdown", session_id, **kwargs)

    def complete(self, session_id: str, **kwargs) -> dict:
        return self._on_session("complete", session_id, **kwargs)

    def inspect(self, session_id: str, **kwargs) -> dict:
        return self._on_session("inspect", session_id, **kwargs)

    def grade(self, **kwargs) -> dict:
        tried = set()
        while True:
            name = self._place(exclude=tried, kernel=False)
            try:
                return self.clients[name].grade(**kwargs)
            except RunnerUnavailable:
                tried.add(name)
                if self._alive(name):
                    raise


class AsyncMultiHostClient(_Hosts):
    """Non-blocking client over several kernel hosts, for the ASGI views that stream cells."""

    def __init__(self, hosts, **kwargs):
        super().__init__(hosts, client_class=AsyncRunnerClient, **kwargs)

    async def aclose(self) -> None:
        for client in self.clients.values():
            await client.aclose()

    async def __aenter__(self) -> "AsyncMultiHostClient":
        return self

    async def __aexit__(self, *exc) -> None:
        await self.aclose()

    async def _report(self, name: str) -> dict | None:
        try:
            client = self.clients[name]
            health, metrics = await asyncio.gather(
                client.health(timeout=PROBE_TIMEOUT), client.metrics(timeout=PROBE_TIMEOUT)
            )
        except RunnerUnavailable as error:
            self.down.probe_failed(name, error)
            return None
        self.down.clear(name)
        return {"health": health, "metrics": metrics}

    async def _alive(self, name: str) -> bool:
        """After a failed call: is the host still there (a busy host that timed out is)?"""
        try:
            await self.clients[name].health(timeout=PROBE_TIMEOUT)
        except RunnerUnavailable as error:
            return not self.down.probe_failed(name, error)
        self.down.clear(name)
        return True

    async def _place(self, exclude=(), *, kernel: bool = True) -> str:
        names = self.candidates(exclude)
        answers = await asyncio.gather(
            *(self.clients[name].metrics(timeout=PROBE_TIMEOUT) for name in names), return_exceptions=True
        )
        ranks = {}
        for name, answer in zip(names, answers, strict=True):
            if isinstance(answer, RunnerUnavailable):  # not placed on now
                self.down.probe_failed(name, answer)
            elif isinstance(answer, BaseException):
                raise answer
            else:
                ranks[name] = rank_of(answer, kernel=kernel)
        chosen = choose(ranks, self.policy)
        if chosen is None:
            raise RunnerUnavailable()
        return chosen

    async def _reports(self) -> dict[str, dict | None]:
        names = list(self.hosts)
        return dict(zip(names, await asyncio.gather(*(self._report(name) for name in names)), strict=True))

    async def health(self) -> dict:
        return combined(await self._reports(), self.addresses())[0]

    async def metrics(self) -> dict:
        return combined(await self._reports(), self.addresses())[1]

    async def create_session(
        self, *, user: str, context: str, kernel: str = "python3", datasets=(), on_queue=None
    ) -> dict:
        name, tried, failed = await cache.aget(_placement_key(user)), set(), None
        rounds = _Rounds(self.hosts)
        while True:
            if name not in self.hosts or name in tried or name in self.down:
                try:
                    name = await self._place(exclude=tried)
                except RunnerUnavailable:
                    if (pause := rounds.pause_before_next(tried)) is not None:
                        await asyncio.sleep(pause)
                        tried, name = set(), None
                        continue
                    raise failed or RunnerUnavailable() from None  # every host tried: the first host's reason
            try:
                session = await self.clients[name].create_session(
                    user=user, context=context, kernel=kernel, datasets=datasets, on_queue=on_queue,
                    queue_timeout=rounds.turn(),
                )  # fmt: skip
            except (RunnerUnavailable, PoolExhausted) as error:
                # A host that answers but gives no kernel (starting again, full, or too slow): another may.
                tried.add(name)
                rounds.failed(error)
                if await self._alive(name):
                    failed = failed or error  # its reason, for the student if no host has a kernel
                continue
            await cache.aset(_placement_key(user), name, timeout=_placement_ttl())
            return tagged(name, session)

    async def _still_holds(self, name: str, inner: str, user: str) -> bool:
        """After a failed call on a session: does its host still hold it? A busy host that let the call time
        out does. A host that is gone does not, nor one that is back from a restart by the time it is asked
        (a respawn takes seconds): it answers, but the kernels went with its old process. Only that answer
        (404) loses the session here; any other failure (a timeout, a refused secret, an error page) is
        judged by the health probe, as before: a host that answers it keeps its students."""
        try:
            await self.clients[name].status(inner, user=user, timeout=PROBE_TIMEOUT)
        except SessionNotFound:
            self.down.clear(name)  # it answered: up, restarted, and a place for the fresh kernel
            return False
        except RunnerUnavailable:
            return await self._alive(name)
        self.down.clear(name)
        return True

    async def _on_session(self, method: str, session_id: str, **kwargs):
        name, inner = split_session_id(session_id, self.hosts)
        try:
            return tagged(name, await getattr(self.clients[name], method)(inner, **kwargs))
        except RunnerUnavailable:
            if await self._still_holds(name, inner, kwargs["user"]):
                raise
            await cache.adelete(_placement_key(kwargs["user"]))
            raise HostLost() from None

    async def execute(self, session_id: str, **kwargs) -> ExecuteReply:
        return await self._on_session("execute", session_id, **kwargs)

    async def status(self, session_id: str, **kwargs) -> dict:
        return await self._on_session("status", session_id, **kwargs)

    async def interrupt(self, session_id: str, **kwargs) -> dict:
        return await self._on_session("interrupt", session_id, **kwargs)

    async def restart(self, session_id: str, **kwargs) -> dict:
        return await self._on_session("restart", session_id, **kwargs)

    async def shutdown(self, session_id: str, **kwargs) -> dict:
        return await self._on_session("shutdown", session_id, **kwargs)

    async def complete(self, session_id: str, **kwargs) -> dict:
        return await self._on_session("complete", session_id, **kwargs)

    async def inspect(self, session_id: str, **kwargs) -> dict:
        return await self._on_session("inspect", session_id, **kwargs)

    async def grade(self, **kwargs) -> dict:
        tried = set()
        while True:
            name = await self._place(exclude=tried, kernel=False)
            try:
                return await self.clients[name].grade(**kwargs)
            except RunnerUnavailable:
                tried.add(name)
                if await self._alive(name):
                    raise
