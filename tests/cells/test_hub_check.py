"""panlearn.W002: a shared cache (several web processes) with a hub that is each process's own."""

from cells.checks import shared_hub


def test_a_shared_cache_without_a_shared_hub_is_warned_about(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "c"}}
    settings.PANLEARN_CELLS_HUB_URL = ""
    assert [warning.id for warning in shared_hub(None)] == ["panlearn.W002"]
    settings.PANLEARN_CELLS_HUB_URL = "redis://127.0.0.1:6379/2"
    assert shared_hub(None) == []
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.PANLEARN_CELLS_HUB_URL = ""
    assert shared_hub(None) == []  # one process: W001's business
