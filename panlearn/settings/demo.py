"""The demo (scripts/demo.sh): production-like settings on loopback.

DEBUG is off, so unknown addresses get the branded 404 page (never Django's debug page, which
lists every URL pattern) and static files come from WhiteNoise's collected, hashed copies. The
secrets are the demo's own, generated once into var/ and readable by its owner only; nothing is
listening beyond loopback. Emails are printed on the console.
"""

import contextlib
import json
import os
import secrets

from .base import *
from .env import env_bool, env_list, env_str

DEMO_SECRETS_FILE = VAR_DIR / "demo-secrets.json"
_SECRET_NAMES = ("DJANGO_SECRET_KEY", "PANLEARN_RUNNER_SECRET", "PANLEARN_TRACKING_STORE_PASSWORD")


def _demo_secrets() -> dict[str, str]:
    """The demo's secrets, made on first use; the web process, the worker and the runner read the same file."""
    try:
        stored = json.loads(DEMO_SECRETS_FILE.read_text())
    except (OSError, ValueError):
        stored = {}
    missing = [name for name in _SECRET_NAMES if not stored.get(name)]
    if missing:
        stored |= {name: secrets.token_urlsafe(48) for name in missing}
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        partial = DEMO_SECRETS_FILE.with_suffix(f".{os.getpid()}.tmp")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            json.dump(stored, handle, indent=2)
        if stored.keys() - set(missing):  # an incomplete file: complete it, keeping what it had
            os.replace(partial, DEMO_SECRETS_FILE)
        else:  # a hard link never replaces: the first process to write wins, the others read its file
            with contextlib.suppress(FileExistsError):
                os.link(partial, DEMO_SECRETS_FILE)
            partial.unlink()
        stored = json.loads(DEMO_SECRETS_FILE.read_text())
    return stored


_secrets = _demo_secrets()
DEBUG = False
SECRET_KEY = env_str("DJANGO_SECRET_KEY") or _secrets["DJANGO_SECRET_KEY"]
PANLEARN_RUNNER_SECRET = env_str("PANLEARN_RUNNER_SECRET") or _secrets["PANLEARN_RUNNER_SECRET"]
PANLEARN_TRACKING_STORE_PASSWORD = (
    env_str("PANLEARN_TRACKING_STORE_PASSWORD") or _secrets["PANLEARN_TRACKING_STORE_PASSWORD"]
)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
# The demo's logins are printed for anyone to try, so the admin's second factor is off unless asked for
# (PANLEARN_STAFF_MFA=1 scripts/demo.sh); everywhere else it is on (accounts/conf.py).
PANLEARN_STAFF_MFA = env_bool("PANLEARN_STAFF_MFA", False)
EMAIL_BACKEND = env_str("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
SECURE_REFERRER_POLICY = "same-origin"
