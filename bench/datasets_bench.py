"""Benchmark of the dataset registry and the viewer's h5grove endpoints (`content/`).

    .venv/bin/python bench/datasets_bench.py --quick --json

Figures, each with a baseline measured in the same run:

- verify_all_s: `manage.py datasets verify`'s work (every bundled dataset's files located, sized and
  hashed), over plain hashlib.sha256 reads of the same files (verify_ratio);
- h5grove_meta_p50_ms: GET /datasets/<id>/h5grove/meta/ for /entry/data of IPNS chopper.nxs through
  Django (URL routing, permission check, registry lookup, symlink and external-link checks, h5grove),
  over h5grove's own calls on the same file (open, create_content, metadata, encode): meta_ratio;
- h5grove_data_p50_ms: GET .../data/ of a 1 MiB slice (512 x 512 float32, format=bin) of a 4 MiB
  detector image, over the same h5grove calls without Django: data_ratio.

The Django side runs in-process with the test client on a throwaway SQLite database, so the figures
are the server's cost without network. With --json the LAST line is one JSON object.
"""

import argparse
import datetime
import hashlib
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

WORK = Path(tempfile.mkdtemp(prefix="panlearn-datasets-bench-"))
WORK.chmod(0o755)  # its datasets directory is mounted into sandboxes, which run as an unprivileged uid
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "panlearn.settings.test")
os.environ["DATABASE_URL"] = f"sqlite:///{WORK / 'bench.sqlite3'}"
os.environ["PANLEARN_CONTENT_CACHE_DIR"] = str(WORK / "cache")

import django  # noqa: E402

django.setup()

import h5py  # noqa: E402
import numpy as np  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from h5grove.content import create_content  # noqa: E402
from h5grove.encoders import encode  # noqa: E402

from content.bundled import BUNDLED_DATASETS  # noqa: E402
from content.models import Dataset, DatasetFile, SourceKind  # noqa: E402
from content.services import dataset_sync_bundled  # noqa: E402
from content.sources import locate_files  # noqa: E402
from content.verification import verify_dataset  # noqa: E402

TARGETS = {"verify_all_s": 5.0, "h5grove_meta_p50_ms": 20.0, "h5grove_data_p50_ms": 50.0}


def p50(samples: list[float]) -> float:
    return statistics.median(samples)


def timed(function, repeats: int) -> list[float]:
    function()  # warm caches (page cache, Django URL resolver, the link-scan cache)
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return samples


def raw_sha256(paths: list[Path]) -> None:
    for path in paths:
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
        digest.hexdigest()


def raw_h5grove(path: Path, entity: str, endpoint: str, selection: str | None = None) -> bytes:
    with h5py.File(path, "r", locking=False) as handle:
        content = create_content(handle, entity)
        if endpoint == "meta":
            return encode(content.metadata()).content
        return encode(content.data(selection, False, "safe"), "bin").content


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer samples (about 20 s)")
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    args = parser.parse_args()
    repeats = 30 if args.quick else 200
    verify_repeats = 3 if args.quick else 10

    call_command("migrate", verbosity=0)
    datasets = dataset_sync_bundled(BUNDLED_DATASETS)
    paths = [item.path for dataset in datasets for item in locate_files(dataset)]
    total_bytes = sum(path.stat().st_size for path in paths)

    def verify_all() -> None:
        for dataset in Dataset.objects.prefetch_related("files"):
            assert verify_dataset(dataset).ok, dataset.slug

    verify = timed(verify_all, verify_repeats)
    raw_verify = timed(lambda: raw_sha256(paths), verify_repeats)
    print(f"verify: {len(paths)} files, {total_bytes / 2**20:.1f} MiB, p50 {p50(verify) * 1000:.1f} ms "
          f"(plain sha256 {p50(raw_verify) * 1000:.1f} ms)")  # fmt: skip

    client = Client()
    chopper = next(item.path for item in locate_files(Dataset.objects.get(slug="ipns-lrmecs-mgb2")))
    meta_url = "/datasets/ipns-lrmecs-mgb2/h5grove/meta/"
    meta_params = {"file": "chopper.nxs", "path": "/entry/data"}
    assert client.get(meta_url, meta_params).status_code == 200
    meta = timed(lambda: client.get(meta_url, meta_params), repeats)
    raw_meta = timed(lambda: raw_h5grove(chopper, "/entry/data", "meta"), repeats)
    print(f"meta: p50 {p50(meta) * 1000:.2f} ms (h5grove alone {p50(raw_meta) * 1000:.2f} ms)")

    image = Dataset.objects.create(slug="bench-detector", title="Bench detector image", licence="CC0-1.0",
                                   source_kind=SourceKind.LOCAL)  # fmt: skip
    directory = WORK / "cache" / image.slug
    directory.mkdir(parents=True)
    image_path = directory / "detector.h5"
    with h5py.File(image_path, "w") as handle:
        handle["entry/data/image"] = np.random.default_rng(1).random((1024, 1024), dtype=np.float32)
    DatasetFile.objects.create(dataset=image, name="detector.h5", path="detector.h5", format="hdf5",
                               size=image_path.stat().st_size)  # fmt: skip
    data_url = f"/datasets/{image.slug}/h5grove/data/"
    data_params = {"file": "detector.h5", "path": "/entry/data/image", "selection": "0:512,0:512",
                   "format": "bin", "dtype": "safe"}  # fmt: skip
    first = client.get(data_url, data_params)
    assert first.status_code == 200 and len(first.content) == 1 << 20, (first.status_code, len(first.content))
    data = timed(lambda: client.get(data_url, data_params), repeats)
    raw_data = timed(lambda: raw_h5grove(image_path, "/entry/data/image", "data", "0:512,0:512"), repeats)
    print(f"data (1 MiB): p50 {p50(data) * 1000:.2f} ms (h5grove alone {p50(raw_data) * 1000:.2f} ms)")

    figures = {
        "verify_all_s": round(p50(verify), 4),
        "verify_ratio": round(p50(verify) / p50(raw_verify), 2),
        "verify_bytes": total_bytes,
        "h5grove_meta_p50_ms": round(p50(meta) * 1000, 2),
        "meta_ratio": round(p50(meta) / p50(raw_meta), 2),
        "h5grove_data_p50_ms": round(p50(data) * 1000, 2),
        "data_ratio": round(p50(data) / p50(raw_data), 2),
        "samples": repeats,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "date": datetime.date.today().isoformat(),
    }
    for name, limit in TARGETS.items():
        verdict = "ok" if figures[name] <= limit else "OVER"
        print(f"{name}: {figures[name]} (target <= {limit}) {verdict}")
    if args.json:
        print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        import shutil

        shutil.rmtree(WORK, ignore_errors=True)
