"""Tasks on RQ (PANLEARN_TASKS_BACKEND=rq, django-tasks-rq) with the machine's Redis (127.0.0.1:6379) and
RQ's own workers: what the database queue guarantees holds here too. A grade whose worker is killed with
SIGKILL is graded again, its attempt counted once; a grade that finds the runner down waits in RQ's
scheduled jobs and is graded when it is back. Each test has a Redis database of its own test worker,
emptied before it."""

import contextlib
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from django.db import connection, connections
from django.utils import timezone

from exercises.models import Exercise, ExerciseTest, Submission, SubmissionKind, SubmissionStatus
from exercises.submissions import STALE_AFTER, requeue_stale, submission_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
ROOT = Path(__file__).resolve().parents[2]
SOLUTION = "def double(x):\n    return 2 * x\n"
TEST = "def test_double():\n    assert double(21) == 42\n"
# A test that takes long enough to kill its worker in the middle of it.
SLOW_TEST = "def test_double_slowly():\n    import time\n    time.sleep(4)\n    assert double(2) == 4\n"


@pytest.fixture
def rq_tasks(settings, worker_id):
    """The tasks on RQ, in a Redis database of this test worker's."""
    number = 10 + (int(worker_id.removeprefix("gw")) % 6 if worker_id.startswith("gw") else 0)  # 10-15 of 16
    url = f"redis://127.0.0.1:6379/{number}"
    redis.Redis.from_url(url).flushdb()
    settings.REDIS_URL = url
    settings.RQ_QUEUES = {name: {"URL": url, "DEFAULT_TIMEOUT": 900} for name in settings.RQ_TASK_QUEUES}
    settings.TASKS = {"default": settings.TASK_BACKENDS["rq"]}
    yield url
    redis.Redis.from_url(url).flushdb()


@pytest.fixture
def exercise(runner_settings):
    exercise = Exercise.objects.create(title="Double it", solution_code=SOLUTION, starter_code="", max_attempts=2)
    ExerciseTest.objects.create(exercise=exercise, name="test_double", source=TEST, points=1, sort_order=0)
    return exercise


def _queue(name: str = "grading"):
    import django_rq
    from django_tasks_rq import Job

    return django_rq.get_queue(name, job_class=Job)


def _work_here(*, with_scheduler: bool = False, max_jobs: int | None = None) -> None:
    """RQ's worker in this process, on the queues as workers name them, until they are empty (its jobs then see
    this test's database)."""
    from django.conf import settings
    from django_tasks_rq import Job
    from rq import SimpleWorker

    queues = [_queue(name) for name in settings.RQ_TASK_QUEUES]
    handlers = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        worker = SimpleWorker(queues, connection=queues[0].connection, job_class=Job)
        worker.work(burst=True, with_scheduler=with_scheduler, max_jobs=max_jobs)
    finally:
        for number, handler in handlers.items():  # RQ installs its own: they must not outlive this test
            signal.signal(number, handler)


def test_a_submission_is_graded_by_an_rq_worker(rq_tasks, exercise):
    student = UserFactory(username="marie")
    submission = submission_create(user=student, exercise=exercise, code=SOLUTION, kind=SubmissionKind.SUBMIT)
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.QUEUED  # in Redis, not yet run
    assert [list(job.args) for job in _queue().jobs if job.func_name == "exercises.tasks.grade_submission"] == [
        [submission.pk]
    ]
    _work_here()
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.GRADED and submission.points == 1 and submission.attempt == 1


def test_a_grade_goes_ahead_of_work_queued_before_it(rq_tasks, exercise):
    """A student waits for a grade: a worker takes it before the deliveries queued ahead of it."""
    from tracking.tasks import deliver_statements

    for _ in range(3):
        deliver_statements.enqueue()
    submission = submission_create(user=UserFactory(username="marie"), exercise=exercise, code=SOLUTION,
                                   kind=SubmissionKind.SUBMIT)  # fmt: skip
    others = _queue("default").job_ids  # those three, and what the submission's commit queued after them
    assert len(others) >= 3 and _queue("grading").count == 1
    _work_here(max_jobs=1)  # one job: the grade
    assert _queue("grading").count == 0 and _queue("default").job_ids[: len(others)] == others
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.GRADED


