"""The demo's settings: production-like on loopback, with secrets of its own kept in var/."""

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
READ = (
    "from django.conf import settings; import json; print(json.dumps({'debug': settings.DEBUG, "
    "'secret': settings.SECRET_KEY, 'runner': settings.PANLEARN_RUNNER_SECRET, "
    "'store': settings.PANLEARN_TRACKING_STORE_PASSWORD, 'hosts': settings.ALLOWED_HOSTS, "
    "'gravatar': settings.WAGTAIL_GRAVATAR_PROVIDER_URL}))"
)


def demo_settings(var_dir: Path) -> dict:
    env = {
        **{name: value for name, value in os.environ.items() if not name.startswith(("DJANGO_", "PANLEARN_"))},
        "DJANGO_SETTINGS_MODULE": "panlearn.settings.demo",
        "PANLEARN_VAR_DIR": str(var_dir),
    }
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {READ}"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(result.stdout)


def test_the_demo_runs_without_debug_on_loopback_names_only(tmp_path):
    values = demo_settings(tmp_path)
    assert values["debug"] is False
    assert set(values["hosts"]) <= {"127.0.0.1", "localhost", "[::1]"}
    assert values["gravatar"] is None


def test_the_demo_makes_its_own_secrets_once_readable_by_its_owner_only(tmp_path):
    first = demo_settings(tmp_path)
    again = demo_settings(tmp_path)
    secrets_file = tmp_path / "demo-secrets.json"
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
    assert first == again  # web process, worker and runner read the same values
    assert len({first["secret"], first["runner"], first["store"]}) == 3
    assert all(len(first[name]) >= 50 for name in ("secret", "runner", "store"))
    assert "insecure" not in first["secret"]
    assert demo_settings(tmp_path / "elsewhere")["secret"] != first["secret"]  # not a constant in the code
