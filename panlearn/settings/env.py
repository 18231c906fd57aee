"""Typed readers for environment variables, so every setting documents its source."""

import os


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return default if value in (None, "") else int(value)


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return list(default or [])
    return [item.strip() for item in value.split(",") if item.strip()]


def cache_from_url(url: str) -> dict:
    """A CACHES entry from a URL: locmem:// (one process), db://<table>, redis://host:port/db, file:///dir."""
    scheme, _, rest = url.partition("://")
    if scheme == "locmem":
        # Sessions, run plans and kernel states live here: far more than Django's default 300 entries.
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "OPTIONS": {"MAX_ENTRIES": 20000}}
    if scheme == "db":
        return {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": rest or "panlearn_cache"}
    if scheme in ("redis", "rediss"):
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    if scheme == "file":
        return {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": rest}
    raise ValueError(f"DJANGO_CACHE_URL: unknown cache {url!r} (locmem://, db://table, redis://..., file:///dir)")
