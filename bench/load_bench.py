"""Load test of the one-machine scale-out layout, with faults: locust students against deploy/Procfile.

    .venv/bin/python bench/load_bench.py --quick --json

The layout is deploy/Procfile run by honcho (each process under deploy/respawn.sh, which starts it again
when it dies, as systemd would): nginx in front of two uvicorn web processes, two RQ workers and two kernel
hosts, with the machine's PostgreSQL (a fresh database, panlearn_load) and Redis (databases 8, 9 and 10:
the task queue, the cache and the live-cell hub). Settings: panlearn.settings.demo (production-like, plain
HTTP on loopback) with PANLEARN_TASKS_BACKEND=rq and PANLEARN_RUNNER_HOSTS, so every part of the product is
on: xAPI statements of every run and grade, rate limits, the hub.

The students are locust users (bench/load_locustfile.py, run headless from var/bench/load-venv, made here
from bench/requirements-load.txt), arriving at --spawn-rate per second. Each signs in, opens the lesson, runs
its five cells, submits the graded exercise and polls for the feedback, then opens their progress, with
think times between the steps (2-5 s between cells). The fault phase is in the same run: once --fault-after
students have started, the first kernel host and the first RQ worker (and its work horse) are killed with
SIGKILL; respawn.sh starts them again a second later. Each host starts its share of 200 warm kernels before
the students arrive (PANLEARN_RUNNER_POOL_SIZE=100), as an operator prepares a school's morning;
--warm-per-host 150 keeps warm kernels to spare for a lost host's students.

Figures (the last line with --json is one JSON object):
- load_students, load_requests, load_errors: students, HTTP requests and steps, and those that failed (a
  non-2xx answer, a run whose result is not "ok", a stream that broke, a grade that failed).
- load_cell_p50_ms / load_cell_p95_ms: one cell, from the request to the end of its stream, queue wait and
  a kernel's start included. load_submit_to_feedback_p95_ms: from Submit to the poll (every 0.5 s) that
  sees the grade; submissions still waiting after 120 s are not in it, and are counted by the next two.
- load_sign_in_p50_ms / load_sign_in_p95_ms: the sign-in page and the form's post, to the signed-in
  redirect; the PBKDF2 hash, at a lower CPU priority than the rest of the site (accounts/hashing.py), is
  most of it.
- load_submissions_sent / load_submissions_graded: Submits answered 202, and those graded at the end. A
  grade that a killed worker held stays "grading" until `exercises requeue` (run every few minutes by cron,
  after 5 minutes) puts it back: the bench runs that recovery once the students are done, as the cron would
  later. fault_submissions_lost: sent and not graded after it. fault_submissions_requeued: graded by it.
- fault_sessions_recovered: runs that found their kernel gone (its host killed, or restarted under them) and
  ran in a fresh kernel, with the notice; the student then runs the cells above again. In "fault":
  kernel_host_back_after_s, from the kill to the first answer of the respawned host.
- The run waits (3 minutes at most) for the machine's load average to drop under 2 before it starts,
  and reports it (details.load_average_at_start).
- baseline_cell_p50_ms: the same first cell run by one student alone on the idle layout, just before the
  load; load_cell_p50_ratio is the load's p50 over it.
Also reported: peak kernels, the lowest available memory, and the CPU-seconds of each role (web, workers,
kernel hosts with their kernels and grades, nginx, PostgreSQL, Redis, locust, the bench) while the students
ran, with the machine's busy and idle time and its steal (time the host of this virtual machine gave other
tenants: a shared machine's noise) (bench/load_cpu.py); and the run in 10-second windows, cell and feedback
latencies beside the CPU of the machine and of each main role: what bounds the latencies, and when.
"""

import argparse
import contextlib
import itertools
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "var" / "bench" / "load"
LOAD_VENV = ROOT / "var" / "bench" / "load-venv"
LOAD_REQUIREMENTS = ROOT / "bench" / "requirements-load.txt"
POSTGRES = os.environ.get("PANLEARN_LOAD_POSTGRES", "postgres://postgres@127.0.0.1:5432")
DATABASE = "panlearn_load"
REDIS_DBS = {"queue": 8, "cache": 9, "hub": 10}
PASSWORD = "panlearn-load-student"
CELLS = [
    "import numpy as np\nx = np.linspace(0, 1, 2000)\nprint(len(x))",
    "y = np.sin(2 * np.pi * 5 * x)\nprint(round(float(y.max()), 3))",
    "total = sum(i * i for i in range(100_000))\ntotal",
    "np.mean(y ** 2)",
    "print('peak at', float(x[np.argmax(y)]))",
]
SOLUTION = "def kinetic_energy(mass, speed):\n    return 0.5 * mass * speed**2\n"
TESTS = [(f"test_{n}", f"def test_{n}():\n    assert kinetic_energy({n}, 2) == {2 * n}\n") for n in range(1, 6)]


