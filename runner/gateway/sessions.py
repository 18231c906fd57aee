"""Which user and context own a gateway kernel: the session registry."""

import threading
from collections import Counter
from dataclasses import dataclass


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

    def count(self, name: str, amount: int = 1) -> None:
        with self._lock:
            self._counters[name] += amount

    def counters(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counters)


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
