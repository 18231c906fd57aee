"""Budgets for requests that cost a guess or a mail: sign-in failures, sign-ups, password resets and
certificate look-ups, counted per account and per client address in fixed windows in the cache.

A spent budget refuses the next request, a correct password included: otherwise a guesser learns the
password from which answer changes. Sign-in failures are counted from Django's `user_login_failed`
signal, so the site's form and the admin's (Wagtail's) both count, and the authentication backend
refuses while a budget is spent (accounts/backends.py).
"""

import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache


@dataclass(frozen=True)
class Budget:
    name: str
    setting: str  # the setting holding how many requests a window allows
    seconds: int

    @property
    def limit(self) -> int:
        return getattr(settings, self.setting)


SIGN_IN_FAILURES_PER_ACCOUNT = Budget("signin-account", "PANLEARN_SIGNIN_FAILURES_PER_ACCOUNT", 15 * 60)
SIGN_IN_FAILURES_PER_ADDRESS = Budget("signin-address", "PANLEARN_SIGNIN_FAILURES_PER_ADDRESS", 15 * 60)
SIGN_UPS_PER_ADDRESS = Budget("signup-address", "PANLEARN_SIGNUPS_PER_ADDRESS_PER_HOUR", 3600)
PASSWORD_RESETS_PER_ADDRESS = Budget("reset-address", "PANLEARN_PASSWORD_RESETS_PER_ADDRESS_PER_HOUR", 3600)
CERTIFICATE_LOOKUPS_PER_ADDRESS = Budget("verify-address", "PANLEARN_CERTIFICATE_LOOKUPS_PER_ADDRESS_PER_MINUTE", 60)


def client_address(request) -> str:
    # Behind a proxy, the operator's proxy sets REMOTE_ADDR correctly (see docs/operator.md).
    return (request.META.get("REMOTE_ADDR") if request is not None else None) or "unknown"


def _key(budget: Budget, who: str) -> tuple[str, int]:
    window = int(time.time() // budget.seconds)
    return f"panlearn:throttle:{budget.name}:{who}:{window}", budget.seconds - int(time.time()) % budget.seconds


def retry_after(budget: Budget, who: str) -> int:
    """0 while the budget lasts; else the seconds until its window ends."""
    key, remaining = _key(budget, who)
    return remaining if (cache.get(key) or 0) >= budget.limit else 0


def spend(budget: Budget, who: str) -> None:
    key, remaining = _key(budget, who)
    cache.add(key, 0, timeout=remaining + 5)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=remaining + 5)


def take(budget: Budget, who: str) -> int:
    """Spend one request if the budget lasts (0), or say how long to wait (and spend nothing)."""
    wait = retry_after(budget, who)
    if not wait:
        spend(budget, who)
    return wait


def sign_in_wait(*, username: str, request) -> int:
    """Seconds before this account, or anyone from this address, may try a password again (0: now)."""
    return max(
        retry_after(SIGN_IN_FAILURES_PER_ACCOUNT, (username or "").strip().lower()),
        retry_after(SIGN_IN_FAILURES_PER_ADDRESS, client_address(request)),
    )


def sign_in_failed(*, username: str, request) -> None:
    spend(SIGN_IN_FAILURES_PER_ACCOUNT, (username or "").strip().lower())
    spend(SIGN_IN_FAILURES_PER_ADDRESS, client_address(request))


def in_minutes(seconds: int) -> str:
    minutes = max(1, round(seconds / 60))
    return "a minute" if minutes == 1 else f"{minutes} minutes"