def say(message: str) -> None:
    print(f"[load] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(fraction * len(ordered)))], 1)


# -- set-up ----------------------------------------------------------------------------------------------


def ensure_tools() -> None:
    """locust in its own venv (gevent and its pins stay out of panlearn's), and nginx from Debian."""
    stamp, wanted = LOAD_VENV / ".bench-requirements", LOAD_REQUIREMENTS.read_text()
    if not (stamp.exists() and stamp.read_text() == wanted):
        say(f"installing locust into {LOAD_VENV.relative_to(ROOT)} (once)")
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(LOAD_VENV)], check=True, timeout=300)
        subprocess.run([str(LOAD_VENV / "bin" / "python"), "-m", "pip", "install", "-q", "-r", str(LOAD_REQUIREMENTS)],
                       check=True, timeout=900, stdout=subprocess.DEVNULL)  # fmt: skip
        stamp.write_text(wanted)
    subprocess.run(["bash", "-c", "source scripts/lib.sh && ensure_nginx"], cwd=ROOT, check=True, timeout=600,
                   stdout=subprocess.DEVNULL)  # fmt: skip


def layout_env(nginx_port: int, warm_per_host: int = 100) -> dict[str, str]:
    redis = "redis://127.0.0.1:6379"
    return {
        "DJANGO_SETTINGS_MODULE": "panlearn.settings.demo",
        "PANLEARN_VAR_DIR": str(WORK / "var"),
        "PANLEARN_BASE_URL": f"http://127.0.0.1:{nginx_port}",
        "DATABASE_URL": f"{POSTGRES}/{DATABASE}",
        "REDIS_URL": f"{redis}/{REDIS_DBS['queue']}?socket_connect_timeout=2",
        "DJANGO_CACHE_URL": f"{redis}/{REDIS_DBS['cache']}",
        "PANLEARN_CELLS_HUB_URL": f"{redis}/{REDIS_DBS['hub']}",
        "PANLEARN_TASKS_BACKEND": "rq",
        "PANLEARN_RUNNER_HOSTS": "k1=unix:var/scale/k1.sock,k2=unix:var/scale/k2.sock",
        "PANLEARN_RUNNER_SOCKET": "",
        # 200 students hold 200 kernels: as an operator sizes a school's morning, each host starts its half
        # before the students arrive (a kernel's start is ~0.25 s of CPU with numpy, too much to pay during
        # the rush on 2 cores), at most 10 more a host, numpy alone preloaded (what the lesson imports), idle
        # ones culled two minutes after their student left. --warm-per-host sizes the pools otherwise (150:
        # room for most of a lost host's students without a start).
        "PANLEARN_RUNNER_POOL_SIZE": str(warm_per_host),
        "PANLEARN_RUNNER_MAX_KERNELS": str(warm_per_host + 10),
        "PANLEARN_RUNNER_PRELOAD": "numpy",
        "PANLEARN_RUNNER_IDLE_SECONDS": "120",
        "PANLEARN_RUNNER_DATASETS_DIR": str(WORK / "datasets"),
        "PANLEARN_WEB1_PORT": str(free_port()),
        "PANLEARN_WEB2_PORT": str(free_port()),
        "PANLEARN_NGINX_LISTEN": f"127.0.0.1:{nginx_port}",
        "PANLEARN_NGINX_WORKERS": "1",
        "PATH": f"{ROOT / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}",
    }


def fresh_database_and_redis() -> None:
    import psycopg
    import redis

    with psycopg.connect(f"{POSTGRES}/postgres".replace("postgres://", "postgresql://"), autocommit=True) as db:
        db.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        db.execute(f"CREATE DATABASE {DATABASE}")
    for number in REDIS_DBS.values():
        redis.Redis.from_url(f"redis://127.0.0.1:6379/{number}").flushdb()


