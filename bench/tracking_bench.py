"""Benchmark of learning records: outbox delivery, the built-in store's ingest, and what tracking adds to grading.

    .venv/bin/python bench/tracking_bench.py --quick --json

Set-up, all in a temporary directory: the loopback fake LRS of the tests (tests/tracking/fake_lrs.py, real
HTTP on 127.0.0.1) in its own process, as an LRS would be; then the measurements in a child process per
database, each on a throwaway database it migrates: SQLite (a file), then PostgreSQL (a database created on
postgres://postgres@127.0.0.1:5432 and dropped at the end). Task backend: django-tasks-db, as in production.

- outbox_drain_stmts_per_s: statements of 100 actors written to the outbox (`statements_record`, one
  external LRS as the only target), then `delivery.deliver_target` drains them in batches of
  PANLEARN_TRACKING_BATCH_SIZE (claim under a lease, POST, mark delivered) to the fake LRS. Baseline,
  alternated with it round by round: a raw httpx POST loop of the same number of statements in the same
  batches to the same server (no database). Target >= 2000.
- store_ingest_stmts_per_s_sqlite / _postgres: batches of 100 statements POSTed to `/xapi/statements`
  through Django (the test client: URL routing, middleware, basic auth, validation with our pydantic
  models, completion, the conflict check, the insert). Baseline, alternated batch by batch: a bare
  `StoredStatement.objects.bulk_create` of 100 prepared rows in a transaction.
- grading_overhead_ms: `exercises.submissions.submission_create` of a quiz exercise (graded at once, in the
  same transaction) with tracking's interface as it is (answered for the quiz and for each of its three
  questions, scored, passed/failed: six statements in one batch: outbox rows, a delivery row each for the
  built-in store, one delivery run queued in the transaction) against the same call with
  `exercises.submissions.tracking` replaced by no-ops; alternated, many samples. The figure is the median
  of the paired differences. Target <= 2 ms.
- conformance_103_passed/total and conformance_200_passed/total: the ADL LRS conformance suite for xAPI 1.0.3
  and 2.0.0 against the built-in store (bench/lrs_conformance.py), from the summary of its JSON log, when
  --conformance DIR (or PANLEARN_LRS_CONFORMANCE_SUITE) names a copy of the suite with its npm install done
  (scripts/lrs_conformance.sh makes one in var/lrs-conformance): without a copy these are null, with a note.
- store_query_1m_p95_ms, with --store-query: bench/store_query_bench.py --quick (PostgreSQL, 1 million
  statements seeded in SQL; how, in its docstring): the p95 of filtered GETs, and its ratio to the GET
  without a filter.

With --json the LAST line is one JSON object. Everything started is stopped at exit (the LRS process, the
child processes, the PostgreSQL database, the temporary directory).
"""

import argparse
import contextlib
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import lrs_conformance

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PG_SERVER = "postgres://postgres@127.0.0.1:5432"
TARGETS = {"outbox_drain_stmts_per_s": (">=", 2000.0), "grading_overhead_ms": ("<=", 2.0)}
CONFORMANCE_NOTE = (
    "not run: the ADL lrs-conformance-test-suite is not published on the npm registry; give a copy of it with "
    "--conformance DIR (see docs/performance.md, 'Conformance of the built-in store')"
)
BENCH_SETTINGS = """
from panlearn.settings.test import *  # noqa: F403
# Production's task backend (the test settings run tasks at once, which would time delivery inside a submit),
# and no static-file re-scan per request (a development convenience production does not have).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
WHITENOISE_AUTOREFRESH = False
"""
LRS_USER, LRS_PASSWORD = "lrs-user", "lrs-pass"


def say(line: str) -> None:
    print(line, flush=True)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def series(values: list[float], scale: float = 1000.0) -> dict:
    return {
        "n": len(values),
        "p50": round(statistics.median(values) * scale, 3),
        "p95": round(percentile(values, 95) * scale, 3),
        "min": round(min(values) * scale, 3),
        "max": round(max(values) * scale, 3),
    }


# The loopback LRS, in a process of its own -------------------------------------------------------------------


