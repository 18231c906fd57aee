"""Set-up: from `git clone` to the first page served by the README's demo command, cold and warm.

    .venv/bin/python bench/setup_bench.py --json

Each round clones the committed tree into a scratch folder and runs `scripts/demo.sh` there, as a
new user would, with a venv of its own (from requirements.txt alone) and no database or var/. The
clock stops when the home page answers 200.

- setup_cold_s: the pip cache empty (a new PIP_CACHE_DIR), so every package is downloaded;
- setup_warm_s: the same with the cache the cold round filled (the usual second install);
- warm_over_cold: their ratio, both measured in the same run.

The target is setup_cold_s <= 180. What pip and the network do dominates; say in docs/performance.md
when the machine was loaded. With --json the LAST line is one JSON object. Everything started is
stopped (by its process group) and removed at exit.
"""

import argparse
import datetime
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_COLD_S = 180
START_TIMEOUT_S = 900


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serves(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def one_round(scratch: Path, pip_cache: Path, name: str) -> dict:
    """Clone, start the demo, wait for its home page; returns the phases' seconds."""
    checkout, port = scratch / name, free_port()
    started = time.monotonic()
    subprocess.run(["git", "clone", "-q", "--no-hardlinks", str(ROOT), str(checkout)], check=True)
    cloned = time.monotonic()
    env = {
        **os.environ,
        "PANLEARN_VENV": str(scratch / f"{name}-venv"),
        "PORT": str(port),
        "PIP_CACHE_DIR": str(pip_cache),
    }
    for variable in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "PANLEARN_VAR_DIR", "VIRTUAL_ENV"):
        env.pop(variable, None)
    log = (scratch / f"{name}.log").open("w")
    demo = subprocess.Popen(
        ["scripts/demo.sh"], cwd=checkout, env=env, stdout=log, stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        while not serves(f"http://127.0.0.1:{port}/"):
            if demo.poll() is not None or time.monotonic() - started > START_TIMEOUT_S:
                raise SystemExit(f"{name}: the demo did not serve its home page; see {scratch / f'{name}.log'}")
            time.sleep(0.5)
        served = time.monotonic()
    finally:
        os.killpg(demo.pid, signal.SIGTERM)
        try:
            demo.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(demo.pid, signal.SIGKILL)
        log.close()
    text = (scratch / f"{name}.log").read_text()
    return {"total_s": round(served - started, 1), "clone_s": round(cloned - started, 1), "log_lines": text.count("\n")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="end with one JSON line")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder (logs) for a look")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="panlearn-setup-bench-"))
    load_before = os.getloadavg()
    try:
        cache = scratch / "pip-cache"  # empty: the cold round downloads everything
        cold = one_round(scratch, cache, "cold")
        print(
            f"cold (empty pip cache): {cold['total_s']} s from git clone to the first page (clone {cold['clone_s']} s)"
        )
        warm = one_round(scratch, cache, "warm")
        print(f"warm (pip cache filled): {warm['total_s']} s (clone {warm['clone_s']} s)")
    finally:
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
    ratio = round(warm["total_s"] / cold["total_s"], 2)
    verdict = "met" if cold["total_s"] <= TARGET_COLD_S else "MISSED"
    print(f"warm / cold: {ratio}; target cold <= {TARGET_COLD_S} s: {verdict}")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    if args.json:
        print(json.dumps({
            "setup_cold_s": cold["total_s"],
            "setup_warm_s": warm["total_s"],
            "warm_over_cold": ratio,
            "target_cold_s": TARGET_COLD_S,
            "commit": commit.strip(),
            "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="minutes"),
            "load_before": [round(value, 2) for value in load_before],
            "load_after": [round(value, 2) for value in os.getloadavg()],
            "cpus": os.cpu_count(),
            "python": sys.version.split()[0],
        }))  # fmt: skip


if __name__ == "__main__":
    main()