def build_site(students: int) -> dict:
    """A course, its lesson (five code cells and a graded exercise), and enrolled students with passwords."""
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from wagtail.models import Page, Site

    from courses import services
    from courses.models import Enrolment, LessonPage
    from exercises.models import Exercise, ExerciseTest

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # the hashed copies WhiteNoise serves
    admin = User.objects.create_superuser("load-admin", "load-admin@example.org", PASSWORD)
    catalogue = services.catalogue_create(site_root=Page.get_first_root_node(), title="Courses", user=admin)
    Site.objects.filter(is_default_site=True).update(root_page=catalogue)
    course = services.course_create(catalogue=catalogue, owner=admin, title="Summer school", slug="school",
                                    summary="Two hundred students, one lesson.")  # fmt: skip
    exercise = Exercise.objects.create(title="Kinetic energy", prompt="Write kinetic_energy(mass, speed).",
                                       starter_code="def kinetic_energy(mass, speed):\n    ...\n",
                                       solution_code=SOLUTION, validation={"ok": True})  # fmt: skip
    for order, (name, source) in enumerate(TESTS):
        ExerciseTest.objects.create(exercise=exercise, name=name, source=source, points=1, hidden=order >= 3,
                                    sort_order=order)  # fmt: skip
    cell = {"datasets": [], "setup_code": "", "read_only": False, "example_output": ""}
    body = [("code_cell", {**cell, "code": code}) for code in CELLS] + [("exercise", {"exercise": exercise})]
    lesson = services.lesson_create(course=course, owner=admin, title="Fourier", slug="fourier", summary="",
                                    body=body)  # fmt: skip
    lesson = LessonPage.objects.get(pk=lesson.pk)
    cell_ids = [block.id for block in lesson.body if block.block_type == "code_cell"]
    hashed = make_password(PASSWORD)  # one hash for all: the students' sign-ins still check it each time
    names = [f"load-student-{number}" for number in range(students)] + ["load-baseline"]
    User.objects.bulk_create([User(username=name, email=f"{name}@example.org", password=hashed) for name in names])
    users = User.objects.filter(username__in=names)
    Enrolment.objects.bulk_create([Enrolment(user=user, course=course) for user in users])
    return {"lesson": lesson.pk, "lesson_url": lesson.url, "exercise": exercise.pk,
            "cells": list(zip(cell_ids, CELLS, strict=True)), "solution": SOLUTION, "students": names[:-1],
            "password": PASSWORD, "total": students}  # fmt: skip


# -- the layout ------------------------------------------------------------------------------------------


class Layout:
    """deploy/Procfile under honcho, in its own process group."""

    def __init__(self, env: dict[str, str]):
        self.env = {**os.environ, **env}
        env_file = WORK / "scale.env"
        env_file.write_text("".join(f"{key}={value}\n" for key, value in env.items()))
        self.log = open(WORK / "honcho.log", "wb")  # noqa: SIM115  closed in stop()
        self.process = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "honcho"), "-f", "deploy/Procfile", "-d", ".", "-e", str(env_file),
             "start"],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip

    def pids(self, pattern: str) -> list[int]:
        found = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True).stdout.split()
        return [int(pid) for pid in found if int(pid) != os.getpid()]

    def pythons(self, pattern: str) -> list[int]:
        """The Python processes matching `pattern`, not the shells and respawn.sh around them."""
        found = []
        for pid in self.pids(pattern):
            with contextlib.suppress(OSError):
                argv0 = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]
                if Path(argv0.decode()).name.startswith("python"):
                    found.append(pid)
        return found

    def wait_ready(self, base: str, warm: int, timeout: float = 600) -> None:
        import httpx

        from runner.backends import get_client

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"honcho exited: {(WORK / 'honcho.log').read_text()[-3000:]}")
            with contextlib.suppress(Exception):
                pages = [httpx.get(f"{base}/accounts/login/", timeout=5).status_code for _ in range(4)]
                with get_client() as client:
                    metrics = client.metrics()
                workers = len(self.pythons("manage.py rqworker"))
                if pages == [200] * 4 and metrics["hosts_up"] == 2 and metrics["pool_idle"] >= warm and workers >= 2:
                    return
            time.sleep(1)
        raise RuntimeError(f"the layout did not come up: {(WORK / 'honcho.log').read_text()[-3000:]}")

    def kill_one(self, pattern: str) -> int | None:
        """SIGKILL one of the Python processes matching `pattern` (the first started) and its children (an RQ
        work horse); respawn.sh, its parent, starts it again."""
        candidates = self.pythons(pattern)
        mains = sorted(pid for pid in candidates if self.parent_of(pid) not in candidates)
        if not mains:
            return None
        victims = [mains[0], *self.children_of(mains[0])]
        for pid in victims:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        return mains[0]

    @staticmethod
    def parent_of(pid: int) -> int:
        with contextlib.suppress(OSError):
            return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        return 0

    @staticmethod
    def children_of(parent: int) -> list[int]:
        found = subprocess.run(["pgrep", "-P", str(parent)], capture_output=True, text=True).stdout.split()
        return [int(pid) for pid in found]

    def processes_by_role(self) -> dict[str, list[int]]:
        """The processes of each Procfile entry, named by role: honcho's shell for it and all below it."""
        from load_cpu import descendants

        markers = [("uvicorn", "web"), ("rqworker", "workers"), ("runner serve", "kernel_hosts"), ("nginx", "nginx")]

        def command(pid: int) -> str:
            with contextlib.suppress(OSError):
                return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            return ""

        roles: dict[str, list[int]] = {}
        for child in self.children_of(self.process.pid):  # honcho's multiprocessing child for each entry
            tree = [child, *descendants(child)]
            commands = " ".join(command(pid) for pid in tree)
            role = next((role for marker, role in markers if marker in commands), "honcho")
            roles.setdefault(role, []).extend(tree)
        roles.setdefault("honcho", []).append(self.process.pid)
        return roles

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        for leftover in self.pids(str(ROOT / "var" / "scale")) + self.pids("var/scale/k"):
            with contextlib.suppress(ProcessLookupError):
                os.kill(leftover, signal.SIGKILL)
        self.log.close()


