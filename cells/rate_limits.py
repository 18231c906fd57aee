"""Per-user and per-visitor budgets on what cells cost the runner (runs, restarts, interrupts; one-minute
windows, panlearn/ratelimit.py) and the cap on visitor sessions per address."""

import time

from django.conf import settings
from django.core.cache import cache

from panlearn.ratelimit import Budget, client_address, take


class RateLimited(Exception):
    def __init__(self, retry_after: int, message: str = ""):
        super().__init__(message or f"You are running cells very fast; wait {retry_after} s and try again.")
        self.retry_after = retry_after


def _per_minute(name: str, setting: str) -> Budget:
    return Budget(f"cells-{name}", setting, 60)


# What each kind of request costs the runner, and so how often it may come: the budget of a signed-in user,
# that of a visitor's address, and what to say when it is spent.
KINDS = {
    "runs": (_per_minute("runs-user", "PANLEARN_CELLS_RUNS_PER_MINUTE"),
             _per_minute("runs-visitor", "PANLEARN_CELLS_VISITOR_RUNS_PER_MINUTE"),
             "You are running cells very fast; wait {retry_after} s and try again."),
    "restarts": (_per_minute("restarts-user", "PANLEARN_CELLS_RESTARTS_PER_MINUTE"),
                 _per_minute("restarts-visitor", "PANLEARN_CELLS_VISITOR_RESTARTS_PER_MINUTE"),
                 "You have restarted the kernel many times this minute; wait {retry_after} s and try again."),
    "interrupts": (_per_minute("interrupts-user", "PANLEARN_CELLS_INTERRUPTS_PER_MINUTE"),
                   _per_minute("interrupts-visitor", "PANLEARN_CELLS_VISITOR_INTERRUPTS_PER_MINUTE"),
                   "You have interrupted the kernel many times this minute; wait {retry_after} s and try again."),
}  # fmt: skip


def check_rate(kind: str, *, user, request) -> None:
    """Count one request of `kind` against this minute's budget; RateLimited once it is spent."""
    user_budget, visitor_budget, message = KINDS[kind]
    budget, who = (user_budget, str(user.pk)) if user.is_authenticated else (visitor_budget, client_address(request))
    wait = take(budget, who)
    if wait:
        raise RateLimited(retry_after=wait, message=message.format(retry_after=wait))


def check_run_rate(*, user, request) -> None:
    check_rate("runs", user=user, request=request)


def check_visitor_sessions(*, who_key: str, request) -> None:
    """Each visitor session holds a kernel until it idles out: cap how many one address may hold."""
    limit = settings.PANLEARN_CELLS_VISITOR_SESSIONS_PER_ADDRESS
    key = f"panlearn:cells:visitors:{client_address(request)}"
    now = time.time()
    ttl = settings.PANLEARN_RUNNER_IDLE_SECONDS
    active = {who: seen for who, seen in (cache.get(key) or {}).items() if now - seen < ttl}
    if who_key not in active and len(active) >= limit:
        raise RateLimited(
            retry_after=60,
            message="Many visitors from your network are running code already. Sign in to run the cells.",
        )
    active[who_key] = now
    cache.set(key, active, timeout=ttl)
