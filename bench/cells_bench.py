"""Benchmark of live code cells: what Django adds on top of the runner, and 40 students at once.

    .venv/bin/python bench/cells_bench.py --quick --json

A real kernel host (`python -m runner serve` on a unix socket, a pool of 40 warm kernels) and the
real ASGI application served by uvicorn (its own process) on 127.0.0.1, with a throwaway SQLite
database holding one
course, one lesson with a code cell, and 40 enrolled students signed in by session cookie.

- execute_via_runner_p50_ms: `1+1` run with the runner client directly (AsyncRunnerClient.execute on
  the student's session), until its result;
- execute_via_web_p50_ms: the same `1+1` through `POST /learn/cells/<lesson>/run` over HTTP, until the
  stream's last event (session checks, rate limit, lesson lookup, output rendering, server-sent events);
- overhead_p50_ms: their difference, measured alternately in the same run (target <= 5 ms);
- concurrent40_p95_ms: 40 students each POSTing a small cell (`sum(range(10**5))`) at the same moment,
  first kernel hand-out included, until each stream ends.

The cells hub is the web process's own unless PANLEARN_CELLS_HUB_URL is set in the environment (then every
event of a run is published through Redis, as with several web processes): the figures say which.

With --json the LAST line is one JSON object. Everything started is stopped at exit.
"""

import argparse
import asyncio
import contextlib
import datetime
import json
import os
import platform
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

WORK = Path(tempfile.mkdtemp(prefix="panlearn-cells-bench-"))
WORK.chmod(0o755)  # its datasets directory is mounted into sandboxes, which run as an unprivileged uid
SOCKET = str(WORK / "runner.sock")
STUDENTS = 40
CSRF = secrets.token_hex(16)  # 32 characters: a valid unmasked token for the cookie and the header
os.environ.update(
    DJANGO_SETTINGS_MODULE="panlearn.settings.test",
    DATABASE_URL=f"sqlite:///{WORK / 'bench.sqlite3'}",
    PANLEARN_RUNNER_SOCKET=SOCKET,
    PANLEARN_CELLS_RUNS_PER_MINUTE="100000",
)

import django  # noqa: E402

django.setup()

import httpx  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.core.management import call_command  # noqa: E402

from runner.client import AsyncRunnerClient  # noqa: E402

TARGETS = {"overhead_p50_ms": 5.0}


