"""Fixed-window budgets in the cache, per account or per client address: how often a costly request may
come (cell runs and restarts, failed sign-ins, sign-ups, resets, certificate look-ups).

With the default local-memory cache each web process counts on its own; several processes need a shared
cache (DJANGO_CACHE_URL) for a budget to hold as written.
"""

import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache


@dataclass(frozen=True)
class Budget:
    name: str
    setting: str  # the setting that holds how many requests one window allows
    seconds: int

    @property
    def limit(self) -> int:
        return getattr(settings, self.setting)


def client_address(request) -> str:
    # Behind a proxy, the operator's proxy sets REMOTE_ADDR correctly (see docs/operator.md).
    return (request.META.get("REMOTE_ADDR") if request is not None else None) or "unknown"


def _window(budget: Budget, who: str) -> tuple[str, int]:
    """The cache key of the current window, and the seconds left in it."""
    now = int(time.time())
    return f"panlearn:budget:{budget.name}:{who}:{now // budget.seconds}", budget.seconds - now % budget.seconds


def _count(key: str, remaining: int) -> int:
    cache.add(key, 0, timeout=remaining + 5)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=remaining + 5)
        return 1


def take(budget: Budget, who: str) -> int:
    """Count one request: 0 while the budget lasts, else the seconds until its window ends. The count comes
    first (one atomic increment), so requests at the same moment cannot all slip under the limit."""
    key, remaining = _window(budget, who)
    return remaining if _count(key, remaining) > budget.limit else 0


def spend(budget: Budget, who: str) -> None:
    """Count one event (a failed sign-in) without asking whether it was allowed."""
    _count(*_window(budget, who))


def retry_after(budget: Budget, who: str) -> int:
    """0 while the budget lasts, else the seconds until its window ends; counts nothing."""
    key, remaining = _window(budget, who)
    return remaining if (cache.get(key) or 0) >= budget.limit else 0
