"""Settings of the web processes that tests/e2e/test_two_web_processes.py starts: the test settings, on the
test's database, with the worker's kernel host and the cells hub on Redis."""

import os

from panlearn.settings.test import *  # noqa: F403
from panlearn.settings.test import DATABASES

DATABASES["default"]["NAME"] = os.environ["PANLEARN_TEST_DATABASE_NAME"]
PANLEARN_RUNNER_BACKEND = "host"
PANLEARN_RUNNER_SOCKET = os.environ["PANLEARN_RUNNER_SOCKET"]
PANLEARN_CELLS_HUB_URL = os.environ["PANLEARN_CELLS_HUB_URL"]
PANLEARN_CELLS_HUB_CHANNEL = os.environ["PANLEARN_CELLS_HUB_CHANNEL"]
# Shared by the two processes, as panlearn.W001 asks of several web processes (a key prefix of this test's).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/3",
        "KEY_PREFIX": os.environ["PANLEARN_CELLS_HUB_CHANNEL"],
    }
}
