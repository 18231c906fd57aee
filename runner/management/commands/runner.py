"""`manage.py runner serve` starts the kernel host; `manage.py runner check` reports the sandbox.

The same code as `python -m runner serve|check` (runner/host_main.py), which starts faster because it
loads no app; deployments use that one.
"""

from django.core.management.base import BaseCommand, CommandError

from runner.host import HostConfig
from runner.host_main import HostStartRefused, add_arguments, protection_report, serve_host


class Command(BaseCommand):
    help = "The sandboxed kernel host: 'serve' runs it, 'check' lists the protections this machine supports."

    def add_arguments(self, parser):
        add_arguments(parser)

    def handle(self, *args, action: str, socket: str, port: int | None, address: str, **options):
        styles = {"ok": self.style.SUCCESS, "MISSING": self.style.ERROR, "WARNING": self.style.WARNING}
        try:
            if action == "check":
                for mark, line in protection_report(HostConfig.from_settings()):
                    self.stdout.write(f"{styles[mark](f'{mark:7}')} {line}")
                return
            serve_host(socket, port, address, say=self.stdout.write)
        except HostStartRefused as error:
            raise CommandError(str(error)) from error