def say(line: str) -> None:
    print(line, flush=True)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def start_kernel_host() -> subprocess.Popen:
    env = {
        **os.environ,
        "PANLEARN_VAR_DIR": str(WORK / "var"),
        "PANLEARN_RUNNER_POOL_SIZE": str(STUDENTS),
        "PANLEARN_RUNNER_MAX_KERNELS": str(STUDENTS + 4),
        "PANLEARN_RUNNER_DATASETS_DIR": str(WORK / "datasets"),
        "PANLEARN_RUNNER_CGROUP_NAME": f"panlearn-cells-bench-{os.getpid()}",
    }
    (WORK / "datasets").mkdir()
    log = open(WORK / "runner.log", "wb")  # noqa: SIM115  the process owns it until exit
    return subprocess.Popen(
        [sys.executable, "-m", "runner", "serve", "--socket", SOCKET],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


async def wait_for_pool(client: AsyncRunnerClient, *, idle: int, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if (await client.metrics())["pool_idle"] >= idle:
                return
        await asyncio.sleep(0.5)
    log = (WORK / "runner.log").read_text(errors="replace")[-2000:]
    raise RuntimeError(f"the kernel pool did not reach {idle} idle kernels. Kernel host log:\n{log}")


def build_site():
    """A course with one lesson holding one code cell, and signed-in students (session cookies)."""
    from django.contrib.auth.models import User
    from wagtail.models import Page

    from courses import services
    from courses.models import LessonPage

    call_command("migrate", verbosity=0)
    admin = User.objects.create_superuser("bench-admin", "admin@example.org", "x")
    catalogue = services.catalogue_create(site_root=Page.get_first_root_node(), title="Courses", user=admin)
    course = services.course_create(catalogue=catalogue, owner=admin, title="Bench", slug="bench", summary="Bench.")
    body = [("code_cell", {"code": "1+1", "datasets": [], "setup_code": "", "read_only": False, "example_output": ""})]
    lesson = services.lesson_create(course=course, owner=admin, title="Cells", slug="cells", summary="", body=body)
    lesson = LessonPage.objects.get(pk=lesson.pk)
    cell_id = next(block.id for block in lesson.body)
    cookies = []
    for number in range(STUDENTS):
        user = User.objects.create_user(f"student{number}", f"s{number}@example.org", "x")
        services.enrolment_create(user=user, course=course)
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        cookies.append((user.pk, store.session_key))
    return lesson.pk, cell_id, cookies


def tracking_counts(expected: int, timeout: float = 60) -> tuple[int, int]:
    """The runs' `executed` statements in the outbox, and how many the worker delivered (waiting for all)."""
    from tracking.models import Delivery, OutboxStatement

    executed = OutboxStatement.objects.filter(verb__endswith="/executed")
    deadline = time.monotonic() + timeout
    while True:
        recorded = executed.count()
        delivered = Delivery.objects.filter(statement__in=executed, status="delivered").count()
        if delivered >= expected or time.monotonic() > deadline:
            return recorded, delivered
        time.sleep(0.5)


BENCH_SETTINGS = """
from panlearn.settings.test import *  # noqa: F403
# The test settings re-scan static files on every request (WhiteNoise autorefresh), a development
# convenience that production does not have and that would be measured here.
WHITENOISE_AUTOREFRESH = False
# The whole product, as the demo runs it: every run records its xAPI statement in the outbox and queues
# its delivery in the database task queue, which a db_worker (started below) sends to the built-in store.
# The test settings' immediate backend would deliver inside the request instead.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Persistent connections, as base.py has them: the test settings close the connection after every request
# (for the browser tests' live server), and a run would then pay for a new SQLite connection.
DATABASES["default"]["CONN_MAX_AGE"] = 600
"""


class Server:
    """uvicorn serving panlearn's ASGI application in its own process, as in production."""

    def __init__(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        (WORK / "bench_settings.py").write_text(BENCH_SETTINGS)
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench_settings",
               "PYTHONPATH": os.pathsep.join([str(WORK), str(ROOT)])}  # fmt: skip
        self.env = env
        self.log = open(WORK / "uvicorn.log", "wb")  # noqa: SIM115  closed in __exit__
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "panlearn.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--no-access-log",
                "--lifespan",
                "off",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def start_worker(self) -> None:
        self.worker_log = open(WORK / "worker.log", "wb")  # noqa: SIM115  closed in __exit__
        self.worker = subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--queue-name", "*", "--interval", "0.1", "--no-reload"],
            cwd=ROOT, env=self.env, stdout=self.worker_log, stderr=subprocess.STDOUT,
        )  # fmt: skip

    def __enter__(self):
        self.start_worker()
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1):
                break
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn did not start: {(WORK / 'uvicorn.log').read_text()[-2000:]}")
            time.sleep(0.1)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc):
        for process in (self.process, self.worker):
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        self.log.close()
        self.worker_log.close()


async def web_run(http: httpx.AsyncClient, url: str, cookie: str, cell_id: str, code: str) -> float:
    start = time.perf_counter()
    async with http.stream(
        "POST",
        url,
        json={"cell_id": cell_id, "code": code, "tab": "bench"},
        cookies={settings.SESSION_COOKIE_NAME: cookie, settings.CSRF_COOKIE_NAME: CSRF},
        headers={"X-CSRFToken": CSRF},
    ) as response:
        body, elapsed = b"", None
        async for chunk in response.aiter_bytes():
            body += chunk
            # The run's last event, as the student sees it: the "idle" status after the result. The stream
            # closes a moment later, once the run's learning record is written.
            after_result = body.partition(b"event: result")[2]
            if elapsed is None and b'"state": "idle"' in after_result and body.endswith(b"\n\n"):
                elapsed = time.perf_counter() - start
    if response.status_code != 200 or b"event: result" not in body:
        raise RuntimeError(f"run failed: {response.status_code} {body[:300]!r}")
    return elapsed if elapsed is not None else time.perf_counter() - start


