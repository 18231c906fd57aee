"""PANLEARN_DB_POOL_MAX_SIZE: a pool of PostgreSQL connections per web process (psycopg_pool, from
requirements.txt), used for real on the machine's PostgreSQL."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
POSTGRES = os.environ.get("PANLEARN_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("SELECT 1")
    one = cursor.fetchone()[0]
pool = getattr(connection, "pool", None)
print(json.dumps({"conn_max_age": settings.DATABASES["default"]["CONN_MAX_AGE"],
                  "pool": settings.DATABASES["default"].get("OPTIONS", {}).get("pool"),
                  "pooled": pool is not None and type(pool).__module__.startswith("psycopg_pool"), "one": one}))
"""


def _settings_with(**env: str) -> dict:
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "panlearn.settings.test", "DATABASE_URL": POSTGRES, **env}
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=environment, capture_output=True, text=True,
                            timeout=60)  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_web_process_takes_its_connections_from_a_pool():
    pooled = _settings_with(PANLEARN_DB_POOL_MAX_SIZE="4")
    assert pooled["pooled"] is True and pooled["one"] == 1
    assert pooled["pool"]["max_size"] == 4 and pooled["conn_max_age"] == 0  # Django refuses both at once


def test_without_the_setting_connections_stay_persistent():
    plain = _settings_with(PANLEARN_DB_POOL_MAX_SIZE="0")
    assert plain["pooled"] is False and plain["pool"] is None and plain["one"] == 1
