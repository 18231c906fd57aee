"""Handing a request's database connection back before it waits on something else.

With PANLEARN_DB_POOL_MAX_SIZE a web process has a few connections for all its requests. A request
that keeps one while it waits (an event stream, a kernel host, a password hash that takes a quarter of
a CPU-second and seconds of wall time on a busy machine) leaves the other requests queueing for the
pool; at 20 s they fail. What the request does afterwards checks a connection out again, briefly.
"""

from django.db import connections


def release_connections() -> None:
    """Close (with a pool: return) this thread's connections, except one inside a transaction."""
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:  # a caller's transaction (a test's) is not ours to end
            connection.close()