class Watch:
    """Peak kernels and the lowest available memory, sampled every second in a thread; every 10 s the
    kernels' memory (PSS: reading it for 200 kernels each second cost the bench 30 CPU-seconds a run, CPU the
    layout under test then lacked) and the CPU by role, for the run's 10-second windows."""

    def __init__(self, cpu, machine_time):
        import threading

        self.cpu, self.machine_time = cpu, machine_time
        self.peak_kernels, self.min_available_mib, self.stopped = 0, None, False
        self.kernels_pss: tuple[int, float] = (0, 0.0)  # at the most kernels seen
        self.began = time.time()
        self.samples: list[tuple[float, object, dict[str, float]]] = []  # (time, MachineTime, CPU-s by role)
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def loop(self) -> None:
        from runner.backends import get_client

        tick = 0
        while not self.stopped:
            if tick % 10 == 0:
                self.samples.append((time.time(), self.machine_time(), self.cpu.usage_s()))
            with contextlib.suppress(Exception), get_client() as client:
                self.peak_kernels = max(self.peak_kernels, client.metrics().get("kernels_total", 0))
            with open("/proc/meminfo") as meminfo:
                available = next(int(line.split()[1]) // 1024 for line in meminfo if line.startswith("MemAvailable"))
            self.min_available_mib = min(available, self.min_available_mib or available)
            if tick % 10 == 0:
                count, pss = kernels_pss_mib()
                if count > self.kernels_pss[0]:
                    self.kernels_pss = (count, pss)
            tick += 1
            time.sleep(max(0.0, self.began + tick - time.time()))  # on the second: windows of 10 s


WINDOW_ROLES = ("web", "workers", "kernel_hosts", "postgres")


def windows(samples: list, cells: list, feedback: list, began: float, since) -> list[dict]:
    """The run in 10-second windows: cells and feedback that ended in each (count, p50, p95), and the CPU-seconds
    the machine and the main roles used in it. Where a latency rises, these say whose CPU it waited for."""
    rows = []
    for (start, machine_before, roles_before), (end, machine_after, roles_after) in itertools.pairwise(samples):
        in_window = [ms for at, ms in cells if start <= at < end]
        fed_back = [ms for at, ms in feedback if start <= at < end]
        machine = since(machine_before, machine_after)
        rows.append({
            "at_s": round(start - began),
            "cells": len(in_window),
            "cell_p50_ms": percentile(in_window, 0.5),
            "cell_p95_ms": percentile(in_window, 0.95),
            "feedback_p95_ms": percentile(fed_back, 0.95),
            "busy_cpu_s": round(machine.busy_s, 1),
            "steal_cpu_s": round(machine.steal_s, 1),
            **{f"{role}_cpu_s": round(roles_after[role] - roles_before.get(role, 0.0), 1)
               for role in WINDOW_ROLES if role in roles_after},
        })  # fmt: skip
    return rows


def print_windows(rows: list[dict]) -> None:
    if not rows:
        return
    print("  ".join(f"{key.removesuffix('_cpu_s').removesuffix('_ms'):>12}" for key in rows[0]))
    for row in rows:
        print("  ".join(f"{'' if value is None else value:>12}" for value in row.values()))


def kernels_pss_mib() -> tuple[int, float]:
    """How many kernel processes run on the machine, and their proportional memory (PSS) in MiB."""
    count, total_kib = 0, 0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, StopIteration):
            argv = (proc / "cmdline").read_bytes().split(b"\0")
            # The kernel itself, not the bwrap processes whose command lines carry its arguments; a forked
            # kernel shows its parent's command line and names itself in comm (runner/kernel_forks.py).
            forked = (proc / "comm").read_bytes().strip() == b"ipykernel"
            if not forked and (
                b"ipykernel_launcher" not in argv or not Path(argv[0].decode()).name.startswith("python")
            ):
                continue
            rollup = (proc / "smaps_rollup").read_text().splitlines()
            total_kib += next(int(line.split()[1]) for line in rollup if line.startswith("Pss:"))
            count += 1
    return count, round(total_kib / 1024, 1)


