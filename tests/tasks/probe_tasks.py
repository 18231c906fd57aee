"""A task that tells where it ran, for the RQ worker tests: the worker's process id and its database
connection's server process id (PostgreSQL)."""

import os

from django.db import connection
from django_tasks import task


@task(queue_name="grading")
def where_did_i_run() -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return [os.getpid(), cursor.fetchone()[0]]


def swallow_the_timeout(seconds: float) -> str:
    """A job with a broad `except Exception` around slow work: RQ's timeout exception does not stop it."""
    import time

    try:
        time.sleep(seconds)
    except Exception:  # the point of this job
        time.sleep(seconds)
    return "outlived its timeout"
