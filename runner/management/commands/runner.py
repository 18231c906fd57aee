"""`manage.py runner serve` starts the kernel host; `manage.py runner check` reports the sandbox."""

import logging

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from runner.exceptions import SandboxUnavailable
from runner.host import HostConfig, KernelHost
from runner.sandbox import host_protections


class Command(BaseCommand):
    help = "The sandboxed kernel host: 'serve' runs it, 'check' lists the protections this machine supports."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["serve", "check"])
        parser.add_argument("--socket", default=settings.PANLEARN_RUNNER_SOCKET, help="unix socket path")
        parser.add_argument("--port", type=int, default=None, help="TCP port (when no socket is given)")
        parser.add_argument(
            "--address",
            default="127.0.0.1",
            help="address to listen on with --port: loopback, or the private address that Django's machines reach "
            "(several kernel hosts); never a public one",
        )

    def handle(self, *args, action: str, socket: str, port: int | None, address: str, **options):
        config = HostConfig.from_settings()
        if action == "check":
            failed = False
            for check in host_protections(config.cgroup_name, config.datasets_dir):
                failed |= not check.ok and check.required
                if check.ok:
                    mark = self.style.SUCCESS("ok     ")
                else:  # a missing check that is not required is a warning: the runner still starts
                    mark = self.style.ERROR("MISSING") if check.required else self.style.WARNING("WARNING")
                self.stdout.write(f"{mark} {check.name:11} {check.detail}")
            if failed:
                raise CommandError("Some protections are missing; the runner will refuse to start.")
            return
        if not settings.PANLEARN_RUNNER_SECRET:
            raise CommandError("Set PANLEARN_RUNNER_SECRET (the same value for Django and the runner).")
        from runner.server import serve

        logging.basicConfig(level=logging.INFO)
        host = KernelHost(config)
        try:
            host.check_protections()
        except SandboxUnavailable as error:
            raise CommandError(str(error)) from error
        if port is None:
            from urllib.parse import urlparse

            port = urlparse(settings.PANLEARN_RUNNER_URL).port or 8787
        where = socket or f"{address}:{port}"
        self.stdout.write(f"Kernel host on {where}, pool of {config.pool_size}, at most {config.max_kernels} kernels.")
        serve(host, secret=settings.PANLEARN_RUNNER_SECRET, socket_path=socket, port=port, address=address)
