"""Cheap, isolated settings for the test suite. DATABASE_URL chooses SQLite or PostgreSQL."""

import os

from .base import *

DEBUG = False
SECRET_KEY = "test-only-secret-key"
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The admin's second factor is tested on its own (tests/accounts/test_second_factor.py); the permission tests
# behind it sign in without one.
PANLEARN_STAFF_MFA = False
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "xapi_documents": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
}
WAGTAILADMIN_BASE_URL = "http://testserver"
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
PANLEARN_RUNNER_SECRET = "test-runner-secret"
# Close connections after each request: the browser tests' live-server thread must not hold the test database open.
DATABASES["default"]["CONN_MAX_AGE"] = 0
# The remote-source tests answer from loopback HTTP servers.
PANLEARN_CONTENT_ALLOW_LOCAL_SOURCES = True
# Learning records: a fixed credential for the built-in store's API; no external LRS.
PANLEARN_TRACKING_STORE_PASSWORD = "test-xapi-password"
PANLEARN_TRACKING_LRS = []
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A test database in a file, not Django's shared-cache memory database: there a writer that meets
    # another connection's lock fails at once ("database table is locked"), whatever the timeout, and
    # the browser tests' live server writes from several threads. A file with WAL waits, as in the demo.
    # One file per process, in the checkout's var/ (not a shared /tmp), named by its pid (pytest-xdist adds
    # _gw0); tests/conftest.py removes it and its WAL files, and those of processes no longer running.
    TEST_DATABASE_DIR = BASE_DIR / "var" / "test-db"
    DATABASES["default"]["TEST"] = {"NAME": str(TEST_DATABASE_DIR / f"{os.getpid()}.sqlite3")}
