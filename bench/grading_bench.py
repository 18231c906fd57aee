"""Benchmark of the exercises grading pipeline, end to end, and of regrading nbgrader notebooks against nbgrader.

    .venv/bin/python bench/grading_bench.py --quick --json

Set-up, all in a temporary directory: a throwaway SQLite database (migrated), a real kernel host
(`python -m runner serve` on a unix socket, default pool size) and real django-tasks database workers
(`manage.py db_worker`: --workers of them, 2 by default, with db_worker's own --interval of 1 s, as
scripts/demo.sh starts it). Submissions are made with `exercises.submissions.submission_create`, which commits
the row and queues the task; a worker runs `exercises.tasks.grade_submission`, which grades through the runner
and stores the result. The benchmark polls the row until it is graded or failed. Every answer differs by a
comment, so no result is reused from an identical earlier submission (the pipeline's `reuse` step). A row
whose grading task raised (django-tasks-db marks the task FAILED; nothing queues the row again until
`requeue_stale`) is *lost*.

- submit_to_feedback_p50_ms / _p95_ms: one Submit at a time of a small exercise with 5 tests (2 hidden), from
  the `submission_create` call until a poll (every 5 ms) sees the row graded. Before each sample the runner's
  pool is full, then a random pause (0 to --worker-interval) decouples the submit from the workers' polling;
  the first sample is discarded; lost samples are counted apart (details.single.lost). Baseline, alternated
  with it: the same code and tests graded with the runner client directly (`client.grade`, what the task
  calls), i.e. without database, queue and worker.
- burst200_graded / burst200_lost / burst200_p95_ms: 200 Submits by 200 students, spread evenly over 10 s;
  lost = not graded within BURST_DEADLINE_S of the burst's start; p95 of submit-to-graded over the graded
  ones (polled every 20 ms).
- jobs_per_s_per_core: measured over that burst: graded submissions / (last graded - first submitted) /
  os.cpu_count(). The burst arrives at 20/s, so on 2 cores the figure cannot exceed 10; `burst_saturated` says
  whether work was still queued when the last submission arrived. Baseline, run just before: the runner alone,
  the same exercise graded with `client.grade` by as many threads as there are workers, back to back.
  details.regrade.panlearn_regrade_jobs_per_s_per_core is a saturated figure beside it (every row of the
  regrade queued at once).
- regrade_speedup_vs_nbgrader: tests/exercises/notebooks/momentum_transfer.ipynb (an nbgrader source
  notebook, two autograded exercises) and N student notebooks (20 with --quick, 60 without) made with
  nbformat from its student version (`export_student_notebook`): right, wrong, partially right (passes the
  public tests and fails the hidden ones, or one exercise right and the other not), unanswered, and one whose
  answer cell raises. nbgrader: `nbgrader generate_assignment`, then `nbgrader autograde`, in a temporary
  course directory, from its own venv (var/bench/nbgrader-venv, made here from bench/requirements-nbgrader.txt
  when missing or stale), with temporary HOME and JUPYTER_* directories and a kernelspec that runs that venv's
  ipykernel. panlearn: `exercises_from_notebook` on the same source notebook, each student's answers submitted
  and graded once (rows lost there are put back with `requeue_stale`, the product's recovery), then
  `regrade_exercise` on each exercise and the wait until every row has settled again. The figure is the wall
  time of `nbgrader autograde` over that of panlearn's regrade; the imports are reported beside it.
- regrade_scores_identical: every student's total in panlearn after the regrade (sum of their Submits'
  points, every row graded again) equals the total of their submission in nbgrader's gradebook. The manually
  graded cells are left as handed out: they score 0 in nbgrader and are not imported by panlearn.

--sqlite chooses the throwaway database's connection options (as-shipped by default; see --help), to measure
a fix for the "database is locked" losses with the same benchmark. Every phase reports how many CPUs *other*
processes kept busy meanwhile (a cpuacct cgroup; None when it cannot be made): a test suite running alongside
changes every figure several times over. With --json the LAST line is one JSON object. The exit status is 1
when a headline figure could not be measured. Everything started is stopped at exit; the logs of a run with
errors are kept in var/bench/grading-logs/.
"""

import argparse
import concurrent.futures
import contextlib
import datetime
import json
import os
import platform
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


SQLITE_OPTIONS = {  # --sqlite: DATABASES["default"]["OPTIONS"] for the throwaway database
    "as-shipped": {},
    "immediate": {"transaction_mode": "IMMEDIATE"},
    "wal": {"transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"},
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer samples and students (2 to 4 minutes)")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object on the last line")
    parser.add_argument("--workers", type=int, default=2, help="db_worker processes (default: 2)")
    parser.add_argument(
        "--worker-interval",
        type=float,
        default=0.1,
        help="db_worker --interval: seconds an idle worker sleeps between polls (default: 0.1, as scripts/demo.sh)",
    )
    parser.add_argument(
        "--sqlite",
        choices=sorted(SQLITE_OPTIONS),
        default="as-shipped",
        help="SQLite connection options: as-shipped (panlearn's settings: IMMEDIATE transactions, WAL), "
        "immediate (BEGIN IMMEDIATE transactions), wal (immediate + WAL journal, synchronous=NORMAL)",
    )
    return parser.parse_args()


ARGS = parse_args()
WORK = Path(tempfile.mkdtemp(prefix="panlearn-grading-bench-"))
WORK.chmod(0o755)  # its datasets directory is mounted into sandboxes, which run as an unprivileged uid
SOCKET = str(WORK / "runner.sock")
CGROUP_NAME = f"panlearn-grading-bench-{os.getpid()}"
NBGRADER_VENV = ROOT / "var" / "bench" / "nbgrader-venv"
NBGRADER_REQUIREMENTS = ROOT / "bench" / "requirements-nbgrader.txt"
SOURCE_NOTEBOOK = ROOT / "tests" / "exercises" / "notebooks" / "momentum_transfer.ipynb"
ASSIGNMENT = "ps1"