def serve_lrs() -> int:
    from tests.tracking.fake_lrs import FakeLrs

    with FakeLrs(username=LRS_USER, password=LRS_PASSWORD) as fake:
        print(fake.url, flush=True)
        sys.stdin.read()  # until the parent closes our stdin (or exits)
    return 0


# Statements -------------------------------------------------------------------------------------------------


def make_statements(prefix: str, count: int, *, actors: int = 100) -> list:
    """Realistic statements (progress, cell runs, answers), `actors` students taking turns."""
    from tracking.xapi import builders
    from tracking.xapi import vocabulary as v
    from tracking.xapi.models import Account, Agent

    site = "https://learn.example.org"
    course = builders.activity(iri=f"{site}/xapi/activities/course/3", kind=v.COURSE, name="Neutron diffraction",
                               language="en-GB")  # fmt: skip
    lesson = builders.activity(iri=f"{site}/xapi/activities/lesson/4", kind=v.LESSON, name="Bragg's law",
                               language="en-GB")  # fmt: skip
    cell = builders.activity(iri=f"{site}/xapi/activities/lesson/4/cell/8e1f", kind=v.CODE_CELL,
                             name="Code cell in Bragg's law", language="en-GB")  # fmt: skip
    exercise = builders.activity(iri=f"{site}/xapi/activities/exercise/7", kind=v.INTERACTION,
                                 name="Lattice spacing", language="en-GB", interactionType="long-fill-in")  # fmt: skip
    when = datetime.datetime(2026, 11, 25, 9, 0, tzinfo=datetime.UTC)
    frames = [
        builders.Frame(
            actor=Agent(account=Account(homePage=site, name=uuid.uuid5(uuid.NAMESPACE_DNS, f"a{n}").hex)),
            timestamp=when,
            language="en-GB",
            registration=uuid.uuid5(uuid.NAMESPACE_DNS, f"r{n}"),
            course=course,
            lesson=lesson,
        )
        for n in range(actors)
    ]
    statements = []
    for number in range(count):
        frame, key = frames[number % actors], f"{prefix}:{number}"
        kind = number % 3
        if kind == 0:
            statements.append(builders.lesson_progressed(frame, progress=number % 101, event_key=key))
        elif kind == 1:
            statements.append(builders.cell_executed(frame, cell=cell, status="ok", duration_s=0.042, code=None,
                                                     event_key=key))  # fmt: skip
        else:
            statements.append(builders.exercise_answered(frame, exercise=exercise, response="d = l / (2 * sin(t))",
                                                         kind="submit", attempt=1, event_key=key))  # fmt: skip
    return statements


def chunks(values: list, size: int) -> list[list]:
    return [values[start : start + size] for start in range(0, len(values), size)]


# Phases (run in a child process with Django set up on one database) -----------------------------------------


def drain(lrs_url: str, *, rounds: int, per_round: int, tag: str) -> dict:
    import httpx
    from django.conf import settings
    from django.test.utils import override_settings

    from tracking import delivery
    from tracking.services import statements_record
    from tracking.targets import LrsTarget
    from tracking.xapi.vocabulary import XAPI_VERSION

    lrs = {"name": "bench-lrs", "endpoint": lrs_url, "username": LRS_USER, "password": LRS_PASSWORD}
    size = settings.PANLEARN_TRACKING_BATCH_SIZE
    drained, raw = [], []
    with override_settings(PANLEARN_TRACKING_LRS=[lrs], PANLEARN_TRACKING_STORE_ENABLED=False):
        for number in range(rounds):
            for chunk in chunks(make_statements(f"{tag}-drain-{number}", per_round), 500):
                statements_record(chunk)
            payloads = [s.as_json() for s in make_statements(f"{tag}-raw-{number}", per_round)]

            def run_drain() -> None:
                start = time.perf_counter()
                target = LrsTarget(**lrs)
                try:
                    report = delivery.deliver_target(target, max_seconds=600)
                finally:
                    target.close()
                drained.append(time.perf_counter() - start)
                if report.delivered != per_round:
                    raise RuntimeError(f"drain delivered {report.delivered} of {per_round}: {report.errors[:3]}")

            def run_raw(payloads: list[dict] = payloads) -> None:
                start = time.perf_counter()
                with httpx.Client(auth=httpx.BasicAuth(LRS_USER, LRS_PASSWORD),
                                  headers={"X-Experience-API-Version": XAPI_VERSION}) as client:  # fmt: skip
                    for batch in chunks(payloads, size):
                        response = client.post(lrs_url.rstrip("/") + "/statements", json=batch)
                        if response.status_code != 200:
                            raise RuntimeError(f"raw POST answered {response.status_code}")
                raw.append(time.perf_counter() - start)

            for run in (run_drain, run_raw) if number % 2 == 0 else (run_raw, run_drain):
                run()
    total = rounds * per_round
    return {
        "drain_stmts_per_s": round(total / sum(drained), 1),
        "raw_post_stmts_per_s": round(total / sum(raw), 1),
        "drain_round_s": series(drained, 1.0),
        "raw_round_s": series(raw, 1.0),
        "statements": total,
    }


