"""Runs the ADL LRS conformance test suite (xAPI 1.0.3 or 2.0.0) against the built-in statement store.

    .venv/bin/python bench/lrs_conformance.py --suite /path/to/lrs-conformance-test-suite [--version 2.0.0] [--json]
        [--allowlist bench/lrs_conformance_allowlist.json]

With --allowlist it is CI's check (scripts/lrs_conformance.sh): exit 1 on any failure the list does not
name, on an entry that no longer fails, or on tests that did not run.

The suite (github.com/adlnet/lrs-conformance-test-suite) is not published on the npm registry, so it
is not installed by the project: give the folder of a copy with its `npm install` done. The store runs
on loopback under uvicorn with a throwaway SQLite database and its own credential; the suite's console
runner is judged by the JSON log it writes (its exit code is the failure count modulo 256). The
result lists every failing test with its requirement id (XAPI-nnnnn), suite and error.
`bench/tracking_bench.py --conformance DIR` runs this for both versions and reports `conformance_103_passed/total`
and `conformance_200_passed/total`.
"""

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
USER, PASSWORD = "panlearn", "conformance-run"
LOG_LINE = re.compile(r"Full run log written to (\S+\.log)")
REQUIREMENT = re.compile(r"XAPI-\d{5}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _serve_store(work: Path, port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "panlearn.settings.dev",
        "DATABASE_URL": f"sqlite:///{work / 'store.sqlite3'}",
        "PANLEARN_VAR_DIR": str(work),
        "PANLEARN_TRACKING_STORE_USERNAME": USER,
        "PANLEARN_TRACKING_STORE_PASSWORD": PASSWORD,
        "DJANGO_DEBUG": "false",
    }
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    server = subprocess.Popen(
        [python, "-m", "uvicorn", "panlearn.asgi:application", "--host", "127.0.0.1", "--port", str(port),
         "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=(work / "store.log").open("w"),
    )  # fmt: skip
    for _ in range(100):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return server
        if server.poll() is not None:
            break
        time.sleep(0.1)
    server.kill()
    raise RuntimeError(f"the store did not start: {(work / 'store.log').read_text()[-500:]}")


def failing_tests(log: dict) -> list[dict]:
    """Every failed leaf test of the suite's log, with its requirement ids and top-level suite."""
    found = []

    def walk(node: dict, path: list[str]) -> None:
        title = node.get("title") or node.get("name") or ""
        children = node.get("tests") or []
        if not children:
            if node.get("status") == "failed":
                text = " ".join([*path, title, str(node.get("requirement") or "")])
                found.append({
                    "requirements": sorted(set(REQUIREMENT.findall(text))),
                    "suite": path[1] if len(path) > 1 else title,
                    "title": title,
                    "error": str(node.get("error") or "").splitlines()[0][:300] if node.get("error") else "",
                })  # fmt: skip
            return
        for child in children:
            walk(child, [*path, title])

    walk(log["log"], [])
    return found


def run_suite(suite: Path, *, version: str = "1.0.3") -> dict:
    """Run the suite against a fresh store; passed and total come from the log's summary."""
    runner = suite / "bin" / "console_runner.js"
    if not runner.exists() or not (suite / "node_modules").is_dir():
        raise RuntimeError(f"{suite} is not a copy of the suite with its npm install done")
    with tempfile.TemporaryDirectory(prefix="panlearn-lrs-conformance-") as folder:
        work = Path(folder)
        port = _free_port()
        server = _serve_store(work, port)
        try:
            started = time.monotonic()
            run = subprocess.run(
                ["node", str(runner), "-e", f"http://127.0.0.1:{port}/xapi", "-a", "-u", USER, "-p", PASSWORD,
                 "-x", version],
                cwd=suite, capture_output=True, text=True, timeout=1800,
            )  # fmt: skip
            seconds = time.monotonic() - started
        finally:
            server.terminate()
            server.wait(timeout=10)
    match = LOG_LINE.search(run.stdout)
    if match is None:
        raise RuntimeError(f"the suite wrote no log (exit {run.returncode}): {run.stdout[-500:]}{run.stderr[-500:]}")
    log = json.loads(Path(match.group(1)).read_text())
    summary = log["summary"]
    failing = failing_tests(log)
    return {
        "version": summary.get("version", version),
        "passed": summary["passed"],
        "failed": summary["failed"],
        "total": summary["total"],
        "seconds": round(seconds, 1),
        "log": match.group(1),
        "failing": failing,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--suite", type=Path, required=True, help="folder of the suite, npm install done")
    parser.add_argument("--version", choices=["1.0.3", "2.0.0"], default="1.0.3", help="the xAPI version tested")
    parser.add_argument("--json", action="store_true", help="end with the whole result as one JSON line")
    parser.add_argument("--allowlist", type=Path, help="fail (exit 1) on any failure this list does not name, "
                        "and on an entry that no longer fails: the CI check (scripts/lrs_conformance.sh)")  # fmt: skip
    args = parser.parse_args()
    result = run_suite(args.suite.resolve(), version=args.version)
    print(f"xAPI {result['version']}: {result['passed']} passed of {result['total']} ({result['failed']} failed), "
          f"{result['seconds']} s; log {result['log']}")  # fmt: skip
    by_suite: dict[str, int] = {}
    for test in result["failing"]:
        by_suite[test["suite"]] = by_suite.get(test["suite"], 0) + 1
    for name, count in sorted(by_suite.items(), key=lambda item: -item[1]):
        print(f"  {count:4}  {name}")
    status = 0
    if args.allowlist:
        unexpected, stale = judge(result, json.loads(args.allowlist.read_text())["entries"])
        for test in unexpected:
            print(f"FAILED, not allowed: {test['suite']} | {test['title']} | {test['error']}")
        for entry in stale:
            print(f"passes now, take it off {args.allowlist}: {entry['title']}")
        status = 1 if unexpected or stale or result["passed"] + len(result["failing"]) < result["total"] else 0
        verdict = "conformant" if status == 0 else "NOT conformant"
        allowed = len(result["failing"]) - len(unexpected)
        print(f"xAPI {result['version']}: {verdict}: {len(result['failing'])} failing, {allowed} allowed by the list")
    if args.json:
        print(json.dumps(result))
    return status


def judge(result: dict, entries: list[dict]) -> tuple[list[dict], list[dict]]:
    """(failures no entry allows, entries of this version whose test no longer fails)."""
    allowed = {entry["title"] for entry in entries if entry["version"] == result["version"]}
    failing = {test["title"] for test in result["failing"]}
    unexpected = [test for test in result["failing"] if test["title"] not in allowed]
    stale = [entry for entry in entries if entry["version"] == result["version"] and entry["title"] not in failing]
    return unexpected, stale


if __name__ == "__main__":
    sys.exit(main())