def test_a_grade_that_finds_the_runner_down_waits_in_rqs_schedule(rq_tasks, exercise, settings, monkeypatch):
    from rq.registry import ScheduledJobRegistry

    from exercises.grading import pipeline

    monkeypatch.setattr(pipeline, "RETRY_AFTER", timedelta(seconds=1))
    socket = settings.PANLEARN_RUNNER_SOCKET
    settings.PANLEARN_RUNNER_SOCKET = "/nonexistent/runner.sock"
    student = UserFactory(username="marie")
    submission = submission_create(user=student, exercise=exercise, code=SOLUTION, kind=SubmissionKind.SUBMIT)
    _work_here()  # the runner is down: the grade goes back to wait
    submission.refresh_from_db()
    queue = _queue()
    assert submission.status == SubmissionStatus.QUEUED and "restarting" in submission.message
    assert queue.count == 0
    scheduled = [queue.fetch_job(job_id) for job_id in ScheduledJobRegistry(queue=queue).get_job_ids()]
    assert [job.func_name for job in scheduled] == ["exercises.tasks.grade_submission"]
    settings.PANLEARN_RUNNER_SOCKET = socket  # back
    time.sleep(1.2)
    _work_here(with_scheduler=True)  # RQ's scheduler moves the due job to the queue; the worker grades it
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.GRADED and submission.points == 1 and submission.attempt == 1


def _worker_process(redis_url: str, socket: str, **env) -> subprocess.Popen:
    """`manage.py rqworker` as an operator starts it, on this test's database and Redis database."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.tasks.rq_worker_settings", "REDIS_URL": redis_url,
           "PANLEARN_TEST_DATABASE_NAME": connection.settings_dict["NAME"], "PANLEARN_RUNNER_SOCKET": socket,
           **env}  # fmt: skip
    command = [sys.executable, "manage.py", "rqworker", "--worker-class", "panlearn.rq_worker.Worker",
               "--job-class", "django_tasks_rq.Job", "--with-scheduler", "grading", "default"]  # fmt: skip
    # Its output to a file (a pipe no one reads would fill and stop it), kept for a failing test's reader.
    with open(Path(os.environ.get("TMPDIR", "/tmp")) / f"panlearn-rqworker-{os.getpid()}.log", "ab") as log:
        return subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True, stdout=log, stderr=log)


def _descendants(pid: int) -> list[int]:
    """The processes below `pid`: RQ's work horse, which runs the job, leaves the worker's process group."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, frontier = [], [pid]
    while frontier:
        below = [child for parent in frontier for child in children.get(parent, [])]
        found += below
        frontier = below
    return found


def _kill_worker(worker: subprocess.Popen) -> None:
    """SIGKILL for the worker and its work horses at once: the job dies mid-way, nothing of it runs on.

    Each process is stopped before its children are listed, so none can fork a horse after the list is
    read. A horse forked in that gap (for the xAPI delivery a finished grade queues) outlived the test,
    wrote content types into the flushed database, and broke every later test on that pytest worker."""
    stopped: list[int] = []
    frontier = [worker.pid]
    while frontier:
        for pid in frontier:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGSTOP)
        stopped += frontier
        frontier = [pid for pid in _descendants(worker.pid) if pid not in stopped]
    for pid in stopped:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    worker.wait(10)


