"""The RQ worker class panlearn's deployments run: jobs in the worker's own process, no fork per job.

RQ's default worker forks a work horse for every job. Ours are short (a grade waits on the kernel host;
a delivery run posts a batch), so the fork, the page faults of a copied Django process and a database
connection opened per job were most of their CPU: 0.14 CPU-seconds per student in the load test
(docs/performance.md). A SimpleWorker runs each job in place and keeps its connection between jobs.

What the fork gave, and how it is kept:
- a job that dies takes only its horse with it. Our jobs hold no native code that crashes; a worker
  killed mid-job (SIGKILL, an OOM) loses nothing either way: a grade left "grading" is put back by
  `exercises requeue`, a delivery's leased rows are sent again when the lease runs out;
- a fresh database connection per job. Here each job starts and ends as a request does in Django:
  `close_old_connections()` drops a connection that broke or outlived CONN_MAX_AGE, and the health
  check (CONN_HEALTH_CHECKS) replaces one the database dropped;
- a job timeout. SimpleWorker raises JobTimeoutException in the job (SIGALRM), which a broad
  `except Exception` in a job could swallow; RQ killed a horse that outlived its timeout by a minute,
  and so does this worker to itself: it exits, and its supervisor (systemd, respawn.sh, Kubernetes)
  starts a fresh one. The job is then a killed worker's, as above.
"""

import logging
import os
import threading

from django.db import close_old_connections, connections
from rq import SimpleWorker

logger = logging.getLogger(__name__)
HARD_KILL_AFTER = 60  # seconds past a job's timeout, as RQ's forking worker gives its horse


def _exit_hung(job_id: str, timeout: int) -> None:
    logger.critical("job %s ran %d s past its timeout of %d s: this worker exits, and its supervisor restarts it",
                    job_id, HARD_KILL_AFTER, timeout)  # fmt: skip
    os._exit(1)


class Worker(SimpleWorker):
    def execute_job(self, job, queue):
        timeout = job.timeout or self.queue_class.DEFAULT_TIMEOUT  # as RQ's own monitor reads it
        watchdog = None
        if timeout > 0:  # -1: the job asked for no timeout
            watchdog = threading.Timer(timeout + HARD_KILL_AFTER, _exit_hung, (job.id, timeout))
            watchdog.daemon = True
            watchdog.start()
        close_old_connections()
        try:
            return super().execute_job(job, queue)
        finally:
            close_old_connections()
            if watchdog is not None:
                watchdog.cancel()

    def run_maintenance_tasks(self):
        connections.close_all()  # it may fork a new scheduler, which must not share our connection's socket
        return super().run_maintenance_tasks()