async def measure(args) -> dict:
    samples = 40 if args.quick else 200
    lesson_id, cell_id, cookies = await asyncio.to_thread(build_site)
    # The test settings fix the runner's secret; the host below reads the same settings module.
    runner = AsyncRunnerClient(
        base_url="http://runner", secret=settings.PANLEARN_RUNNER_SECRET, socket_path=SOCKET, timeout=120
    )
    await wait_for_pool(runner, idle=STUDENTS)
    say(f"kernel pool ready ({STUDENTS} idle kernels)")
    with Server() as base:
        run_url = f"{base}/learn/cells/{lesson_id}/run"
        async with httpx.AsyncClient(timeout=120) as http:
            user_pk, cookie = cookies[0]
            await web_run(http, run_url, cookie, cell_id, "1+1")  # the student's session now exists
            # Measure the steady state: the worker has started (Django's start-up takes a CPU for a second or
            # two on this machine, and the first samples would pay for it) once it has delivered that run.
            await asyncio.to_thread(tracking_counts, 1)

            # The runner hands back the session the web run made (same user, lesson and datasets).
            runner_user = f"user-{user_pk}"
            session = await runner.create_session(user=runner_user, context=f"lesson-{lesson_id}", datasets=[])
            session_id = session["session_id"]
            web, direct = [], []
            for _ in range(samples):  # alternate, so drift and noise hit both sides alike
                web.append(await web_run(http, run_url, cookie, cell_id, "1+1"))
                start = time.perf_counter()
                reply = await runner.execute(session_id, user=runner_user, code="1+1")
                direct.append(time.perf_counter() - start)
                assert reply.status == "ok"
            web_ms, direct_ms = statistics.median(web) * 1000, statistics.median(direct) * 1000
            say(f"1+1 via web p50 {web_ms:.2f} ms, via runner {direct_ms:.2f} ms")

            await wait_for_pool(runner, idle=STUDENTS - 1)
            burst = await asyncio.gather(
                *(web_run(http, run_url, cookie, cell_id, "sum(range(10**5))") for _, cookie in cookies[1:])
            )
            burst.append(await web_run(http, run_url, cookies[0][1], cell_id, "sum(range(10**5))"))
            p95_ms, max_ms = percentile(burst, 95) * 1000, max(burst) * 1000
            say(f"{STUDENTS} students at once: p95 {p95_ms:.0f} ms, max {max_ms:.0f} ms")
            recorded, delivered = await asyncio.to_thread(tracking_counts, samples + len(burst) + 1)
            say(f"tracking on: {recorded} executed statements recorded, {delivered} delivered to the store")
    await runner.aclose()
    overheads = [w - d for w, d in zip(web, direct, strict=True)]
    return {
        "execute_via_web_p50_ms": round(statistics.median(web) * 1000, 2),
        "execute_via_runner_p50_ms": round(statistics.median(direct) * 1000, 2),
        "overhead_p50_ms": round(statistics.median(overheads) * 1000, 2),
        "concurrent40_p95_ms": round(percentile(burst, 95) * 1000, 1),
        "concurrent40_max_ms": round(max(burst) * 1000, 1),
        "executed_statements_recorded": recorded,
        "executed_statements_delivered": delivered,
        "samples": samples,
        # PANLEARN_CELLS_HUB_URL in the bench's environment reaches the web process: the hub on Redis.
        "hub": "redis" if os.environ.get("PANLEARN_CELLS_HUB_URL") else "in-process",
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "date": datetime.date.today().isoformat(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer samples (about a minute)")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object on the last line")
    args = parser.parse_args()
    host = start_kernel_host()
    try:
        figures = asyncio.run(measure(args))
    finally:
        host.terminate()
        try:
            host.wait(timeout=30)
        except subprocess.TimeoutExpired:
            host.kill()
        import shutil

        shutil.rmtree(WORK, ignore_errors=True)
    for name, limit in TARGETS.items():
        say(f"{name}: {figures[name]} (target <= {limit}) {'ok' if figures[name] <= limit else 'OVER'}")
    if args.json:
        print(json.dumps(figures), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