def _wait_for(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_a_worker_killed_mid_grade_loses_nothing_and_counts_no_attempt_twice(rq_tasks, exercise, settings):
    ExerciseTest.objects.create(exercise=exercise, name="test_double_slowly", source=SLOW_TEST, points=1,
                                sort_order=1)  # fmt: skip
    student = UserFactory(username="marie")
    submission = submission_create(user=student, exercise=exercise, code=SOLUTION, kind=SubmissionKind.SUBMIT)
    connections.close_all()
    worker = _worker_process(rq_tasks, settings.PANLEARN_RUNNER_SOCKET)
    try:
        graded = _wait_for(lambda: Submission.objects.get(pk=submission.pk).status == SubmissionStatus.GRADING, 60)
        assert graded, "the worker never started the grade"
        time.sleep(1)  # mid-grade: the slow test runs for 4 s
    finally:
        _kill_worker(worker)
    time.sleep(5)  # past the end of the slow test: a work horse that survived would have stored the grade
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.GRADING  # left as it was
    # The product's recovery (`manage.py exercises requeue`), then a new worker.
    assert requeue_stale(now=timezone.now() + STALE_AFTER + timedelta(seconds=1)) == 1
    connections.close_all()
    worker = _worker_process(rq_tasks, settings.PANLEARN_RUNNER_SOCKET)
    try:
        assert _wait_for(lambda: Submission.objects.get(pk=submission.pk).status == SubmissionStatus.GRADED, 90)
    finally:
        _kill_worker(worker)
    submission.refresh_from_db()
    assert submission.points == 2 and submission.attempt == 1
    assert Submission.objects.filter(user=student).count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="dropping a connection needs a database server")
def test_a_worker_runs_jobs_in_its_process_and_replaces_a_connection_the_database_dropped(rq_tasks, settings):
    """panlearn.rq_worker.Worker: no work horse per job, one persistent connection, and a connection that the
    database dropped between two jobs (a restart, a failover) is replaced before the next job, not failed on."""
    from tests.tasks.probe_tasks import where_did_i_run

    def run_one() -> list[int]:
        result = where_did_i_run.enqueue()
        assert _wait_for(lambda: result.refresh() or result.is_finished, 30), "the job did not finish"
        assert result.status == "SUCCESSFUL", result.errors
        return result.return_value

    connections.close_all()
    worker = _worker_process(rq_tasks, settings.PANLEARN_RUNNER_SOCKET, PANLEARN_TEST_CONN_MAX_AGE="600")
    try:
        first, second = run_one(), run_one()
        assert first[0] == second[0] == worker.pid, "a job ran in a forked work horse"
        assert first[1] == second[1], "the worker did not keep its connection between jobs"
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [second[1]])
        third = run_one()
        assert third[0] == worker.pid and third[1] != second[1]
    finally:
        _kill_worker(worker)


def test_a_job_that_swallows_its_timeout_ends_the_worker(rq_tasks, monkeypatch):
    """RQ's forking worker killed a horse that outlived its timeout; ours exits itself (its supervisor starts a
    new one), so a job with a broad `except Exception` cannot hold a worker for ever."""
    from rq import Queue

    import panlearn.rq_worker
    from tests.tasks.probe_tasks import swallow_the_timeout

    exits = []
    monkeypatch.setattr(panlearn.rq_worker, "HARD_KILL_AFTER", 0.5)
    monkeypatch.setattr(panlearn.rq_worker.os, "_exit", exits.append)
    queue = Queue("grading", connection=redis.Redis.from_url(rq_tasks))
    job = queue.enqueue(swallow_the_timeout, 1.5, job_timeout=1)
    handlers = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        panlearn.rq_worker.Worker([queue], connection=queue.connection).work(burst=True)
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)
    assert exits == [1]  # 1 s of timeout and 0.5 s more: the worker would have exited mid-job
    assert job.get_status(refresh=True) == "finished"  # (here it could not, and the job ran on)