def drain_builtin(*, count: int, tag: str) -> dict:
    """Delivery into the built-in store (in-process, no HTTP): extra information, no target."""
    from django.test.utils import override_settings

    from tracking import delivery
    from tracking.services import statements_record
    from tracking.targets import BuiltinTarget

    with override_settings(PANLEARN_TRACKING_LRS=[], PANLEARN_TRACKING_STORE_ENABLED=True):
        for chunk in chunks(make_statements(f"{tag}-builtin", count), 500):
            statements_record(chunk)
        start = time.perf_counter()
        report = delivery.deliver_target(BuiltinTarget(), max_seconds=600)
        elapsed = time.perf_counter() - start
    if report.delivered != count:
        raise RuntimeError(f"built-in drain delivered {report.delivered} of {count}")
    return {"drain_builtin_stmts_per_s": round(count / elapsed, 1)}


def ingest(*, batches: int, tag: str, size: int = 100) -> dict:
    from django.db import transaction
    from django.test import Client

    from tracking.models import StoredStatement
    from tracking.store.services import _row, default_authority

    client = Client()
    headers = {"HTTP_AUTHORIZATION": "Basic " + __import__("base64").b64encode(b"panlearn:test-xapi-password").decode(),
               "HTTP_X_EXPERIENCE_API_VERSION": "1.0.3"}  # fmt: skip
    stored = datetime.datetime.now(datetime.UTC).isoformat().replace("+00:00", "Z")
    posted, bulk = [], []
    for number in range(batches + 1):  # the first pair warms up and is discarded
        body = json.dumps([s.as_json() for s in make_statements(f"{tag}-post-{number}", size)])
        prepared = []
        for statement in make_statements(f"{tag}-bulk-{number}", size):
            payload = {**statement.as_json(), "stored": stored, "authority": default_authority(), "version": "1.0.0"}
            prepared.append(_row(payload, None).__dict__ | {})  # None: stored by panlearn itself
        fields = [f.attname for f in StoredStatement._meta.concrete_fields if f.attname != "id"]
        prepared = [{name: row[name] for name in fields} for row in prepared]

        def run_post(body: str = body) -> float:
            start = time.perf_counter()
            response = client.post("/xapi/statements", body, content_type="application/json", **headers)
            elapsed = time.perf_counter() - start
            if response.status_code != 200:
                raise RuntimeError(f"POST /xapi/statements answered {response.status_code}: {response.content[:300]}")
            return elapsed

        def run_bulk(prepared: list[dict] = prepared) -> float:
            start = time.perf_counter()
            with transaction.atomic():
                StoredStatement.objects.bulk_create([StoredStatement(**row) for row in prepared])
            return time.perf_counter() - start

        first, second = (run_post, run_bulk) if number % 2 == 0 else (run_bulk, run_post)
        a, b = first(), second()
        if number == 0:
            continue
        post_s, bulk_s = (a, b) if first is run_post else (b, a)
        posted.append(post_s)
        bulk.append(bulk_s)
    return {
        "ingest_stmts_per_s": round(size * len(posted) / sum(posted), 1),
        "bulk_insert_stmts_per_s": round(size * len(bulk) / sum(bulk), 1),
        "post_batch_ms": series(posted),
        "bulk_batch_ms": series(bulk),
        "statements": size * len(posted),
    }


