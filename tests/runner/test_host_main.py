"""`python -m runner`: the kernel host's own entry point, which reads the settings and loads no app.

Every RunningHost in these tests is started this way, so `serve` is exercised by the whole runner suite;
here are what a restart costs (no app imported) and the refusals.
"""

import os
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from tests.runner.conftest import ROOT

# The site's apps: the settings read each app's conf module (so its package too), and nothing more of them.
APPS = {"exercises", "cells", "content", "courses", "tracking", "accounts", "lti", "oaipmh", "dashboards"}
# What only the apps use: not a module of these may be loaded.
APP_LIBRARIES = {"wagtail", "ninja", "nbformat", "nbconvert", "rest_framework"}

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "panlearn.settings.production",
    "DJANGO_SECRET_KEY": "k" * 64,
    "DJANGO_ALLOWED_HOSTS": "panlearn.example.org",
    "DATABASE_URL": "postgres://panlearn@127.0.0.1:5432/panlearn",
}


def python(*argv: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *argv], cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=120
    )


# As in test_host_check: the sandbox-uid check is about a host that runs as root.
as_root = pytest.mark.skipif(os.geteuid() != 0, reason="a host running as its own user never maps to root")


def test_the_host_loads_no_app():
    probe = (
        (
            "import sys\n"
            "from django.apps import apps\n"
            "import runner.__main__\n"
            "from runner.host_main import HostConfig, KernelHost\n"
            "from runner.server import serve\n"
            "KernelHost(HostConfig.from_settings())\n"
            "print('apps ready', apps.ready)\n"
            "top = {name: name.partition('.') for name in sys.modules}\n"
            "print('loaded', sorted(name for name, (package, _, rest) in top.items()\n"
            "                       if package in LIBRARIES or (package in APPS and rest not in ('', 'conf'))))\n"
        )
        .replace("LIBRARIES", repr(APP_LIBRARIES))
        .replace("APPS", repr(APPS))
    )
    done = python("-c", probe, DJANGO_SETTINGS_MODULE="panlearn.settings.test")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-2:] == ["apps ready False", "loaded []"]


@as_root
def test_the_host_checks_the_sandbox():
    done = python("-m", "runner", "check", DJANGO_SETTINGS_MODULE="panlearn.settings.test")
    assert done.returncode == 0, done.stderr
    assert "ok      namespaces" in done.stdout


def test_the_host_refuses_to_serve_without_a_secret(tmp_path):
    env = {**PRODUCTION_ENV, "PANLEARN_RUNNER_SECRET": ""}  # whatever the shell exports
    done = python("-m", "runner", "serve", "--socket", str(tmp_path / "k.sock"), **env)
    assert done.returncode == 1
    assert "Error: Set PANLEARN_RUNNER_SECRET" in done.stderr
    assert not (tmp_path / "k.sock").exists()


@as_root
def test_a_failed_check_exits_non_zero_and_names_what_is_missing():
    env = {"DJANGO_SETTINGS_MODULE": "panlearn.settings.test", "PANLEARN_RUNNER_SANDBOX_UID": "0"}
    done = python("-m", "runner", "check", **env)
    assert done.returncode == 1
    assert "MISSING user" in done.stdout
    assert "refuse to start" in done.stderr


@override_settings(PANLEARN_RUNNER_SECRET="")
def test_manage_py_runner_serve_still_refuses_without_a_secret():
    with pytest.raises(CommandError, match="Set PANLEARN_RUNNER_SECRET"):
        call_command("runner", "serve", "--socket", "unused.sock")
