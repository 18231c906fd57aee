"""The kernel host's process: `python -m runner serve|check`, the same as `manage.py runner serve|check`.

The host reads Django's settings but uses none of its apps: it imports no model and serves no page.
`manage.py` runs `django.setup()` first, which imports every app of the site (Wagtail, the admin, the
LRS...): about 2.7 CPU-s, against 0.4 s for what the host needs. That is time a restarted host spends
before it answers again, and on a machine busy with a class arriving it stretched to 10 s (the load test
in docs/performance.md). So deployments start the host with `python -m runner serve`.
"""

import argparse
import logging
import logging.config
import os
import sys
from collections.abc import Callable, Iterator
from urllib.parse import urlparse

from .exceptions import SandboxUnavailable
from .host import HostConfig, KernelHost
from .sandbox import host_protections

# As in manage.py: a checkout runs with the development settings unless told otherwise.
DEFAULT_SETTINGS_MODULE = "panlearn.settings.dev"


class HostStartRefused(Exception):
    """The host cannot start (or the check failed); the message says why."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from django.conf import settings

    parser.add_argument("action", choices=["serve", "check"])
    parser.add_argument("--socket", default=settings.PANLEARN_RUNNER_SOCKET, help="unix socket path")
    parser.add_argument("--port", type=int, default=None, help="TCP port (when no socket is given)")
    parser.add_argument(
        "--address",
        default="127.0.0.1",
        help="address to listen on with --port: loopback, or the private address that Django's machines reach "
        "(several kernel hosts); never a public one",
    )


def protection_report(config: HostConfig) -> Iterator[tuple[str, str]]:
    """("ok" | "MISSING" | "WARNING", line) for each protection; raises HostStartRefused after the last
    line if a required one is missing. A missing one that is not required is a warning: the host still starts."""
    failed = False
    for check in host_protections(config.cgroup_name, config.datasets_dir):
        failed |= not check.ok and check.required
        mark = "ok" if check.ok else "MISSING" if check.required else "WARNING"
        yield mark, f"{check.name:11} {check.detail}"
    if failed:
        raise HostStartRefused("Some protections are missing; the runner will refuse to start.")


def serve_host(socket: str, port: int | None, address: str, say: Callable[[str], None]) -> None:
    from django.conf import settings

    if not settings.PANLEARN_RUNNER_SECRET:
        raise HostStartRefused("Set PANLEARN_RUNNER_SECRET (the same value for Django and the runner).")
    from .server import serve

    logging.basicConfig(level=logging.INFO)  # where the settings' logging sets no handler (tests), as before
    config = HostConfig.from_settings()
    host = KernelHost(config)
    try:
        host.check_protections()
    except SandboxUnavailable as error:
        raise HostStartRefused(str(error)) from error
    if port is None:
        port = urlparse(settings.PANLEARN_RUNNER_URL).port or 8787
    where = socket or f"{address}:{port}"
    say(f"Kernel host on {where}, pool of {config.pool_size}, at most {config.max_kernels} kernels.")
    serve(host, secret=settings.PANLEARN_RUNNER_SECRET, socket_path=socket, port=port, address=address)


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", DEFAULT_SETTINGS_MODULE)
    from django.conf import settings

    parser = argparse.ArgumentParser(prog="python -m runner", description="The sandboxed kernel host.")
    add_arguments(parser)
    options = parser.parse_args(argv)
    logging.config.dictConfig(settings.LOGGING)  # what django.setup() would have done
    try:
        if options.action == "check":
            for mark, line in protection_report(HostConfig.from_settings()):
                print(f"{mark:7} {line}")
        else:
            serve_host(options.socket, options.port, options.address, say=print)
    except HostStartRefused as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1
    return 0
