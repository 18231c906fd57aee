"""Checks of the runner's settings that would otherwise fail at a student's first run."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured

from .hosts import POLICIES, parse_hosts


@register()
def kernel_hosts(app_configs, **kwargs):
    errors = []
    try:
        parse_hosts(settings.PANLEARN_RUNNER_HOSTS)
    except ImproperlyConfigured as error:
        errors.append(Error(str(error), hint="See docs/operator.md, 'Several kernel hosts'.", id="panlearn.E010"))
    if settings.PANLEARN_RUNNER_PLACEMENT not in POLICIES:
        errors.append(
            Error(
                f"PANLEARN_RUNNER_PLACEMENT is {settings.PANLEARN_RUNNER_PLACEMENT!r}.",
                hint=f"Use one of: {', '.join(POLICIES)}.",
                id="panlearn.E011",
            )
        )
    return errors


@register(Tags.caches, deploy=True)
def gateway_sessions_shared(app_configs, **kwargs):
    """Several web processes in front of a gateway must agree on who owns which kernel."""
    from .gateway.config import cache_is_redis

    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if settings.PANLEARN_RUNNER_BACKEND != "gateway" or cache_is_redis() or backend.endswith("LocMemCache"):
        return []
    return [
        Warning(
            "With the gateway backend, which student owns which kernel is shared through a Redis cache only: "
            "with this cache each web process keeps its own, and a student's next run on another process "
            "starts a new kernel.",
            hint="Set DJANGO_CACHE_URL to redis://..., or run one web process.",
            id="panlearn.W010",
        )
    ]
