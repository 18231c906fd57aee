"""Password hashes at a lower CPU priority than the work of students already signed in.

A PBKDF2 check costs a quarter of a CPU-second by design (Django's 1,000,000 iterations). When a class
signs in within the same minute, the hashes take about 40 % of a 2-core machine, and the code cells of the
students already at work wait behind them (docs/performance.md, the load test). The hash is no weaker
here: it runs in threads of their own whose nice value is raised (Linux keeps a nice value per thread, see
setpriority(2)), so on a full CPU the scheduler serves the web's other threads first and a sign-in takes
longer; on an idle machine nothing changes. Each web process hashes at most `os.cpu_count()` passwords at
once; further sign-ins wait their turn rather than adding threads that fight for the same cores.

Only the scheduling moves: the algorithm, its name in stored hashes ("pbkdf2_sha256"), the iterations and
the timing of a sign-in for a missing account (backends.py hashes a password for it too) are Django's.
"""

import os
import threading
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher

_lock = threading.Lock()
# The pool, and the process and nice value it was made for: a forked child (an RQ work horse) has none of
# its parent's threads, and a changed setting needs threads started with it.
_pool: tuple[tuple[int, int], ThreadPoolExecutor] | None = None


def niceness() -> int:
    """The setting, within the range Linux accepts (0 hashes at the web's own priority)."""
    return max(0, min(19, int(getattr(settings, "PANLEARN_PASSWORD_HASH_NICENESS", 10))))


def _lower_this_thread(nice: int) -> None:
    """Raise the calling thread's nice value (never lower it: that needs a privilege the web should lack)."""
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
            if _pool is not None and _pool[0][0] == key[0]:
                _pool[1].shutdown(wait=False)  # the setting changed; a forked child's copy has no threads
            executor = ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="password-hash",
                                          initializer=_lower_this_thread, initargs=(key[1],))  # fmt: skip
            _pool = (key, executor)
        return _pool[1]


class LowPriorityPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    """Django's PBKDF2-SHA256 hasher; `encode` (which `verify` and `harden_runtime` call) runs in the pool."""

    def encode(self, password, salt, iterations=None):
        return hash_pool().submit(super().encode, password, salt, iterations).result()