def build_quiz():
    """A course, an enrolled student and a quiz exercise of three questions, through the services."""
    from django.contrib.auth.models import User
    from wagtail.models import Page

    from courses import services
    from exercises.models import Exercise, QuizQuestion

    admin = User.objects.create_superuser("bench-admin", "admin@example.org", "x")
    catalogue = services.catalogue_create(site_root=Page.get_first_root_node(), title="Courses", user=admin)
    course = services.course_create(catalogue=catalogue, owner=admin, title="Bench", slug="bench", summary="Bench.")
    student = User.objects.create_user("bench-student", "student@example.org", "x")
    services.enrolment_create(user=student, course=course)
    quiz = Exercise.objects.create(title="Scattering quiz", kind="quiz", prompt="Answer all three.")
    specs = [
        ("single", {"options": [{"id": "a", "text": "X-rays"}, {"id": "b", "text": "Neutrons", "correct": True}]}),
        ("number", {"value": "1.54", "unit": "A", "abs_tol": "0.01"}),
        ("text", {"patterns": [{"pattern": "bragg", "match": "case_insensitive"}]}),
    ]
    for order, (kind, spec) in enumerate(specs):
        QuizQuestion.objects.create(exercise=quiz, kind=kind, spec=spec, points=1, sort_order=order,
                                    prompt=f"Question {order + 1}")  # fmt: skip
    ids = [str(pk) for pk in quiz.questions.values_list("pk", flat=True)]
    answers = {ids[0]: "b", ids[1]: "1.541", ids[2]: "Bragg"}
    return student, course, quiz, answers