def baseline_cell_ms(base: str, plan: dict, runs: int = 5) -> float:
    """One student alone on the idle layout: sign in, then the first cell a few times (its first run starts
    the kernel, as under load); the median of the runs after the first."""
    import httpx

    with httpx.Client(base_url=base, timeout=60) as http:
        http.get("/accounts/login/")
        http.post("/accounts/login/", data={"username": "load-baseline", "password": PASSWORD,
                                            "csrfmiddlewaretoken": http.cookies["csrftoken"]},
                  headers={"Referer": f"{base}/accounts/login/"})  # fmt: skip
        cell_id, code = plan["cells"][0]
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            response = http.post(f"/learn/cells/{plan['lesson']}/run", json={"cell_id": cell_id, "code": code},
                                 headers={"X-CSRFToken": http.cookies["csrftoken"], "Referer": base})  # fmt: skip
            if b"event: result" not in response.content:
                raise RuntimeError(f"baseline run failed: {response.status_code} {response.content[-300:]!r}")
            times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times[1:]), 1)


def run_locust(base: str, plan: dict, args, layout: Layout, cpu) -> tuple[dict, dict]:
    plan_file, results_file = WORK / "plan.json", WORK / "results.json"
    plan_file.write_text(json.dumps(plan))
    results_file.unlink(missing_ok=True)
    command = [str(LOAD_VENV / "bin" / "locust"), "-f", str(ROOT / "bench" / "load_locustfile.py"), "--headless",
               "--host", base, "-u", str(args.students), "-r", str(args.spawn_rate), "--run-time",
               f"{args.max_minutes}m", "--stop-timeout", "30", "--only-summary", "--loglevel", "WARNING"]  # fmt: skip
    env = {**os.environ, "LOAD_PLAN": str(plan_file), "LOAD_RESULTS": str(results_file)}
    log = open(WORK / "locust.log", "wb")  # noqa: SIM115
    started = time.time()
    locust = subprocess.Popen(command, cwd=WORK, env=env, stdout=log, stderr=subprocess.STDOUT)
    cpu.add("locust", [locust.pid])
    fault = {"at_s": None, "kernel_hosts_killed": 0, "workers_killed": 0, "kernel_host_back_after_s": None}
    fault_at = args.fault_after / args.spawn_rate  # seconds: when that many students have arrived
    while locust.poll() is None:
        if fault["at_s"] is None and time.time() - started >= fault_at and not args.no_fault:
            fault["at_s"] = round(time.time() - started, 1)
            fault["kernel_hosts_killed"] = int(layout.kill_one("runner serve --socket var/scale/k1.sock") is not None)
            fault["workers_killed"] = int(layout.kill_one("manage.py rqworker") is not None)
            say(f"fault at {fault['at_s']} s: killed kernel host k1 and an RQ worker (respawn starts them again)")
        if fault["kernel_hosts_killed"] and fault["kernel_host_back_after_s"] is None:
            if kernel_host_answers("var/scale/k1.sock"):
                fault["kernel_host_back_after_s"] = round(time.time() - started - fault["at_s"], 1)
                say(f"kernel host k1 answers again, {fault['kernel_host_back_after_s']} s after it was killed")
            time.sleep(0.2)
            continue
        time.sleep(0.5)
    log.close()
    fault["run_s"] = round(time.time() - started, 1)
    if not results_file.exists():
        raise RuntimeError(f"locust wrote no results: {(WORK / 'locust.log').read_text()[-3000:]}")
    return json.loads(results_file.read_text()), fault


