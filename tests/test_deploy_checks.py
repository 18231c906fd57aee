"""`check --deploy` on production settings may only report what docs/operator.md explains."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_deploy_check_reports_only_documented_warnings():
    env = {
        **{name: value for name, value in os.environ.items() if name != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DJANGO_SETTINGS_MODULE": "panlearn.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    reported = set(re.findall(r"\((\w+\.[WE]\d+)\)", result.stdout + result.stderr))
    documented = set(re.findall(r"\*\*(\w+\.[WE]\d+)\*\*", (ROOT / "docs" / "operator.md").read_text()))
    assert result.returncode == 0, result.stderr
    assert "System check identified" in result.stdout + result.stderr
    assert reported <= documented, f"undocumented: {reported - documented}"
    assert not re.search(r"\.E\d+", " ".join(reported))


def test_production_refuses_a_weak_secret_key():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "panlearn.settings.production", "DJANGO_SECRET_KEY": "short"}
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr
