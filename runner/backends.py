"""Which runner client answers, as the settings say: our kernel host, several of them, or a Jupyter gateway."""

from .client import AsyncRunnerClient, RunnerClient
from .hosts import AsyncMultiHostClient, MultiHostClient, parse_hosts


def _settings_kwargs() -> dict:
    from django.conf import settings

    return {
        "base_url": settings.PANLEARN_RUNNER_URL,
        "secret": settings.PANLEARN_RUNNER_SECRET,
        "socket_path": settings.PANLEARN_RUNNER_SOCKET,
    }


def _hosts_kwargs() -> dict:
    from django.conf import settings

    return {
        "hosts": parse_hosts(settings.PANLEARN_RUNNER_HOSTS),
        "secret": settings.PANLEARN_RUNNER_SECRET,
        "policy": settings.PANLEARN_RUNNER_PLACEMENT,
    }


def get_client():
    """The configured backend's blocking client (the gateway's import stays local: its aiohttp is needed only
    there). Several kernel hosts (PANLEARN_RUNNER_HOSTS) are one client that places and fails over."""
    from django.conf import settings

    if settings.PANLEARN_RUNNER_BACKEND == "gateway":
        from .gateway import get_gateway_client

        return get_gateway_client()
    if settings.PANLEARN_RUNNER_HOSTS:
        return MultiHostClient(**_hosts_kwargs())
    return RunnerClient(**_settings_kwargs())


def get_async_client():
    from django.conf import settings

    if settings.PANLEARN_RUNNER_BACKEND == "gateway":
        from .gateway import get_async_gateway_client

        return get_async_gateway_client()
    if settings.PANLEARN_RUNNER_HOSTS:
        return AsyncMultiHostClient(**_hosts_kwargs())
    return AsyncRunnerClient(**_settings_kwargs())