def wait_for_a_quiet_machine(below: float = 2.0, at_most_s: float = 180) -> float:
    """Wait (3 minutes at most) for the 1-minute load average to drop under `below`: a run started as the
    last ended shares the machine with its 220 kernels going away. Returns the load average then."""
    deadline = time.monotonic() + at_most_s
    while (load := os.getloadavg()[0]) >= below and time.monotonic() < deadline:
        time.sleep(3)
    if load >= below:
        say(f"the machine is still busy (load average {load:.2f}); running anyway, and saying so")
    return round(load, 2)


def kernel_host_answers(socket_path: str) -> bool:
    from django.conf import settings

    from runner.client import RunnerClient

    secret = settings.PANLEARN_RUNNER_SECRET  # the layout's, as the bench's own settings are
    try:
        with RunnerClient(base_url="http://runner", secret=secret, socket_path=socket_path, timeout=1) as client:
            client.metrics()
    except Exception:
        return False
    return True


def settle_submissions(sent: list[int], timeout: float = 180) -> dict:
    """Wait for every sent submission to be graded; run the cron's `exercises requeue` for those a killed
    worker held (as it would 5 minutes later), and wait again."""
    from datetime import timedelta

    from django.utils import timezone

    from exercises.models import Submission, SubmissionStatus
    from exercises.submissions import STALE_AFTER, requeue_stale

    def graded() -> int:
        return Submission.objects.filter(pk__in=sent, status=SubmissionStatus.GRADED).count()

    deadline = time.monotonic() + 60
    while graded() < len(sent) and time.monotonic() < deadline:
        time.sleep(1)
    before = graded()
    requeued = requeue_stale(now=timezone.now() + STALE_AFTER + timedelta(seconds=1)) if before < len(sent) else 0
    deadline = time.monotonic() + timeout
    while graded() < len(sent) and time.monotonic() < deadline:
        time.sleep(1)
    after = graded()
    statuses = Counter(Submission.objects.filter(pk__in=sent).values_list("status", flat=True))
    return {"graded_before_requeue": before, "requeued": requeued, "graded": after,
            "not_graded": len(sent) - after, "statuses": dict(statuses)}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="200 students (the default is 200 too; kept for CI)")
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--spawn-rate", type=float, default=3.5, help="students arriving per second")
    parser.add_argument("--fault-after", type=int, default=120, help="students arrived when the fault strikes")
    parser.add_argument("--no-fault", action="store_true")
    parser.add_argument("--warm-per-host", type=int, default=100, help="warm kernels each host starts first")
    parser.add_argument("--max-minutes", type=int, default=12)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # a TERM runs the clean-up below, as Ctrl+C does
    load_at_start = wait_for_a_quiet_machine()
    os.chdir(ROOT)  # the layout's relative paths (var/scale/k1.sock) are the checkout's
    WORK.mkdir(parents=True, exist_ok=True)
    (WORK / "datasets").mkdir(exist_ok=True)
    (WORK / "datasets").chmod(0o755)
    ensure_tools()
    nginx_port = free_port()
    env = layout_env(nginx_port, args.warm_per_host)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    from load_cpu import RoleCpu, machine_time, processes_named, role_shares, since

    fresh_database_and_redis()
    import django

    django.setup()
    say("building the site")
    plan = build_site(args.students)
    base = f"http://127.0.0.1:{nginx_port}"
    cpu_before = os.times()
    cpu = RoleCpu()
    layout = Layout(env)
    try:
        say("starting deploy/Procfile (nginx, 2 web, 2 RQ workers, 2 kernel hosts)")
        layout.wait_ready(base, warm=2 * args.warm_per_host)  # both pools full: no refill in the load
        baseline = baseline_cell_ms(base, plan)
        say(f"baseline: one student's cell on the idle layout, {baseline} ms; now {args.students} students")
        for role, pids in layout.processes_by_role().items():
            cpu.add(role, pids)
        cpu.add("postgres", processes_named("postgres"))
        cpu.add("redis", processes_named("redis-server"))
        cpu.add("bench", [os.getpid()])
        watch = Watch(cpu, machine_time)
        roles_before, machine_before = cpu.usage_s(), machine_time()
        results, fault = run_locust(base, plan, args, layout, cpu)
        watch.stopped = True
        watch.thread.join()  # its last sample before the final reading: no window ends before it starts
        roles_after, machine_after = cpu.usage_s(), machine_time()
        watch.samples.append((time.time(), machine_after, roles_after))
        settled = settle_submissions(results["submissions_sent"])
    finally:
        try:
            layout.stop()
        finally:
            cpu.release()  # PostgreSQL and Redis back where they were, whatever happened
    machine = since(machine_before, machine_after)
    cpu_s = role_shares(roles_before, roles_after, machine)
    cells = [ms for _, ms in results["cells_ms"]]
    feedback = [ms for _, ms in results["feedback_ms"]]
    sign_ins = [ms for _, ms in results["sign_in_ms"]]
    load_errors = results["failures"] + (args.students - results["students_done"])
    figures = {
        "load_students": args.students,
        "load_requests": results["requests"],
        "load_errors": load_errors,
        "load_cell_p50_ms": percentile(cells, 0.5),
        "load_cell_p95_ms": percentile(cells, 0.95),
        "load_submit_to_feedback_p95_ms": percentile(feedback, 0.95),
        # The sign-in page and the signed-in redirect: the hash is its cost, and runs at lower priority.
        "load_sign_in_p50_ms": percentile(sign_ins, 0.5),
        "load_sign_in_p95_ms": percentile(sign_ins, 0.95),
        "load_submissions_sent": len(results["submissions_sent"]),
        "load_submissions_graded": settled["graded"],
        "fault_submissions_lost": settled["not_graded"],
        "fault_submissions_requeued": settled["graded"] - settled["graded_before_requeue"],
        "fault_sessions_recovered": results["sessions_recovered"],
        "baseline_cell_p50_ms": baseline,
        "load_cell_p50_ratio": round(percentile(cells, 0.5) / baseline, 2) if cells and baseline else None,
        "details": {
            "cells_run": len(cells),
            "cell_failures": results["cell_failures"][:5],
            "errors": results["errors"],
            "students_done": results["students_done"],
            "submit_to_feedback_p50_ms": percentile(feedback, 0.5),
            "fault": fault,
            "settle": settled,
            "peak_kernels": watch.peak_kernels,
            "kernel_processes_at_peak": watch.kernels_pss[0],
            "kernels_pss_mib_at_peak": watch.kernels_pss[1],
            "pss_mib_per_kernel": round(watch.kernels_pss[1] / watch.kernels_pss[0], 1)
            if watch.kernels_pss[0]
            else None,
            "min_available_mib": watch.min_available_mib,
            "spawn_rate_per_s": args.spawn_rate,
            "warm_per_host": args.warm_per_host,
            "cpus": os.cpu_count(),
            "load_average_at_start": load_at_start,
            "bench_cpu_s": round(sum(os.times()[:2]) - sum(cpu_before[:2]), 1),
            # CPU-seconds by role while the students ran (fault["run_s"] s); without cpuacct, the machine's only.
            # steal: CPU time the machine's host gave other tenants while the layout could have run (noise).
            "cpu_s_by_role": cpu_s if cpu.usable else {k.replace("no_role", "busy"): v for k, v in cpu_s.items()},
            "cpu_busy_fraction": round(machine.busy_s / max(fault["run_s"] * (os.cpu_count() or 1), 1), 2),
            "windows": windows(watch.samples, results["cells_ms"], results["feedback_ms"], watch.began, since),
        },
    }
    for key, value in figures.items():
        if key != "details":
            print(f"{key:34} {value}")
    print(json.dumps({key: value for key, value in figures["details"].items() if key != "windows"}, indent=2))
    print_windows(figures["details"]["windows"])
    if args.json:
        print(json.dumps(figures))
    return 0 if load_errors == 0 and settled["not_graded"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
