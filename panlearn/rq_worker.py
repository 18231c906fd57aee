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
  `close_old_connections()` drops a connection that broke or outlived CONN_MAX_AGE;
- a job timeout: SimpleWorker ends a job that overruns with SIGALRM, in this main thread, as the horse did.
"""

from django.db import close_old_connections
from rq import SimpleWorker


class Worker(SimpleWorker):
    def execute_job(self, job, queue):
        close_old_connections()
        try:
            return super().execute_job(job, queue)
        finally:
            close_old_connections()
