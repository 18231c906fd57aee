"""The version numbers of the cached run plans (`selectors.run_plan`): a lesson's and a user's. Bumping
one is a write, done by the receivers in `signals.py` when a lesson is published or a user's access
changes; a plan cached under older numbers is never read again."""

from django.core.cache import cache
from django.db import transaction


def version_key(kind: str, ident) -> str:
    return f"panlearn:cells:version:{kind}:{ident}"


def bump_version(kind: str, ident) -> None:
    """Now, and again once the change is committed: a plan built from the old rows in between is dropped."""
    _bump(kind, ident)
    transaction.on_commit(lambda: _bump(kind, ident))


def _bump(kind: str, ident) -> None:
    key = version_key(kind, ident)
    if not cache.add(key, 1, timeout=None):
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, timeout=None)


def plan_versions(*, page_id: int, runner_key: str) -> tuple[int, int]:
    return cache.get(version_key("page", page_id), 0), cache.get(version_key("user", runner_key), 0)
