"""PANLEARN_TASKS_BACKEND chooses the task backend, as an operator sets it: in the environment."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRINT_BACKEND = "import django; django.setup(); from django.conf import settings; print(settings.TASKS['default'])"


def _settings_with(value: str | None) -> subprocess.CompletedProcess:
    env = {key: item for key, item in os.environ.items() if key not in ("PANLEARN_TASKS_BACKEND", "REDIS_URL")}
    env["DJANGO_SETTINGS_MODULE"] = "panlearn.settings.dev"
    if value is not None:
        env["PANLEARN_TASKS_BACKEND"] = value
    return subprocess.run([sys.executable, "-c", PRINT_BACKEND], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)  # fmt: skip


def test_the_database_backend_unless_rq_is_asked_for():
    assert "django_tasks_db.DatabaseBackend" in _settings_with(None).stdout
    assert "django_tasks_rq.RQBackend" in _settings_with("rq").stdout


def test_an_unknown_backend_stops_the_site_with_a_clear_error():
    refused = _settings_with("celery")
    assert refused.returncode != 0
    assert "PANLEARN_TASKS_BACKEND must be one of database, rq" in refused.stderr
