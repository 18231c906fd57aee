"""Start the loopback provider as its own process (tables, key, client and people first) and wait until it answers."""

import os
import socket
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RunningProvider:
    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.url = f"http://127.0.0.1:{free_port()}"
        self.issuer = f"{self.url}/openid"
        self.db = tmp / "provider.sqlite3"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.oidc_provider.settings",
            "OIDC_PROVIDER_DB": str(self.db),
            "OIDC_PROVIDER_URL": self.url,
        }
        env.pop("DATABASE_URL", None)
        subprocess.run(
            [sys.executable, "-m", "tests.oidc_provider.bootstrap"], cwd=ROOT, env=env, check=True, capture_output=True
        )
        self.log = open(tmp / "provider.log", "wb")  # noqa: SIM115  closed in stop()
        host_port = self.url.removeprefix("http://")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "django", "runserver", host_port, "--noreload", "--skip-checks"],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.wait_ready()

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"OIDC provider exited: {(self.tmp / 'provider.log').read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.issuer}/.well-known/openid-configuration", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("OIDC provider did not answer")

    def expire_codes(self) -> int:
        """Age every issued authorization code past its expiry, in the provider's own database."""
        past = (datetime.now(UTC) - timedelta(minutes=1)).strftime("%Y-%m-%d %H:%M:%S")
        with sqlite3.connect(self.db) as connection:
            return connection.execute("UPDATE oidc_provider_code SET expires_at = ?", (past,)).rowcount

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()