def test_xapi_delivery_by_a_worker_killed_mid_request_loses_and_duplicates_nothing(rq_tasks, settings):
    """The outbox's delivery run on RQ, its worker process killed while its batch is in flight (the LRS stores
    it after the kill): the rows stay leased, a later run on a new worker sends them again, and the LRS ends
    with one copy of every statement."""
    import json

    from tests.tracking.fake_lrs import FakeLrs
    from tests.tracking.samples import FRAME
    from tracking.models import Delivery, DeliveryStatus, OutboxStatement
    from tracking.services import statements_record
    from tracking.xapi import builders
    from tracking.xapi.models import Account, Agent

    with FakeLrs() as lrs:
        config = lrs.config("partner-lrs")
        settings.PANLEARN_TRACKING_LRS = [config]
        settings.PANLEARN_TRACKING_STORE_ENABLED = False
        actor = Agent(account=Account(homePage="https://learn.example.org", name="a"))
        frame = builders.Frame(actor=actor, timestamp=FRAME.timestamp, language="en-GB", course=FRAME.course)
        statements = [builders.enrolled(frame, event_key=f"a:{n}") for n in range(8)]
        statements_record(statements)  # and, at commit, a delivery run queued on RQ
        ids = [str(statement.id) for statement in statements]
        lrs.delay = 2.0
        connections.close_all()
        env = {"PANLEARN_TRACKING_LRS": json.dumps([config]), "PANLEARN_TRACKING_STORE_ENABLED": "false"}
        worker = _worker_process(rq_tasks, settings.PANLEARN_RUNNER_SOCKET, **env)
        try:
            assert _wait_for(lambda: len(lrs.headers) >= 1, 60), "the worker never sent the batch"
        finally:
            _kill_worker(worker)
        assert not lrs.stored  # killed mid-request
        assert _wait_for(lambda: bool(lrs.stored), 10)  # the LRS stores what the dead worker sent
        lrs.delay = 0.0
        assert Delivery.objects.filter(status=DeliveryStatus.DELIVERED).count() == 0  # stored there, not here
        assert Delivery.objects.exclude(lease_owner="").exists()  # what the dead worker held
        # The lease runs out (PANLEARN_TRACKING_LEASE_SECONDS); the next run is a new worker's.
        Delivery.objects.exclude(lease_owner="").update(lease_until=timezone.now() - timedelta(seconds=1))
        from tracking.services import schedule_delivery

        schedule_delivery()
        connections.close_all()
        worker = _worker_process(rq_tasks, settings.PANLEARN_RUNNER_SOCKET, **env)
        try:
            delivered = Delivery.objects.filter(status=DeliveryStatus.DELIVERED)
            assert _wait_for(lambda: delivered.count() == 8, 60)
        finally:
            # (Not a burst worker that exits by itself: one quit in CI and then hung in its pub/sub thread.)
            _kill_worker(worker)
        assert sorted(lrs.stored) == sorted(ids)  # nothing lost; one copy each, since the LRS keys by id
        assert sorted(set(lrs.ids_received())) == sorted(ids)  # and each was sent as the same statement
        assert all(lrs.stored[i] == OutboxStatement.objects.get(statement_id=i).payload for i in ids)


def test_a_queue_that_cannot_be_reached_keeps_the_submission_and_its_one_attempt(rq_tasks, exercise, settings):
    """Redis down when the grade is queued (after the commit): the student gets their submission back, not
    an error that would make them submit again; `exercises requeue` grades it once Redis is back."""
    nowhere = "redis://127.0.0.1:1/0?socket_connect_timeout=2"  # nothing there
    settings.RQ_QUEUES = {name: {"URL": nowhere} for name in settings.RQ_TASK_QUEUES}
    student = UserFactory(username="marie")
    submission = submission_create(user=student, exercise=exercise, code=SOLUTION, kind=SubmissionKind.SUBMIT)
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.QUEUED and submission.attempt == 1
    settings.RQ_QUEUES = {name: {"URL": rq_tasks, "DEFAULT_TIMEOUT": 900} for name in settings.RQ_TASK_QUEUES}  # back
    assert requeue_stale(now=timezone.now() + STALE_AFTER + timedelta(seconds=1)) == 1
    _work_here()
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.GRADED and submission.attempt == 1
    assert Submission.objects.filter(user=student).count() == 1
