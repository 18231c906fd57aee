"""Password hashes at a lower CPU priority than the rest of the web process's work.

A PBKDF2 check costs a quarter of a CPU-second by design (Django's 1,000,000 iterations). When a class
signs in within the same minute the hashes take about 40 % of a 2-core machine, and the web's part of
every code cell (the request, the stream) waited for them (docs/performance.md, the load test).

The hash is no weaker here, only scheduled differently:
- Each web process hashes at most one password per CPU it may run on; further sign-ins wait their turn
  instead of adding threads that fight for the same cores.
- Those threads have a raised nice value (Linux keeps one per thread, see setpriority(2)), so the
  scheduler weights them below the process's other threads (10 against 0 is about 1 to 9). With
  autogroup scheduling (Debian's default) or a CPU cgroup per service, that weighting holds within the
  web process; other services (kernels, workers) still share the CPU with it as before.
- A request hands its database connection back before it waits (panlearn/database.py): the wait may be
  seconds in a rush, and the pool of connections is small. A hash not started within
  PANLEARN_PASSWORD_HASH_WAIT_SECONDS is withdrawn, and the person asked to try again.

A check is one task in the pool, the padding Django adds for a wrong password against a hash of fewer
iterations included: a sign-in for a missing account (backends.py hashes a password for it), for a
current hash and for an older one each wait in the queue once, so the time still tells nothing apart.
The algorithm, its name in stored hashes ("pbkdf2_sha256") and the iterations are Django's.
"""

import os
import threading
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from panlearn.database import release_connections

_lock = threading.Lock()
_local = threading.local()  # .in_pool: this thread is one of the pool's, so a hash runs here and now
# The pool and the process and nice value it was made for: a forked child has none of its parent's
# threads, and a changed setting needs threads started with it. An older pool is left to finish its tasks.
_pool: tuple[tuple[int, int], ThreadPoolExecutor] | None = None


def niceness() -> int:
    """The setting, within the range Linux accepts (0 hashes at the web's own priority)."""
    return max(0, min(19, int(getattr(settings, "PANLEARN_PASSWORD_HASH_NICENESS", 10))))


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity: a cpuset, taskset), not every core of the machine."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _start_pool_thread(nice: int) -> None:
    """Mark the thread as the pool's and raise its nice value (never lower it: that needs a privilege)."""
    _local.in_pool = True
    tid = threading.get_native_id()
    try:
        if nice > os.getpriority(os.PRIO_PROCESS, tid):
            os.setpriority(os.PRIO_PROCESS, tid, nice)
    except OSError:  # refused (a sandbox, another platform): the hash runs at the process's priority
        pass


def hash_pool() -> ThreadPoolExecutor:
    global _pool
    key = (os.getpid(), niceness())
    with _lock:
        if _pool is None or _pool[0] != key:
            executor = ThreadPoolExecutor(max_workers=usable_cpus(), thread_name_prefix="password-hash",
                                          initializer=_start_pool_thread, initargs=(key[1],))  # fmt: skip
            _pool = (key, executor)
        return _pool[1]


BUSY_RETRY_AFTER_S = 30  # the Retry-After of the answer that says so


class PasswordCheckBusy(Exception):
    """No thread of the pool could start this hash within PANLEARN_PASSWORD_HASH_WAIT_SECONDS."""


def wait_seconds() -> float | None:
    """The setting; 0 or less waits without a limit."""
    wait = float(getattr(settings, "PANLEARN_PASSWORD_HASH_WAIT_SECONDS", 45))
    return wait if wait > 0 else None


def in_hash_pool(function, *args):
    """`function(*args)` on one of the pool's threads, the caller waiting without its database connection;
    on a pool thread already, right here (a task that hashes twice stays one task).

    A task not started within the wait is withdrawn (PasswordCheckBusy: the sign-in form says so, other
    pages answer 503): under a flood nobody waits without end, and nothing hashes for a caller gone."""
    if getattr(_local, "in_pool", False):
        return function(*args)
    release_connections()
    future = hash_pool().submit(function, *args)
    try:
        return future.result(timeout=wait_seconds())
    except TimeoutError:
        if future.cancel():
            raise PasswordCheckBusy() from None
        return future.result()  # started just now: it ends within one hash's time


class LowPriorityPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    """Django's PBKDF2-SHA256 hasher, each hash or check one task of the low-priority pool."""

    def encode(self, password, salt, iterations=None):
        return in_hash_pool(super().encode, password, salt, iterations)

    def verify(self, password, encoded):
        return in_hash_pool(self._verify_and_pad, password, encoded)

    def _verify_and_pad(self, password, encoded) -> bool:
        correct = super().verify(password, encoded)
        if not correct and self.must_update(encoded):
            super().harden_runtime(password, encoded)  # in the same task, so the wait is the same
        return correct

    def harden_runtime(self, password, encoded):
        """Done by `verify` in the same task (check_password calls this after a wrong password)."""