def grading_overhead(*, samples: int) -> dict:
    from types import SimpleNamespace

    from exercises import submissions
    from exercises.grading import pipeline
    from exercises.models import SubmissionKind, SubmissionStatus
    from tracking.models import OutboxStatement

    student, course, quiz, answers = build_quiz()
    real = submissions.tracking

    def noop(*args, **kwargs) -> None:
        return None

    silent = SimpleNamespace(exercise_answered=noop, exercise_graded=noop, batch=contextlib.nullcontext)

    def submit() -> float:
        start = time.perf_counter()
        submission = submissions.submission_create(user=student, exercise=quiz, kind=SubmissionKind.SUBMIT,
                                                   course=course, answers=answers)  # fmt: skip
        elapsed = time.perf_counter() - start
        if submission.status != SubmissionStatus.GRADED:
            raise RuntimeError(f"the quiz was not graded at once: {submission.status}")
        return elapsed

    on, off = [], []
    before = OutboxStatement.objects.count()
    try:
        for number in range(samples + 5):  # 5 warm-up pairs
            order = (True, False) if number % 2 == 0 else (False, True)
            pair = {}
            for tracked in order:
                # The submit records "answered"; the grading pipeline's store step records the grade.
                submissions.tracking = pipeline.tracking = real if tracked else silent
                pair[tracked] = submit()
            if number >= 5:
                on.append(pair[True])
                off.append(pair[False])
    finally:
        submissions.tracking = pipeline.tracking = real
    recorded = OutboxStatement.objects.count() - before
    # answered (the quiz), answered (each question), scored, passed/failed: docs/xapi-profile.md, "Quizzes".
    per_submit = 3 + len(answers)
    if recorded != per_submit * (samples + 5):
        raise RuntimeError(f"expected {per_submit} statements per tracked submit, found {recorded / (samples + 5):.2f}")
    differences = [a - b for a, b in zip(on, off, strict=True)]
    return {
        "grading_overhead_ms": round(statistics.median(differences) * 1000, 3),
        "submit_tracked_ms": series(on),
        "submit_untracked_ms": series(off),
        "overhead_p95_ms": round(percentile(differences, 95) * 1000, 3),
        "samples": samples,
        **overhead_breakdown(student, quiz, samples=max(samples // 3, 50)),
    }


def overhead_breakdown(student, quiz, *, samples: int) -> dict:
    """Where the overhead goes, inside the submission's transaction: the two interface calls in one batch
    (building and validating the statements, two savepoints), and of that the write at the batch's end
    (the outbox upsert, the delivery insert, the delivery run queued in the transaction). The rest of the
    overhead is the larger commit."""
    from django.db import transaction
    from django_tasks_db.models import DBTaskResult

    from exercises.models import Submission
    from tracking import interface, services

    submission = Submission.objects.filter(user=student, exercise=quiz).select_related("exercise", "course").last()
    calls, writes = [], []
    write = services._write

    def timed_write(rows) -> None:
        start = time.perf_counter()
        write(rows)
        writes.append(time.perf_counter() - start)

    runs_before = DBTaskResult.objects.count()
    services._write = timed_write
    try:
        for number in range(samples):
            submission.pk = 10**9 + number  # statement ids are made from it: fresh ids, as for a new submission
            with transaction.atomic():
                start = time.perf_counter()
                with interface.batch():  # as submission_create records them
                    interface.exercise_answered(submission)
                    interface.exercise_graded(submission)
                calls.append(time.perf_counter() - start)
    finally:
        services._write = write
    return {
        "interface_calls_in_transaction_ms": series(calls),
        "write_and_queue_ms": series(writes),
        "delivery_runs_queued_per_submit": (DBTaskResult.objects.count() - runs_before) / samples,
    }


def run_phase(args) -> int:
    """One database: migrate, measure, print the figures as the last line."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    vendor = connection.vendor
    say(f"[{vendor}] migrated")
    quick = args.quick
    figures, errors = {"vendor": vendor}, {}
    phases = [
        ("ingest", lambda: ingest(batches=30 if quick else 150, tag=vendor)),
        ("drain", lambda: drain(args.lrs_url, rounds=3 if quick else 5, per_round=2000 if quick else 5000, tag=vendor)),
        ("drain_builtin", lambda: drain_builtin(count=2000 if quick else 5000, tag=vendor)),
    ]
    if args.phase == "sqlite":
        phases.append(("grading", lambda: grading_overhead(samples=300 if quick else 1000)))
    for name, measure in phases:
        try:
            result = measure()
        except Exception as error:  # one failing phase must not stop the others
            errors[name] = f"{type(error).__name__}: {error}"
            say(f"[{vendor}] {name} FAILED: {errors[name]}")
            continue
        figures[name] = result
        headline = {k: v for k, v in result.items() if not isinstance(v, dict)}
        say(f"[{vendor}] {name}: {json.dumps(headline)}")
    figures["errors"] = errors
    print(json.dumps(figures), flush=True)
    return 0


# The orchestrating process ----------------------------------------------------------------------------------


def run_child(args, work: Path, *, phase: str, database_url: str, lrs_url: str) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench_settings",
        "PYTHONPATH": os.pathsep.join([str(work), str(ROOT)]),
        "DATABASE_URL": database_url,
    }
    command = [sys.executable, __file__, "--phase", phase, "--lrs-url", lrs_url] + (["--quick"] if args.quick else [])
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    last = ""
    try:
        for line in process.stdout:
            line = line.rstrip("\n")
            if line.startswith("{"):
                last = line
            else:
                say(f"  {line}")
        process.wait(timeout=900)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    if process.returncode != 0 or not last:
        raise RuntimeError(f"the {phase} phase exited with {process.returncode}")
    return json.loads(last)


@contextlib.contextmanager
def postgres_database():
    import psycopg

    name = f"panlearn_tracking_bench_{os.getpid()}"
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_SERVER}/{name}"
    finally:
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def machine() -> dict:
    import django
    import httpx
    import pydantic

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True,
                           text=True).stdout.strip()  # fmt: skip
    return {
        "cpus": os.cpu_count(),
        "platform": f"{platform.machine()}, {platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "django": django.__version__,
        "httpx": httpx.__version__,
        "pydantic": pydantic.__version__,
        "commit": commit.stdout.strip() + (" (with uncommitted changes)" if dirty else ""),
    }


def orchestrate(args) -> int:
    work = Path(tempfile.mkdtemp(prefix="panlearn-tracking-bench-"))
    (work / "bench_settings.py").write_text(BENCH_SETTINGS)
    results, errors = {}, {}
    started, load_before = time.monotonic(), os.getloadavg()[0]
    lrs = subprocess.Popen([sys.executable, __file__, "--serve-lrs"], cwd=ROOT, stdin=subprocess.PIPE,
                           stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        lrs_url = lrs.stdout.readline().strip()
        if not lrs_url.startswith("http://127.0.0.1:"):
            raise RuntimeError("the loopback LRS did not start")
        say(f"loopback LRS at {lrs_url} (tests/tracking/fake_lrs.py, its own process)")
        try:
            sqlite_url = f"sqlite:///{work / 'bench.sqlite3'}"
            results["sqlite"] = run_child(args, work, phase="sqlite", database_url=sqlite_url, lrs_url=lrs_url)
        except Exception as error:
            errors["sqlite"] = str(error)
        try:
            with postgres_database() as url:
                say(f"PostgreSQL: throwaway database {url.rsplit('/', 1)[1]}")
                results["postgres"] = run_child(args, work, phase="postgres", database_url=url, lrs_url=lrs_url)
        except Exception as error:
            errors["postgres"] = str(error)
    finally:
        with contextlib.suppress(Exception):
            lrs.stdin.close()
        try:
            lrs.wait(timeout=10)
        except subprocess.TimeoutExpired:
            lrs.kill()
            lrs.wait()
        shutil.rmtree(work, ignore_errors=True)

    sqlite, postgres = results.get("sqlite", {}), results.get("postgres", {})
    for vendor, result in results.items():
        errors.update({f"{vendor}.{name}": text for name, text in result.get("errors", {}).items()})

    def pick(result: dict, phase: str, key: str):
        return result.get(phase, {}).get(key)

    figures = {
        "outbox_drain_stmts_per_s": pick(sqlite, "drain", "drain_stmts_per_s"),
        "outbox_drain_baseline_raw_post_stmts_per_s": pick(sqlite, "drain", "raw_post_stmts_per_s"),
        "outbox_drain_stmts_per_s_postgres": pick(postgres, "drain", "drain_stmts_per_s"),
        "outbox_drain_builtin_stmts_per_s_sqlite": pick(sqlite, "drain_builtin", "drain_builtin_stmts_per_s"),
        "outbox_drain_builtin_stmts_per_s_postgres": pick(postgres, "drain_builtin", "drain_builtin_stmts_per_s"),
        "store_ingest_stmts_per_s_sqlite": pick(sqlite, "ingest", "ingest_stmts_per_s"),
        "store_ingest_baseline_bulk_insert_stmts_per_s_sqlite": pick(sqlite, "ingest", "bulk_insert_stmts_per_s"),
        "store_ingest_stmts_per_s_postgres": pick(postgres, "ingest", "ingest_stmts_per_s"),
        "store_ingest_baseline_bulk_insert_stmts_per_s_postgres": pick(postgres, "ingest", "bulk_insert_stmts_per_s"),
        "grading_overhead_ms": pick(sqlite, "grading", "grading_overhead_ms"),
        "conformance_103_passed": None,
        "conformance_103_total": None,
        "conformance_200_passed": None,
        "conformance_200_total": None,
        "conformance_note": CONFORMANCE_NOTE,
        "store_query_1m_p95_ms": None,
    }
    if args.conformance:
        logs = []
        for version, tag in (("1.0.3", "103"), ("2.0.0", "200")):
            try:
                suite = lrs_conformance.run_suite(args.conformance.resolve(), version=version)
            except Exception as error:
                errors[f"conformance_{tag}"] = f"{type(error).__name__}: {error}"
                continue
            figures.update({f"conformance_{tag}_passed": suite["passed"], f"conformance_{tag}_total": suite["total"]})
            results[f"conformance_{tag}"] = suite
            logs.append(suite["log"])
        figures["conformance_note"] = "logs " + ", ".join(logs) if logs else CONFORMANCE_NOTE
    if args.store_query:
        try:
            run = subprocess.run([sys.executable, str(ROOT / "bench" / "store_query_bench.py"), "--quick", "--json"],
                                 cwd=ROOT, capture_output=True, text=True, timeout=1800, check=True)  # fmt: skip
            query = json.loads(run.stdout.strip().splitlines()[-1])
        except Exception as error:
            errors["store_query"] = f"{type(error).__name__}: {error}"
        else:
            figures.update(store_query_1m_p95_ms=query["store_query_1m_p95_ms"],
                           store_query_ratio=query["store_query_ratio"])  # fmt: skip
            results["store_query"] = query

    def ratio(a, b):
        return round(a / b, 3) if a is not None and b else None

    say("")
    say(f"{'figure':58} {'measured':>10} {'baseline':>10} {'ratio':>7}")
    rows = [
        ("outbox_drain_stmts_per_s (vs raw httpx POST loop)", "outbox_drain_stmts_per_s",
         "outbox_drain_baseline_raw_post_stmts_per_s"),
        ("store_ingest_stmts_per_s_sqlite (vs bare bulk_create)", "store_ingest_stmts_per_s_sqlite",
         "store_ingest_baseline_bulk_insert_stmts_per_s_sqlite"),
        ("store_ingest_stmts_per_s_postgres (vs bare bulk_create)", "store_ingest_stmts_per_s_postgres",
         "store_ingest_baseline_bulk_insert_stmts_per_s_postgres"),
    ]  # fmt: skip
    for label, key, base in rows:
        name = key.replace("_stmts_per_s", "_ratio")
        figures[name] = ratio(figures[key], figures[base])
        say(f"{label:58} {figures[key]!s:>10} {figures[base]!s:>10} {figures[name]!s:>7}")
    tracked = sqlite.get("grading", {})
    if tracked:
        say(f"{'grading: submit with tracking p50 ms / without p50 ms':58} "
            f"{tracked['submit_tracked_ms']['p50']:>10} {tracked['submit_untracked_ms']['p50']:>10}")  # fmt: skip
        calls, write = tracked["interface_calls_in_transaction_ms"], tracked["write_and_queue_ms"]
        say(
            f"  of which: the two interface calls in the transaction p50 {calls['p50']} ms, their write (outbox, "
            f"deliveries, {tracked['delivery_runs_queued_per_submit']} delivery run queued) {write['p50']} ms"
        )
    for name, (sense, limit) in TARGETS.items():
        value = figures[name]
        met = value is not None and (value >= limit if sense == ">=" else value <= limit)
        say(f"{name}: {value} (target {sense} {limit}) {'ok' if met else 'MISSED'}")
    for tag, version in (("103", "1.0.3"), ("200", "2.0.0")):
        say(f"conformance (xAPI {version}): {figures[f'conformance_{tag}_passed']} passed of "
            f"{figures[f'conformance_{tag}_total']}")  # fmt: skip
    say(f"  {figures['conformance_note']}")
    say(f"store_query_1m_p95_ms (bench/store_query_bench.py --quick): {figures['store_query_1m_p95_ms']}"
        + ("" if args.store_query else " (not run: --store-query)"))  # fmt: skip
    say(f"load average (1 min) at start {load_before:.2f}, at end {os.getloadavg()[0]:.2f}, on {os.cpu_count()} CPUs")
    figures.update(
        targets={name: f"{sense} {limit}" for name, (sense, limit) in TARGETS.items()},
        machine=machine(),
        date=datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        quick=args.quick,
        duration_s=round(time.monotonic() - started, 1),
        # The machine is shared: a load average above the CPU count means the figures are not the machine's best.
        load_average_1min={"start": round(load_before, 2), "end": round(os.getloadavg()[0], 2)},
        details=results,
        errors=errors,
    )
    if args.json:
        print(json.dumps(figures), flush=True)
    measured = ("outbox_drain_stmts_per_s", "store_ingest_stmts_per_s_sqlite", "store_ingest_stmts_per_s_postgres",
                "grading_overhead_ms")  # fmt: skip
    return 1 if any(figures[name] is None for name in measured) else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer samples (about a minute and a half)")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object on the last line")
    parser.add_argument(
        "--store-query",
        action="store_true",
        help="also seed 1M statements in PostgreSQL and time the filtered GETs (about 2 minutes)",
    )
    parser.add_argument("--conformance", type=Path, default=os.environ.get("PANLEARN_LRS_CONFORMANCE_SUITE") or None,
                        help="a copy of the ADL lrs-conformance-test-suite (npm install done) to run")  # fmt: skip
    parser.add_argument("--serve-lrs", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--phase", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    parser.add_argument("--lrs-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_lrs:
        return serve_lrs()
    if args.phase:
        return run_phase(args)
    return orchestrate(args)


if __name__ == "__main__":
    sys.exit(main())