# The test settings with what the pipeline needs to be real: the database task backend (the test settings
# run tasks immediately), persistent connections as in base.py (the test settings close them per request),
# and the SQLite options chosen with --sqlite.
BENCH_SETTINGS = f"""from panlearn.settings.test import *  # noqa: F403
TASKS = {{"default": {{"BACKEND": "django_tasks_db.DatabaseBackend"}}}}
DATABASES["default"]["CONN_MAX_AGE"] = 600  # noqa: F405
DATABASES["default"].setdefault("OPTIONS", {{}}).update({SQLITE_OPTIONS[ARGS.sqlite]!r})  # noqa: F405
WHITENOISE_AUTOREFRESH = False
"""
(WORK / "grading_bench_settings.py").write_text(BENCH_SETTINGS)
sys.path.insert(0, str(WORK))
os.environ.update(
    DJANGO_SETTINGS_MODULE="grading_bench_settings",
    DATABASE_URL=f"sqlite:///{WORK / 'bench.sqlite3'}",
    PANLEARN_RUNNER_SOCKET=SOCKET,
    PANLEARN_VAR_DIR=str(WORK / "var"),
    PANLEARN_RUNNER_DATASETS_DIR=str(WORK / "datasets"),
    PANLEARN_RUNNER_CGROUP_NAME=CGROUP_NAME,
)
CHILD_ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(WORK), str(ROOT)])}

import django  # noqa: E402

django.setup()

import nbformat  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402
from django.db.models import F  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_tasks_db.models import DBTaskResult  # noqa: E402

from exercises.grading.specs import runner_tests  # noqa: E402
from exercises.importing import exercises_from_notebook  # noqa: E402
from exercises.models import Exercise, ExerciseTest, Submission, SubmissionKind, SubmissionStatus  # noqa: E402
from exercises.nbgrader import export_student_notebook  # noqa: E402
from exercises.submissions import (  # noqa: E402
    STALE_AFTER,
    exercise_validate,
    regrade_exercise,
    requeue_stale,
    submission_create,
)
from runner.client import RunnerClient  # noqa: E402

TARGETS = {  # figure: (comparison, limit)
    "submit_to_feedback_p50_ms": ("<=", 500.0),
    "submit_to_feedback_p95_ms": ("<=", 1500.0),
    "burst200_graded": (">=", 200),
    "burst200_lost": ("<=", 0),
    "jobs_per_s_per_core": (">=", 5.0),
    "regrade_scores_identical": ("==", True),
}
HEADLINE = [
    "submit_to_feedback_p50_ms",
    "submit_to_feedback_p95_ms",
    "burst200_graded",
    "burst200_lost",
    "burst200_p95_ms",
    "jobs_per_s_per_core",
    "regrade_speedup_vs_nbgrader",
    "regrade_scores_identical",
]
DONE = (SubmissionStatus.GRADED, SubmissionStatus.FAILED)
GRADE_TASK = "exercises.tasks.grade_submission"
TASK_FAILED = "task failed"  # the worker's task raised: the row stays queued until `requeue_stale`
BURST_SIZE, BURST_SPREAD_S, BURST_DEADLINE_S = 200, 10.0, 240.0

SMALL_SOLUTION = "def kinetic_energy(mass, speed):\n    return 0.5 * mass * speed**2\n"
SMALL_TESTS = [(f"test_{n}", f"def test_{n}():\n    assert kinetic_energy({n}, 2) == {2 * n}\n") for n in range(1, 6)]

# Student answers to momentum_transfer.ipynb, by the answer cell's grade_id.
MT_RIGHT = """def momentum_transfer(two_theta_deg, wavelength):
    theta = math.radians(two_theta_deg) / 2
    return 4 * math.pi * math.sin(theta) / wavelength"""
MT_WRONG = """def momentum_transfer(two_theta_deg, wavelength):
    theta = math.radians(two_theta_deg)  # forgot that the angle is 2θ
    return 4 * math.pi * math.sin(theta) / wavelength"""
MT_PUBLIC_ONLY = """def momentum_transfer(two_theta_deg, wavelength):
    # linear in the angle: right at 0° and 180° (the public tests) only
    return 4 * math.pi * (two_theta_deg / 180) / wavelength"""
MT_RAISES = """readings = [28.442, 47.303]
print(readings[2])  # IndexError: the cell stops here, before the function is defined
def momentum_transfer(two_theta_deg, wavelength):
    return 4 * math.pi * math.sin(math.radians(two_theta_deg) / 2) / wavelength"""
DS_RIGHT = """def d_spacing(q):
    if q <= 0:
        raise ValueError("Q must be positive")
    return 2 * math.pi / q"""
DS_NO_CHECK = """def d_spacing(q):
    return 2 * math.pi / q  # right for Q > 0; Q = 0 raises ZeroDivisionError, not ValueError"""
DS_WRONG = """def d_spacing(q):
    if q <= 0:
        raise ValueError("Q must be positive")
    return math.pi / q"""
STUB = None  # the answer cell as handed out (raise NotImplementedError())

GRADEBOOK_SCRIPT = """
import json, sys
from nbgrader.api import Gradebook, MissingEntry
with Gradebook(sys.argv[1]) as gb:
    out = {}
    for student in gb.students:
        try:
            sub = gb.find_submission(sys.argv[2], student.id)
        except MissingEntry:
            continue
        cells = {grade.name: grade.score for notebook in sub.notebooks for grade in notebook.grades}
        out[student.id] = {"score": sub.score, "max_score": sub.max_score, "cells": cells}
print(json.dumps(out))
"""


def say(line: str = "") -> None:
    print(line, flush=True)


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summary(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "p50": round(percentile(values, 50), 2),
        "p95": round(percentile(values, 95), 2),
        "min": round(min(values), 2),
        "max": round(max(values), 2),
    }


def ms(seconds: float) -> float:
    return seconds * 1000


# -- processes ---------------------------------------------------------------------------------------


