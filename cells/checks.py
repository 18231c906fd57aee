"""Deploy checks: what is wrong as soon as there is more than one web process."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.caches, deploy=True)
def shared_cache(app_configs, **kwargs):
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if backend.endswith("LocMemCache"):
        return [
            Warning(
                "The cache is each web process's own memory. Sessions, signed-in users, code-cell run plans, "
                "kernel states and rate limits live in it, so with more than one web process a logout, a "
                "publish or an unenrolment is seen late by the others.",
                hint="Run one web process, or set DJANGO_CACHE_URL to a shared cache (db://panlearn_cache or "
                "redis://...).",
                id="panlearn.W001",
            )
        ]
    return []


@register(Tags.caches, deploy=True)
def shared_hub(app_configs, **kwargs):
    """A shared cache says the site runs several web processes: then the cells hub must be shared too."""
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if not backend.endswith("LocMemCache") and not settings.PANLEARN_CELLS_HUB_URL:
        return [
            Warning(
                "The cache is shared, as for several web processes, but a student's cell events reach only "
                "the tabs that the same web process serves.",
                hint="Set PANLEARN_CELLS_HUB_URL to a Redis (redis://host:6379/2), or pin each user to one "
                "web process (sticky sessions).",
                id="panlearn.W002",
            )
        ]
    return []
