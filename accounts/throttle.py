"""Budgets for requests that cost a guess or a mail: sign-in failures, sign-ups, password resets and
certificate look-ups, counted per account and per client address (panlearn/ratelimit.py).

A spent sign-in budget refuses the next attempt, a correct password included: otherwise a guesser learns
the password from which answer changes. Sign-in failures are counted from Django's `user_login_failed`
signal, so the site's form and the admin's (Wagtail's) both count, and the authentication backend
refuses while a budget is spent (accounts/backends.py).
"""

from panlearn.ratelimit import Budget, client_address, retry_after, spend, take

__all__ = ["client_address", "take"]

SIGN_IN_FAILURES_PER_ACCOUNT = Budget("signin-account", "PANLEARN_SIGNIN_FAILURES_PER_ACCOUNT", 15 * 60)
SIGN_IN_FAILURES_PER_ADDRESS = Budget("signin-address", "PANLEARN_SIGNIN_FAILURES_PER_ADDRESS", 15 * 60)
SIGN_UPS_PER_ADDRESS = Budget("signup-address", "PANLEARN_SIGNUPS_PER_ADDRESS_PER_HOUR", 3600)
PASSWORD_RESETS_PER_ADDRESS = Budget("reset-address", "PANLEARN_PASSWORD_RESETS_PER_ADDRESS_PER_HOUR", 3600)
CONFIRMATIONS_PER_ACCOUNT = Budget("confirm-account", "PANLEARN_EMAIL_CONFIRMATIONS_PER_ACCOUNT_PER_HOUR", 3600)
CERTIFICATE_LOOKUPS_PER_ADDRESS = Budget("verify-address", "PANLEARN_CERTIFICATE_LOOKUPS_PER_ADDRESS_PER_MINUTE", 60)


def _account(username: str) -> str:
    return (username or "").strip().lower()


def sign_in_wait(*, username: str, request) -> int:
    """Seconds before this account, or anyone from this address, may try a password again (0: now)."""
    return max(
        retry_after(SIGN_IN_FAILURES_PER_ACCOUNT, _account(username)),
        retry_after(SIGN_IN_FAILURES_PER_ADDRESS, client_address(request)),
    )


def sign_in_failed(*, username: str, request) -> None:
    spend(SIGN_IN_FAILURES_PER_ACCOUNT, _account(username))
    spend(SIGN_IN_FAILURES_PER_ADDRESS, client_address(request))


def in_minutes(seconds: int) -> str:
    minutes = max(1, round(seconds / 60))
    return "a minute" if minutes == 1 else f"{minutes} minutes"