class CpuAccount:
    """How busy *other* processes kept the machine: /proc/stat busy time minus our own CPU time, read from a
    cpuacct cgroup this process moves into before it starts anything (workers, runner, kernels and nbgrader
    inherit it; on cgroup v2 the runner moves kernels to its own parent group, which is added)."""

    root = Path("/sys/fs/cgroup")

    def __init__(self):
        self.version = 2 if (self.root / "cgroup.controllers").exists() else 1
        self.group: Path | None = None
        self.origin: Path | None = None
        base = self.root if self.version == 2 else self.root / "cpuacct"
        candidate = base / f"{CGROUP_NAME}-cpu"
        try:
            relative = next(
                line.split(":", 2)[2]
                for line in Path("/proc/self/cgroup").read_text().splitlines()
                if (self.version == 2 and line.split(":", 2)[1] == "")
                or (self.version == 1 and "cpuacct" in line.split(":", 2)[1].split(","))
            )
            candidate.mkdir()
            (candidate / "cgroup.procs").write_text(str(os.getpid()))
            self.group, self.origin = candidate, base / relative.lstrip("/")
        except (OSError, StopIteration):
            with contextlib.suppress(OSError):
                candidate.rmdir()

    def _ours(self) -> float | None:
        if self.group is None:
            return None
        if self.version == 1:
            return int((self.group / "cpuacct.usage").read_text()) / 1e9
        total = 0.0
        for group in (self.group, self.root / CGROUP_NAME):
            with contextlib.suppress(OSError, ValueError):
                for line in (group / "cpu.stat").read_text().splitlines():
                    if line.startswith("usage_usec "):
                        total += int(line.split()[1]) / 1e6
        return total

    def snapshot(self) -> tuple[float, float, float | None]:
        values = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        busy = (values[0] + values[1] + values[2] + values[5] + values[6]) / os.sysconf("SC_CLK_TCK")
        return time.monotonic(), busy, self._ours()

    def others_since(self, before: tuple[float, float, float | None]) -> float | None:
        after = self.snapshot()
        if before[2] is None or after[2] is None:
            return None
        wall = max(after[0] - before[0], 1e-6)
        return round(max(0.0, (after[1] - before[1]) - (after[2] - before[2])) / wall, 2)

    def close(self) -> None:
        if self.group is None:
            return
        with contextlib.suppress(OSError):
            (self.origin / "cgroup.procs").write_text(str(os.getpid()))
        for _ in range(100):
            try:
                self.group.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError:
                time.sleep(0.05)


class Services:
    """The kernel host and the task workers, each its own process with its own log in WORK."""

    def __init__(self, workers: int, interval: float):
        self.workers, self.interval = workers, interval
        self.processes: list[tuple[str, subprocess.Popen]] = []
        self.logs = []

    def _start(self, name: str, argv: list[str]) -> None:
        log = open(WORK / f"{name}.log", "wb")  # noqa: SIM115  closed in stop()
        self.logs.append(log)
        process = subprocess.Popen(
            [sys.executable, *argv], cwd=ROOT, env=CHILD_ENV, stdout=log, stderr=subprocess.STDOUT
        )
        self.processes.append((name, process))

    def start(self) -> None:
        (WORK / "datasets").mkdir(exist_ok=True)
        self._start("runner", ["-m", "runner", "serve", "--socket", SOCKET])
        for number in range(self.workers):
            worker_id = f"bench-{os.getpid()}-{number}"
            self._start(f"worker{number}", ["manage.py", "db_worker", "--interval", f"{self.interval:g}", "--no-reload",
                                            "--worker-id", worker_id])  # fmt: skip

    def check_alive(self) -> None:
        for name, process in self.processes:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited ({process.returncode}): {self.log_tail(name)}")

    def log_tail(self, name: str, size: int = 1500) -> str:
        with contextlib.suppress(OSError):
            return (WORK / f"{name}.log").read_text(errors="replace")[-size:]
        return ""

    def stop(self) -> None:
        """The workers first (SIGTERM lets each finish its task, which needs the runner), then the runner."""
        workers = [process for name, process in self.processes if name != "runner"]
        runner = [process for name, process in self.processes if name == "runner"]
        for group in (workers, runner):
            for process in group:
                if process.poll() is None:
                    process.terminate()
            for process in group:
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=10)
        for log in self.logs:
            log.close()
        remove_cgroups(CGROUP_NAME)


def remove_cgroups(name: str) -> None:
    """Kernel cgroups the runner left behind if it was killed (it removes them itself on a clean stop)."""
    root = Path("/sys/fs/cgroup")
    parents = (
        [root / name] if (root / "cgroup.controllers").exists() else [root / "memory" / name, root / "pids" / name]
    )
    for parent in parents:
        if not parent.is_dir():
            continue
        for child in sorted(parent.iterdir(), reverse=True):
            if child.is_dir():
                with contextlib.suppress(OSError):
                    child.rmdir()
        with contextlib.suppress(OSError):
            parent.rmdir()


def runner_client() -> RunnerClient:
    return RunnerClient(base_url="http://runner", secret=settings.PANLEARN_RUNNER_SECRET, socket_path=SOCKET)


