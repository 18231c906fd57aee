"""Per-user and per-visitor rate limits on what cells cost the runner (runs, restarts, interrupts) and on
visitor sessions: a fixed one-minute window in the cache."""

import time

from django.conf import settings
from django.core.cache import cache


class RateLimited(Exception):
    def __init__(self, retry_after: int, message: str = ""):
        super().__init__(message or f"You are running cells very fast; wait {retry_after} s and try again.")
        self.retry_after = retry_after


def client_address(request) -> str:
    # Behind a proxy, the operator's proxy sets REMOTE_ADDR correctly (see docs/operator.md).
    return request.META.get("REMOTE_ADDR", "unknown")


# What each kind of request costs the runner, and so how often it may come: (setting for a signed-in user,
# setting for a visitor's address, what to say when the budget is spent).
KINDS = {
    "runs": ("PANLEARN_CELLS_RUNS_PER_MINUTE", "PANLEARN_CELLS_VISITOR_RUNS_PER_MINUTE",
             "You are running cells very fast; wait {retry_after} s and try again."),
    "restarts": ("PANLEARN_CELLS_RESTARTS_PER_MINUTE", "PANLEARN_CELLS_VISITOR_RESTARTS_PER_MINUTE",
                 "You have restarted the kernel many times this minute; wait {retry_after} s and try again."),
    "interrupts": ("PANLEARN_CELLS_INTERRUPTS_PER_MINUTE", "PANLEARN_CELLS_VISITOR_INTERRUPTS_PER_MINUTE",
                   "You have interrupted the kernel many times this minute; wait {retry_after} s and try again."),
}  # fmt: skip


def check_rate(kind: str, *, user, request) -> None:
    """Count one request of `kind` against this minute's budget; RateLimited once it is spent."""
    user_setting, visitor_setting, message = KINDS[kind]
    if user.is_authenticated:
        who, limit = f"u{user.pk}", getattr(settings, user_setting)
    else:
        who, limit = f"a{client_address(request)}", getattr(settings, visitor_setting)
    window = int(time.time() // 60)
    key = f"panlearn:cells:{kind}:{who}:{window}"
    cache.add(key, 0, timeout=90)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=90)
        count = 1
    if count > limit:
        retry_after = 60 - int(time.time()) % 60
        raise RateLimited(retry_after=retry_after, message=message.format(retry_after=retry_after))


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
