"""Local development: SQLite, console email, debug on. The demo uses demo.py (debug off)."""

from .base import *
from .env import env_bool, env_str

DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = env_str("DJANGO_SECRET_KEY", "dev-only-insecure-key-change-me-in-production")
ALLOWED_HOSTS = ["*"]
EMAIL_BACKEND = env_str("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
PANLEARN_RUNNER_SECRET = env_str("PANLEARN_RUNNER_SECRET", "dev-only-runner-secret")
# The built-in xAPI store answers development with a known credential (panlearn / dev-xapi-password).
PANLEARN_TRACKING_STORE_PASSWORD = env_str("PANLEARN_TRACKING_STORE_PASSWORD", "dev-xapi-password")
