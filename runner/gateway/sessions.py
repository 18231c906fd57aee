"""Which user and context own a gateway kernel: the session registry."""

import hashlib
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class GatewaySession:
    session_id: str  # the gateway's kernel id
    user: str
    context: str
    kernel: str
    datasets: tuple[str, ...] = ()
    restarts: int = 0


class InMemorySessionRegistry:
    """Who owns which gateway kernel, for this process; thread-safe. Counters feed `metrics()`."""

    def __init__(self) -> None:
        self._sessions: dict[str, GatewaySession] = {}
        self._counters: Counter[str] = Counter()
        self._lock = threading.Lock()

    def get(self, session_id: str) -> GatewaySession | None:
        with self._lock:
            return self._sessions.get(session_id)

    def put(self, session: GatewaySession) -> None:
        with self._lock:
            self._sessions[session.session_id] = session

    def remove(self, session_id: str) -> None:
        with self._lock:
            self._sessions.pop(session_id, None)

    def find(self, *, user: str, context: str, kernel: str, datasets: tuple[str, ...]) -> GatewaySession | None:
        wanted = (user, context, kernel, datasets)
        with self._lock:
            for session in self._sessions.values():
                if (session.user, session.context, session.kernel, session.datasets) == wanted:
                    return session
        return None

    def all(self) -> list[GatewaySession]:
        with self._lock:
            return list(self._sessions.values())

    def many(self, session_ids: Iterable[str]) -> list[GatewaySession]:
        with self._lock:
            return [self._sessions[key] for key in session_ids if key in self._sessions]

    def count(self, name: str, amount: int = 1) -> None:
        with self._lock:
            self._counters[name] += amount

    def counters(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counters)


COUNTERS = ("kernels_started", "kernel_start_failures", "restarts:died", "restarts:timeout", "restarts:requested")


class CacheSessionRegistry:
    """Who owns which gateway kernel, in Django's cache: one registry for every web process and worker in
    front of the gateway (web pods on Kubernetes), where a per-process one would lose a student's kernel
    whenever their next request reached another process. The cache cannot list its keys: `all()` is empty,
    and `metrics()` asks `many()` about the kernels that the gateway lists."""

    prefix = "panlearn:runner:gateway:"
    ttl = 7 * 24 * 3600  # past any idle cull: the gateway forgets the kernel first

    def __init__(self, cache=None) -> None:
        if cache is None:
            from django.core.cache import cache
        self.cache = cache

    def _owner_key(self, user: str, context: str, kernel: str, datasets: tuple[str, ...]) -> str:
        digest = hashlib.sha256(repr((user, context, kernel, datasets)).encode()).hexdigest()[:32]
        return f"{self.prefix}owner:{digest}"

    def get(self, session_id: str) -> GatewaySession | None:
        stored = self.cache.get(f"{self.prefix}session:{session_id}")
        return None if stored is None else GatewaySession(**{**stored, "datasets": tuple(stored["datasets"])})

    def put(self, session: GatewaySession) -> None:
        owner = self._owner_key(session.user, session.context, session.kernel, session.datasets)
        self.cache.set_many(
            {f"{self.prefix}session:{session.session_id}": asdict(session), owner: session.session_id},
            timeout=self.ttl,
        )

    def remove(self, session_id: str) -> None:
        session = self.get(session_id)
        keys = [f"{self.prefix}session:{session_id}"]
        if session is not None:
            owner = self._owner_key(session.user, session.context, session.kernel, session.datasets)
            if self.cache.get(owner) == session_id:
                keys.append(owner)
        self.cache.delete_many(keys)

    def find(self, *, user: str, context: str, kernel: str, datasets: tuple[str, ...]) -> GatewaySession | None:
        session_id = self.cache.get(self._owner_key(user, context, kernel, datasets))
        return None if session_id is None else self.get(session_id)

    def all(self) -> list[GatewaySession]:
        return []

    def many(self, session_ids: Iterable[str]) -> list[GatewaySession]:
        keys = {f"{self.prefix}session:{key}": key for key in session_ids}
        found = self.cache.get_many(list(keys))
        return [GatewaySession(**{**value, "datasets": tuple(value["datasets"])}) for value in found.values()]

    def count(self, name: str, amount: int = 1) -> None:
        key = f"{self.prefix}count:{name}"
        self.cache.add(key, 0, timeout=None)
        try:
            self.cache.incr(key, amount)
        except ValueError:  # evicted between add and incr
            self.cache.add(key, amount, timeout=None)

    def counters(self) -> dict[str, int]:
        found = self.cache.get_many([f"{self.prefix}count:{name}" for name in COUNTERS])
        return {key.removeprefix(f"{self.prefix}count:"): value for key, value in found.items()}


DEFAULT_REGISTRY = InMemorySessionRegistry()


def describe_session(session: GatewaySession, model: dict | None) -> dict:
    state = (model or {}).get("execution_state")
    status = state if state in ("busy", "dead") else "idle"  # "starting" kernels already queue requests
    return {
        "session_id": session.session_id,
        "context": session.context,
        "kernel": session.kernel,
        "datasets": list(session.datasets),
        "status": status,
        "restarts": session.restarts,
    }
