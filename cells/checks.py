"""A deploy check: a per-process cache is wrong as soon as there is more than one web process."""

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