def wait_pool_quiet(client: RunnerClient, timeout: float = 60.0) -> bool:
    """The runner's pool full and nothing starting, so each sample starts from the same state."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            metrics = client.metrics()
            if metrics.get("pool_idle", 0) >= metrics.get("pool_target", 0) and not metrics.get("kernels_starting"):
                return True
        time.sleep(0.05)
    return False


class Poller:
    """Which rows are settled: graded or failed (the row's status), or given up on because the grading task
    itself raised since `since` (django-tasks-db marks it FAILED and nothing queues the row again)."""

    def __init__(self, since):
        self.since = since
        self.seen: dict[int, tuple[float, str]] = {}  # pk -> (perf_counter when seen, status)
        self.failures: dict[int, str] = {}  # pk -> the task's exception, last line
        self._checked = 0.0

    def poll(self, pks) -> None:
        waiting = [pk for pk in pks if pk not in self.seen]
        if not waiting:
            return
        for pk, status in Submission.objects.filter(pk__in=waiting, status__in=DONE).values_list("pk", "status"):
            self.seen[pk] = (time.perf_counter(), status)
        if time.perf_counter() - self._checked > 0.25:
            self._checked = time.perf_counter()
            failed = DBTaskResult.objects.failed().filter(task_path=GRADE_TASK, enqueued_at__gte=self.since)
            for args_kwargs, text in failed.values_list("args_kwargs", "traceback"):
                pk = int((args_kwargs.get("args") or [0])[0])
                if pk in waiting and pk not in self.seen:
                    self.seen[pk] = (time.perf_counter(), TASK_FAILED)
                    self.failures[pk] = (text.strip().splitlines() or ["?"])[-1][:200]

    def wait(self, pks: list[int], *, every: float, deadline: float) -> dict[int, tuple[float, str]]:
        while True:
            self.poll(pks)
            if all(pk in self.seen for pk in pks) or time.perf_counter() > deadline:
                return self.seen
            time.sleep(every)

    def failure_counts(self) -> dict[str, int]:
        return dict(Counter(self.failures.values()))


# -- fixtures -------------------------------------------------------------------------------------------


def small_exercise() -> Exercise:
    exercise = Exercise.objects.create(
        title="Bench: kinetic energy",
        prompt="Write kinetic_energy(mass, speed).",
        starter_code="def kinetic_energy(mass, speed):\n    ...\n",
        solution_code=SMALL_SOLUTION,
    )
    for order, (name, source) in enumerate(SMALL_TESTS):
        ExerciseTest.objects.create(
            exercise=exercise, name=name, source=source, points=1, hidden=order >= 3, sort_order=order
        )
    return exercise


def make_users(usernames: list[str]) -> list[User]:
    User.objects.bulk_create([User(username=name, password="!") for name in usernames])
    by_name = User.objects.in_bulk(usernames, field_name="username")
    return [by_name[name] for name in usernames]


def student_answers(index: int, stub: dict[str, str]) -> dict[str, str]:
    """Deterministic answers of student `index`: every combination of the variants, and student 5 raises."""
    momentum = [MT_RIGHT, MT_WRONG, MT_PUBLIC_ONLY, STUB][index % 4]
    spacing = [DS_RIGHT, DS_NO_CHECK, DS_WRONG, STUB][(index // 4) % 4]
    if index == 5:
        momentum = MT_RAISES
    return {
        "momentum_transfer": momentum if momentum is not None else stub["momentum_transfer"],
        "d_spacing": spacing if spacing is not None else stub["d_spacing"],
    }


# -- nbgrader ------------------------------------------------------------------------------------------


def ensure_nbgrader_venv() -> float:
    """Create var/bench/nbgrader-venv from bench/requirements-nbgrader.txt unless it is already that; seconds."""
    started = time.perf_counter()
    stamp = NBGRADER_VENV / ".bench-requirements"
    wanted = NBGRADER_REQUIREMENTS.read_text()
    python = NBGRADER_VENV / "bin" / "python"
    if python.exists() and stamp.exists() and stamp.read_text() == wanted:
        return 0.0
    say(f"installing nbgrader into {NBGRADER_VENV.relative_to(ROOT)} (once)")
    if not python.exists():
        NBGRADER_VENV.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(NBGRADER_VENV)], check=True, timeout=300)
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "-r", str(NBGRADER_REQUIREMENTS)],
        check=True,
        timeout=900,
        stdout=subprocess.DEVNULL,
    )
    stamp.write_text(wanted)
    return time.perf_counter() - started


class NbgraderCourse:
    """A course directory for nbgrader, and an environment that keeps it off the machine's Jupyter set-up."""

    def __init__(self, base: Path):
        self.base, self.root = base, base / "course"
        for folder in ("home", "jupyter-path/kernels/python3", "jupyter-config", "jupyter-data", "runtime", "ipython"):
            (base / folder).mkdir(parents=True, exist_ok=True)
        (self.root / "source" / ASSIGNMENT).mkdir(parents=True)
        argv = [str(NBGRADER_VENV / "bin" / "python"), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
        kernel = {"argv": argv, "display_name": "Python 3 (nbgrader bench)", "language": "python"}
        (base / "jupyter-path/kernels/python3/kernel.json").write_text(json.dumps(kernel))
        (self.root / "nbgrader_config.py").write_text(
            f'c = get_config()\nc.CourseDirectory.course_id = "bench"\nc.CourseDirectory.root = {str(self.root)!r}\n'
        )
        keep = {key: os.environ[key] for key in ("LANG", "LC_ALL", "TZ", "TMPDIR") if key in os.environ}
        self.env = {
            **keep,
            # nbgrader runs `alembic` from PATH, so the venv's bin comes first.
            "PATH": os.pathsep.join([str(NBGRADER_VENV / "bin"), "/usr/local/bin", "/usr/bin", "/bin"]),
            "HOME": str(base / "home"),
            "JUPYTER_PATH": str(base / "jupyter-path"),  # searched first: our python3 kernelspec wins
            "JUPYTER_CONFIG_DIR": str(base / "jupyter-config"),
            "JUPYTER_DATA_DIR": str(base / "jupyter-data"),
            "JUPYTER_RUNTIME_DIR": str(base / "runtime"),
            "IPYTHONDIR": str(base / "ipython"),
            "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        }

    def run(self, *args: str, timeout: float = 900) -> float:
        """Run `nbgrader ARGS` in the course directory; wall seconds. Its kernels are in its session: on a
        timeout the whole session is killed."""
        name = args[0]
        started = time.perf_counter()
        with open(self.base / f"{name}.log", "wb") as log:
            process = subprocess.Popen(
                [str(NBGRADER_VENV / "bin" / "nbgrader"), *args],
                cwd=self.root,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                raise RuntimeError(f"nbgrader {name} took longer than {timeout:g} s") from None
        elapsed = time.perf_counter() - started
        if process.returncode != 0:
            tail = (self.base / f"{name}.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"nbgrader {name} exited {process.returncode}:\n{tail}")
        return elapsed

    def gradebook(self) -> dict:
        result = subprocess.run(
            [
                str(NBGRADER_VENV / "bin" / "python"),
                "-c",
                GRADEBOOK_SCRIPT,
                f"sqlite:///{self.root / 'gradebook.db'}",
                ASSIGNMENT,
            ],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return json.loads(result.stdout.strip().splitlines()[-1])


# -- phases ----------------------------------------------------------------------------------------------


class Bench:
    def __init__(self, args, services: Services, cpu: CpuAccount):
        self.args, self.services, self.cpu = args, services, cpu
        self.results: dict = {}
        self.details: dict = {}
        self.baselines: dict = {}
        self.load: dict = {}
        self.errors: list[str] = []
        self.client = runner_client()
        self.exercise: Exercise | None = None

    def phase(self, name: str, body) -> None:
        say(f"\n== {name}")
        before = self.cpu.snapshot()
        started = time.perf_counter()
        try:
            body()
        except Exception:
            self.errors.append(f"{name}: {traceback.format_exc(limit=4)}")
            say(f"  ERROR in {name}:\n{traceback.format_exc(limit=4)}")
            with contextlib.suppress(Exception):
                self.services.check_alive()
        finally:
            busy = self.cpu.others_since(before)
            self.load[name] = busy
            flag = "  (FLAG: the machine was not idle)" if busy is not None and busy > 0.2 else ""
            say(f"  {name}: {time.perf_counter() - started:.1f} s; other processes kept {busy} CPUs busy{flag}")

    # -- one submission at a time

    def single(self) -> None:
        exercise = small_exercise()
        report = exercise_validate(exercise)  # two real grading runs: the runner grades, and the tests are right
        if not report.get("ok"):
            raise RuntimeError(f"the small exercise does not validate: {report.get('message')}")
        self.exercise = exercise
        user = make_users(["single"])[0]
        tests = runner_tests(exercise, SubmissionKind.SUBMIT)
        pipeline, direct, queued, grading, noticed = [], [], [], [], []
        poller = Poller(timezone.now())
        jitter = random.Random(7)
        samples = 20 if self.args.quick else 60
        for sample in range(samples + 1):  # the first of each is a warm-up, discarded
            code = f"{SMALL_SOLUTION}# attempt {sample}\n"
            wait_pool_quiet(self.client)
            # A student submits at a moment unrelated to the workers' polling: without this the loop's own
            # period would fix the phase between submit and poll, and every sample would wait alike.
            time.sleep(jitter.uniform(0, self.args.worker_interval))
            started = time.perf_counter()
            submission = submission_create(user=user, exercise=exercise, code=code, kind=SubmissionKind.SUBMIT)
            seen = poller.wait([submission.pk], every=0.005, deadline=started + 60)
            if submission.pk not in seen:
                self.services.check_alive()
                raise RuntimeError(f"submission {submission.pk} was not graded within 60 s")
            seen_at, status = seen[submission.pk]
            seen_wall = time.time()
            row = Submission.objects.get(pk=submission.pk)
            if status == TASK_FAILED:
                continue  # counted below as lost
            if status != SubmissionStatus.GRADED or row.points != row.possible:
                raise RuntimeError(f"submission {row.pk}: {status}, {row.points}/{row.possible} {row.message}")

            wait_pool_quiet(self.client)
            direct_started = time.perf_counter()
            result = self.client.grade(code=code, tests=tests, datasets=[])
            direct_elapsed = time.perf_counter() - direct_started
            if sum(1 for test in result.get("tests", []) if test.get("status") == "passed") != len(tests):
                raise RuntimeError(f"direct grade did not pass every test: {result}")
            if sample == 0:
                continue
            pipeline.append(ms(seen_at - started))
            direct.append(ms(direct_elapsed))
            queued.append(ms((row.grading_started_at - row.submitted_at).total_seconds()))
            grading.append(ms((row.graded_at - row.grading_started_at).total_seconds()))
            noticed.append(ms(seen_wall - row.graded_at.timestamp()))
        self.results["submit_to_feedback_p50_ms"] = round(percentile(pipeline, 50), 1)
        self.results["submit_to_feedback_p95_ms"] = round(percentile(pipeline, 95), 1)
        self.baselines["direct_grade_p50_ms"] = round(percentile(direct, 50), 1)
        self.baselines["direct_grade_p95_ms"] = round(percentile(direct, 95), 1)
        self.details["single"] = {
            "submit_to_feedback_ms": summary(pipeline),
            "direct_grade_ms": summary(direct),
            "queued_ms": summary(queued),
            "grading_ms": summary(grading),
            "graded_to_seen_ms": summary(noticed),
            "lost": len(poller.failures),
            "task_failures": poller.failure_counts(),
        }
        say(
            f"  submit -> graded  p50 {percentile(pipeline, 50):.0f} ms, p95 {percentile(pipeline, 95):.0f} ms "
            f"({len(pipeline)} samples, {len(poller.failures)} lost)"
        )
        say(f"  runner alone      p50 {percentile(direct, 50):.0f} ms, p95 {percentile(direct, 95):.0f} ms")
        say(
            f"  of which queued (commit -> worker claims) p50 {percentile(queued, 50):.0f} ms, "
            f"grading in the worker p50 {percentile(grading, 50):.0f} ms"
        )
        self.report_failures(poller)

    @staticmethod
    def say_breakdown(where: dict) -> None:
        queued, task, grading = (where[key].get("p50") for key in ("queued_ms", "task_ms", "grading_ms"))
        say(f"  per submission, p50: queued {queued} ms, task {task} ms, of which claim -> stored {grading} ms")

    def report_failures(self, poller: Poller) -> None:
        for message, count in poller.failure_counts().items():
            say(f"  LOST {count} submission(s): the grading task raised {message}")

    # -- the runner alone, saturated, then the burst

    def runner_throughput(self) -> None:
        exercise = self.exercise
        tests = runner_tests(exercise, SubmissionKind.SUBMIT)
        jobs = 30 if self.args.quick else 100
        counter = iter(range(jobs))
        wait_pool_quiet(self.client)

        def worker() -> int:
            done = 0
            with runner_client() as client:
                for number in counter:  # shared iterator: each job is taken once
                    result = client.grade(code=f"{SMALL_SOLUTION}# direct {number}\n", tests=tests, datasets=[])
                    done += all(test.get("status") == "passed" for test in result.get("tests", []))
            return done

        started = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(self.args.workers) as pool:
            passed = sum(pool.map(lambda _: worker(), range(self.args.workers)))
        elapsed = time.perf_counter() - started
        rate = jobs / elapsed
        self.baselines["runner_jobs_per_s_per_core"] = round(rate / os.cpu_count(), 3)
        self.details["runner_alone"] = {
            "jobs": jobs,
            "passed": passed,
            "seconds": round(elapsed, 2),
            "threads": self.args.workers,
            "jobs_per_s": round(rate, 2),
        }
        say(
            f"  runner alone: {jobs} grades by {self.args.workers} threads in {elapsed:.1f} s = {rate:.2f}/s "
            f"({rate / os.cpu_count():.2f}/s per core)"
        )

    def burst(self) -> None:
        exercise = self.exercise
        users = make_users([f"burst{index:03d}" for index in range(BURST_SIZE)])
        wait_pool_quiet(self.client)
        poller = Poller(timezone.now())
        started = time.perf_counter()
        schedule = [started + index * BURST_SPREAD_S / BURST_SIZE for index in range(BURST_SIZE)]
        submitted: dict[int, float] = {}
        last_submit_end = queued_at_last_submit = None
        index = 0
        while time.perf_counter() < started + BURST_DEADLINE_S:
            while index < BURST_SIZE and schedule[index] <= time.perf_counter():
                at = time.perf_counter()
                code = f"{SMALL_SOLUTION}# burst {index}\n"
                row = submission_create(user=users[index], exercise=exercise, code=code, kind=SubmissionKind.SUBMIT)
                submitted[row.pk] = at
                index += 1
                if index == BURST_SIZE:
                    last_submit_end = time.perf_counter()
                    queued_at_last_submit = Submission.objects.filter(
                        pk__in=list(submitted), status=SubmissionStatus.QUEUED
                    ).count()
            poller.poll(list(submitted))
            if index == BURST_SIZE and len(poller.seen) == BURST_SIZE:
                break
            time.sleep(0.02 if index == BURST_SIZE else max(0.0, min(0.02, schedule[index] - time.perf_counter())))
        seen = poller.seen
        graded = {pk: at for pk, (at, status) in seen.items() if status == SubmissionStatus.GRADED}
        failed = sum(1 for _, status in seen.values() if status == SubmissionStatus.FAILED)
        latencies = [ms(at - submitted[pk]) for pk, at in graded.items()]
        first = min(submitted.values())
        span = max(graded.values()) - first if graded else None
        rate = len(graded) / span if span else 0.0
        self.results["burst200_graded"] = len(graded)
        self.results["burst200_lost"] = BURST_SIZE - len(graded)
        self.results["burst200_p95_ms"] = round(percentile(latencies, 95), 1) if latencies else None
        self.results["jobs_per_s_per_core"] = round(rate / os.cpu_count(), 3)
        outcomes = Submission.objects.filter(pk__in=list(graded)).values_list("points", "possible")
        wrong = sum(1 for points, possible in outcomes if points != possible)
        where = time_breakdown(list(graded), poller.since)
        self.details["burst"] = {
            "submitted": len(submitted),
            "submit_span_s": round((last_submit_end or time.perf_counter()) - first, 2),
            "failed_rows": failed,
            "lost_task_raised": len(poller.failures),
            "lost_still_waiting_at_deadline": BURST_SIZE - len(seen),
            "task_failures": poller.failure_counts(),
            "not_full_marks": wrong,
            "queued_when_last_arrived": queued_at_last_submit,
            "burst_saturated": bool(queued_at_last_submit),
            "first_submit_to_last_graded_s": round(span, 2) if span else None,
            "jobs_per_s": round(rate, 2),
            "latency_ms": summary(latencies),
            "deadline_s": BURST_DEADLINE_S,
            **where,
        }
        say(
            f"  {len(submitted)} submitted over {self.details['burst']['submit_span_s']} s; {len(graded)} graded, "
            f"{BURST_SIZE - len(graded)} lost; p95 {percentile(latencies, 95) or 0:.0f} ms, "
            f"max {max(latencies, default=0):.0f} ms"
        )
        say(
            f"  throughput {rate:.2f} graded/s over {span or 0:.1f} s = {rate / os.cpu_count():.2f}/s per core; "
            f"{queued_at_last_submit} still queued when the last one arrived"
        )
        self.say_breakdown(where)
        self.report_failures(poller)
        if wrong:
            self.errors.append(f"burst: {wrong} graded submissions of the right answer did not get full marks")

    # -- regrading nbgrader notebooks, against nbgrader autograde

    def regrade(self) -> None:
        count = 20 if self.args.quick else 60
        source = SOURCE_NOTEBOOK.read_bytes()
        handed_out = nbformat.reads(export_student_notebook(source).decode(), as_version=4)
        stub = {
            cell.metadata.nbgrader["grade_id"]: cell.source
            for cell in handed_out.cells
            if cell.metadata.get("nbgrader", {}).get("solution") and cell.cell_type == "code"
        }
        students = [f"student{number:02d}" for number in range(1, count + 1)]
        answers = {}
        for index, student in enumerate(students):
            answers[student] = {
                grade_id: f"{code}\n# {student}" for grade_id, code in student_answers(index, stub).items()
            }

        course = NbgraderCourse(WORK / "nbgrader")
        notebook_name = SOURCE_NOTEBOOK.name
        (course.root / "source" / ASSIGNMENT / notebook_name).write_bytes(source)
        for student in students:
            notebook = nbformat.reads(nbformat.writes(handed_out), as_version=4)
            for cell in notebook.cells:
                grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
                if grade_id in answers[student]:
                    cell.source = answers[student][grade_id]
            folder = course.root / "submitted" / student / ASSIGNMENT
            folder.mkdir(parents=True)
            nbformat.write(notebook, folder / notebook_name)

        generate_s = course.run("generate_assignment", ASSIGNMENT, "--force")
        autograde_s = course.run("autograde", ASSIGNMENT, "--force")
        nbgrader_scores = course.gradebook()
        say(f"  nbgrader: generate_assignment {generate_s:.1f} s, autograde of {count} notebooks {autograde_s:.1f} s")

        import_started = time.perf_counter()
        assignment, exercises = exercises_from_notebook(source)
        import_s = time.perf_counter() - import_started
        code_exercises = [exercise for exercise in exercises if exercise.kind == "code"]  # free responses follow
        by_grade_id = {spec.grade_id: ex for spec, ex in zip(assignment.exercises, code_exercises, strict=True)}
        cells_of = {  # a test cell with hidden lines makes two tests: count its nbgrader grade once
            spec.grade_id: list(dict.fromkeys(test.grade_id for test in spec.public_tests + spec.hidden_tests))
            for spec in assignment.exercises
        }
        users = dict(zip(students, make_users(students), strict=True))

        wait_pool_quiet(self.client)
        first_poller = Poller(timezone.now())
        started = time.perf_counter()
        rows = [
            submission_create(
                user=users[student], exercise=exercise, code=answers[student][grade_id], kind=SubmissionKind.SUBMIT
            ).pk
            for student in students
            for grade_id, exercise in by_grade_id.items()
        ]
        first_poller.wait(rows, every=0.02, deadline=started + 600)
        first_s = time.perf_counter() - started
        self.report_failures(first_poller)
        rescued = 0
        if first_poller.failures:  # the product's own recovery (`manage.py exercises requeue`), without the wait
            rescued = requeue_stale(now=timezone.now() + STALE_AFTER + datetime.timedelta(seconds=1))
            Poller(timezone.now() - datetime.timedelta(seconds=1)).wait(
                rows, every=0.02, deadline=time.perf_counter() + 300
            )
        not_graded = Submission.objects.filter(pk__in=rows).exclude(status=SubmissionStatus.GRADED).count()
        if not_graded:
            raise RuntimeError(f"first grading: {not_graded} of {len(rows)} submissions not graded")

        wait_pool_quiet(self.client)
        poller = Poller(timezone.now())
        started = time.perf_counter()
        with transaction.atomic():
            queued = sum(regrade_exercise(exercise) for exercise in exercises)
        again = poller.wait(rows, every=0.02, deadline=started + 600)
        regrade_s = time.perf_counter() - started
        self.report_failures(poller)
        lost = len(rows) - sum(1 for _, status in again.values() if status == SubmissionStatus.GRADED)
        where = time_breakdown(rows, poller.since)
        self.say_breakdown(where)
        failed = sum(1 for _, status in again.values() if status == SubmissionStatus.FAILED)

        mismatches = compare_scores(rows, students, users, by_grade_id, cells_of, nbgrader_scores)
        changed = Submission.objects.filter(pk__in=rows).exclude(points=F("previous_points")).count()
        self.results["regrade_speedup_vs_nbgrader"] = round(autograde_s / regrade_s, 2)
        self.results["regrade_scores_identical"] = not mismatches and len(nbgrader_scores) == count
        self.baselines["nbgrader_autograde_s"] = round(autograde_s, 2)
        distribution: dict[str, int] = {}
        for student in students:
            key = str(nbgrader_scores.get(student, {}).get("score"))
            distribution[key] = distribution.get(key, 0) + 1
        self.details["regrade"] = {
            "students": count,
            "exercises": len(exercises),
            "submissions": len(rows),
            "panlearn_import_s": round(import_s, 3),
            "panlearn_first_grading_s": round(first_s, 2),
            "panlearn_regrade_s": round(regrade_s, 2),
            # every row queued at once: a saturated run, unlike the burst (which arrives at 20/s)
            "panlearn_regrade_jobs_per_s_per_core": round((len(rows) - lost) / regrade_s / os.cpu_count(), 2),
            "panlearn_regrade_queued": queued,
            "panlearn_regrade_lost": lost,
            "panlearn_regrade_failed_rows": failed,
            "panlearn_first_grading_lost_then_requeued": rescued,
            "task_failures_first_grading": first_poller.failure_counts(),
            "task_failures_regrade": poller.failure_counts(),
            "panlearn_points_changed_by_regrade": changed,
            "nbgrader_generate_assignment_s": round(generate_s, 2),
            "nbgrader_autograde_s": round(autograde_s, 2),
            "nbgrader_total_score_distribution": distribution,
            "regrade_breakdown": where,
            "mismatches": mismatches,
        }
        say(
            f"  panlearn: import {import_s * 1000:.0f} ms, first grading of {len(rows)} submissions {first_s:.1f} s, "
            f"regrade {regrade_s:.1f} s ({lost} lost, {changed} changed points)"
        )
        say(
            f"  nbgrader autograde / panlearn regrade = {autograde_s / regrade_s:.2f}; scores identical: "
            f"{self.results['regrade_scores_identical']} (nbgrader's totals: {distribution})"
        )
        for mismatch in mismatches:
            say(f"  MISMATCH {mismatch}")


def time_breakdown(pks: list[int], since) -> dict:
    """Where a graded submission's time went, from its task's and its row's timestamps (milliseconds): queued
    (task enqueued -> started by a worker), task (started -> finished, as django-tasks-db records it), grading
    (the row claimed -> its result stored, inside the task)."""
    wanted = set(pks)
    grading = {
        pk: (start, end)
        for pk, start, end in Submission.objects.filter(pk__in=pks).values_list("pk", "grading_started_at", "graded_at")
    }
    queued, task, graded = [], [], []
    tasks = DBTaskResult.objects.successful().filter(task_path=GRADE_TASK, enqueued_at__gte=since)
    for args_kwargs, enqueued, started, finished in tasks.values_list(
        "args_kwargs", "enqueued_at", "started_at", "finished_at"
    ):
        if int((args_kwargs.get("args") or [0])[0]) in wanted and started and finished:
            queued.append(ms((started - enqueued).total_seconds()))
            task.append(ms((finished - started).total_seconds()))
    for start, end in grading.values():
        if start and end:
            graded.append(ms((end - start).total_seconds()))
    return {"queued_ms": summary(queued), "task_ms": summary(task), "grading_ms": summary(graded)}


def compare_scores(rows, students, users, by_grade_id, cells_of, nbgrader_scores) -> list[dict]:
    """Students whose panlearn total differs from nbgrader's, or who have a row that was not graded again."""
    points = {
        (user_id, exercise_id): (value, status)
        for user_id, exercise_id, value, status in Submission.objects.filter(pk__in=rows).values_list(
            "user_id", "exercise_id", "points", "status"
        )
    }
    mismatches = []
    for student in students:
        theirs = nbgrader_scores.get(student) or {}
        ours = {
            grade_id: points.get((users[student].pk, exercise.pk), (None, None))
            for grade_id, exercise in by_grade_id.items()
        }
        total = sum((value or Decimal(0) for value, _ in ours.values()), Decimal(0))
        not_graded = [grade_id for grade_id, (_, status) in ours.items() if status != SubmissionStatus.GRADED]
        if not not_graded and "score" in theirs and Decimal(str(theirs["score"])).quantize(Decimal("0.01")) == total:
            continue
        per_exercise = {
            grade_id: {
                "panlearn": None if value is None else float(value),
                "panlearn_status": status,
                "nbgrader": sum(theirs.get("cells", {}).get(cell) or 0 for cell in cells_of[grade_id]),
            }
            for grade_id, (value, status) in ours.items()
        }
        mismatches.append(
            {
                "student": student,
                "panlearn": float(total),
                "nbgrader": theirs.get("score"),
                "not_graded_again": not_graded,
                "exercises": per_exercise,
            }
        )
    return mismatches


# -- report ------------------------------------------------------------------------------------------------


def machine_facts() -> dict:
    def git(*args: str) -> str:
        with contextlib.suppress(Exception):
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10).stdout.strip()
        return ""

    model = ""
    with contextlib.suppress(OSError):
        model = next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            "",
        )
    dirty = git("status", "--porcelain", "--", "runner", "exercises")
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "cpu_count": os.cpu_count(),
        "cpu_model": model,
        "loadavg_at_start": [round(value, 2) for value in os.getloadavg()],
        "python": platform.python_version(),
        "os": platform.platform(),
        "git_commit": git("rev-parse", "--short", "HEAD"),
        "uncommitted_in_runner_or_exercises": len(dirty.splitlines()),
    }


def verdict(name: str, value) -> str:
    comparison, limit = TARGETS[name]
    if value is None:
        return "NOT MEASURED"
    ok = {"<=": value <= limit, ">=": value >= limit, "==": value == limit}[comparison]
    return "ok" if ok else "MISSES"


def print_table(results: dict, baselines: dict) -> None:
    say("\n== figures")
    rows = [
        ("submit_to_feedback_p50_ms", "direct_grade_p50_ms"),
        ("submit_to_feedback_p95_ms", "direct_grade_p95_ms"),
        ("burst200_graded", None),
        ("burst200_lost", None),
        ("burst200_p95_ms", None),
        ("jobs_per_s_per_core", "runner_jobs_per_s_per_core"),
        ("regrade_speedup_vs_nbgrader", "nbgrader_autograde_s"),
        ("regrade_scores_identical", None),
    ]
    for name, baseline_name in rows:
        value = results.get(name)
        line = f"  {name:<28} {value!s:>9}"
        if name in TARGETS:
            comparison, limit = TARGETS[name]
            line += f"   target {comparison} {limit!s:<6} {verdict(name, value):<12}"
        else:
            line += " " * 34
        baseline = baselines.get(baseline_name) if baseline_name else None
        if name == "regrade_speedup_vs_nbgrader" and baseline is not None:
            line += f" (nbgrader autograde {baseline} s / panlearn regrade)"
        elif baseline is not None and isinstance(value, int | float) and baseline:
            line += f" baseline {baseline_name} {baseline} -> ratio {value / baseline:.2f}"
        say(line)


def stop_on_sigterm(signum, frame) -> None:
    raise KeyboardInterrupt  # so that the finally blocks stop everything this run started


def main() -> int:
    args = ARGS
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    started = time.perf_counter()
    facts = machine_facts()
    say(
        f"panlearn grading benchmark ({'quick' if args.quick else 'full'}), {facts['date']}, {facts['cpu_count']} CPUs "
        f"({facts['cpu_model']}), load {facts['loadavg_at_start']}, commit {facts['git_commit']} "
        f"({facts['uncommitted_in_runner_or_exercises']} uncommitted files in runner/ and exercises/)"
    )
    cpu = CpuAccount()
    services = Services(args.workers, args.worker_interval)
    bench = None
    setup: dict = {}
    try:
        setup["nbgrader_venv_install_s"] = round(ensure_nbgrader_venv(), 1)
        step = time.perf_counter()
        call_command("migrate", verbosity=0)
        setup["migrate_s"] = round(time.perf_counter() - step, 1)
        services.start()
        bench = Bench(args, services, cpu)
        deadline = time.monotonic() + 120
        while not wait_pool_quiet(bench.client, timeout=2):
            services.check_alive()
            if time.monotonic() > deadline:
                raise RuntimeError(f"the runner's pool did not fill in 120 s: {services.log_tail('runner')}")
        metrics = bench.client.metrics()
        say(
            f"runner up (pool {metrics.get('pool_idle')}/{metrics.get('pool_target')}), {args.workers} db_worker "
            f"processes, --interval {args.worker_interval:g} s, SQLite options {args.sqlite} "
            f"{SQLITE_OPTIONS[args.sqlite]}; "
            f"set-up {time.perf_counter() - started:.0f} s"
        )
        bench.phase("one submission at a time", bench.single)
        bench.phase("regrade against nbgrader autograde", bench.regrade)
        if bench.exercise is not None:
            bench.phase("runner alone, saturated", bench.runner_throughput)
            bench.phase(f"burst of {BURST_SIZE} in {BURST_SPREAD_S:g} s", bench.burst)
    except KeyboardInterrupt:
        say("interrupted")
        if bench is not None:
            bench.errors.append("interrupted")
    except Exception:
        say(f"ERROR in set-up:\n{traceback.format_exc(limit=4)}")
        setup["error"] = traceback.format_exc(limit=4)
    finally:
        if bench is not None:
            bench.client.close()
        services.stop()
        cpu.close()
        if (bench is None or bench.errors) and WORK.exists():  # keep the logs of a run that went wrong
            kept = ROOT / "var" / "bench" / "grading-logs"
            shutil.rmtree(kept, ignore_errors=True)
            shutil.copytree(WORK, kept, ignore=shutil.ignore_patterns("*.sqlite3", "*.sock", "var", "datasets"))
            say(f"logs kept in {kept.relative_to(ROOT)}")
        shutil.rmtree(WORK, ignore_errors=True)

    results = bench.results if bench else {}
    baselines = bench.baselines if bench else {}
    print_table(results, baselines)
    errors = (bench.errors if bench else []) + ([setup["error"]] if "error" in setup else [])
    for error in errors:
        say(f"  ERROR {error.strip().splitlines()[-1]}")
    duration = time.perf_counter() - started
    say(f"  total {duration:.0f} s")
    report = {
        **{name: results.get(name) for name in HEADLINE},
        "targets": {name: f"{comparison} {limit}" for name, (comparison, limit) in TARGETS.items()},
        "baselines": baselines,
        "workers": args.workers,
        "worker_interval_s": args.worker_interval,
        "sqlite": args.sqlite,
        "quick": args.quick,
        "machine": facts,
        "setup": {key: value for key, value in setup.items() if key != "error"},
        "other_processes_cpus_busy": bench.load if bench else {},
        "details": bench.details if bench else {},
        "errors": errors,
        "duration_s": round(duration, 1),
    }
    if args.json:
        print(json.dumps(report, default=str), flush=True)
    return 1 if any(results.get(name) is None for name in HEADLINE) else 0


if __name__ == "__main__":
    sys.exit(main())
