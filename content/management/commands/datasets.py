"""`manage.py datasets sync|verify|install`: the bundled PaN datasets, checked byte for byte."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from content.bundled import BUNDLED_DATASETS
from content.models import Dataset
from content.services import dataset_install, dataset_sync_bundled
from content.verification import verify_dataset


def _size(size: int) -> str:
    return f"{size / (1 << 20):.1f} MiB" if size >= 1 << 20 else f"{size / 1024:.0f} KiB"


def _files(count: int) -> str:
    return f"{count} file{'s' if count != 1 else ''}"


class Command(BaseCommand):
    help = (
        "sync: load the bundled datasets into the registry; verify: check every file's size and sha256 "
        "(exit 1 on any problem); install: copy verified datasets to the runner's datasets directory."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["sync", "verify", "install"])
        parser.add_argument("slugs", nargs="*", help="only these datasets (default: all)")
        parser.add_argument("--to", default=settings.PANLEARN_RUNNER_DATASETS_DIR, help="install target directory")

    def handle(self, *args, action: str, slugs: list[str], to: str, **options):
        if action == "sync":
            for dataset in dataset_sync_bundled(BUNDLED_DATASETS):
                self.stdout.write(f"synced    {dataset.slug}  ({_files(dataset.files.count())})")
            return
        datasets = Dataset.objects.prefetch_related("files").order_by("slug")
        if slugs:
            datasets = datasets.filter(slug__in=slugs)
            unknown = set(slugs) - {dataset.slug for dataset in datasets}
            if unknown:
                raise CommandError(f"Unknown dataset(s): {', '.join(sorted(unknown))}. Run 'datasets sync' first?")
        if not datasets:
            raise CommandError("The registry is empty: run 'python manage.py datasets sync' first.")
        failed = 0
        for dataset in datasets:
            status = dataset_install(dataset, root=Path(to)) if action == "install" else verify_dataset(dataset)
            if status.ok:
                verb = "installed" if action == "install" else "ok"
                self.stdout.write(
                    self.style.SUCCESS(f"{verb:9}") + f" {dataset.slug}  {_files(status.files)}, {_size(status.size)}"
                )
            else:
                failed += 1
                self.stdout.write(self.style.ERROR("FAILED   ") + f" {dataset.slug}: " + "; ".join(status.problems))
        if failed:
            raise CommandError(f"{failed} dataset(s) failed verification.")
