"""The sign-in hash runs at a lower CPU priority (accounts/hashing.py), and is still Django's PBKDF2."""

import contextlib
import os
import threading
import time

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher, check_password, identify_hasher, make_password
from django.test import override_settings
from django.utils.module_loading import import_string

from accounts import hashing
from accounts.hashing import LowPriorityPBKDF2PasswordHasher

HASHER = "accounts.hashing.LowPriorityPBKDF2PasswordHasher"


@pytest.fixture
def hashes_seen(monkeypatch):
    """Where each PBKDF2 ran: the thread's name, its nice value and the process's."""
    import django.contrib.auth.hashers as hashers

    seen, real = [], hashers.pbkdf2

    def watched(*args, **kwargs):
        tid = threading.get_native_id()
        seen.append((threading.current_thread().name, os.getpriority(os.PRIO_PROCESS, tid), tid))
        return real(*args, **kwargs)

    monkeypatch.setattr(hashers, "pbkdf2", watched)
    return seen


def test_the_site_hashes_with_it_first():
    from panlearn.settings import base

    first = import_string(base.PASSWORD_HASHERS[0])
    assert first is LowPriorityPBKDF2PasswordHasher
    assert base.PANLEARN_PASSWORD_HASH_NICENESS == 10


def test_the_hash_is_djangos_pbkdf2_sha256_unchanged():
    ours, djangos = LowPriorityPBKDF2PasswordHasher(), PBKDF2PasswordHasher()
    assert ours.algorithm == djangos.algorithm == "pbkdf2_sha256"
    assert ours.iterations == djangos.iterations >= 1_000_000
    assert ours.encode("secret", "salt1234salt", 1000) == djangos.encode("secret", "salt1234salt", 1000)
    stored = djangos.encode("secret", djangos.salt())
    assert ours.verify("secret", stored) and not ours.verify("wrong", stored)


@override_settings(PASSWORD_HASHERS=[HASHER], PANLEARN_PASSWORD_HASH_NICENESS=10)
def test_a_password_is_hashed_and_checked_in_a_thread_of_lower_priority(hashes_seen):
    own = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    stored = make_password("secret")
    assert isinstance(identify_hasher(stored), LowPriorityPBKDF2PasswordHasher)
    assert check_password("secret", stored) and not check_password("wrong", stored)
    assert len(hashes_seen) == 3
    for name, nice, tid in hashes_seen:
        assert name.startswith("password-hash")
        assert tid != threading.get_native_id()
        assert nice == max(own, 10)
    # The caller's own thread (a web request's) keeps its priority.
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == own


@override_settings(PASSWORD_HASHERS=[HASHER], PANLEARN_PASSWORD_HASH_NICENESS=0)
def test_a_nice_value_of_zero_hashes_at_the_callers_priority(hashes_seen):
    own = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    make_password("secret")
    assert [nice for _, nice, _ in hashes_seen] == [own]


@override_settings(PASSWORD_HASHERS=[HASHER], PANLEARN_PASSWORD_HASH_NICENESS=10)
def test_a_class_signing_in_at_once_hashes_one_password_per_cpu_at_a_time(monkeypatch):
    import django.contrib.auth.hashers as hashers

    real, lock, running, most, done = hashers.pbkdf2, threading.Lock(), [0], [0], []

    def slow(*args, **kwargs):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.05)  # long enough for every waiting caller to start one if it could
        with lock:
            running[0] -= 1
        return real(*args, **kwargs)

    monkeypatch.setattr(hashers, "pbkdf2", slow)
    hasher = LowPriorityPBKDF2PasswordHasher()
    callers = [
        threading.Thread(target=lambda: done.append(hasher.encode("secret", "salt1234salt", 1000)))
        for _ in range(3 * hashing.usable_cpus() + 2)
    ]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join(timeout=60)
    assert len(done) == len(callers) and len(set(done)) == 1
    assert most[0] == hashing.usable_cpus()


def test_the_cap_is_the_cpus_this_process_may_use():
    assert hashing.usable_cpus() == len(os.sched_getaffinity(0))


@pytest.fixture
def pool_tasks(monkeypatch):
    """Every task given to the pool (what a caller waits for in its queue)."""
    tasks, real = [], hashing.hash_pool

    class Counting:
        def submit(self, function, *args):
            tasks.append(function.__name__)
            return real().submit(function, *args)

    monkeypatch.setattr(hashing, "hash_pool", Counting)
    return tasks


@pytest.mark.django_db
@override_settings(PASSWORD_HASHERS=[HASHER])
def test_a_missing_account_a_current_hash_and_an_older_one_each_wait_for_one_task(pool_tasks, hashes_seen):
    """The sign-in's time must not tell an account apart: Django pads a wrong password against a hash of
    fewer iterations with the difference, and that padding runs in the same task as the check."""
    from django.contrib.auth import authenticate
    from django.core.exceptions import PermissionDenied

    from accounts.backends import CachedUserBackend
    from tests.factories import UserFactory

    current = UserFactory(username="current-hash")
    older = UserFactory(username="older-hash")
    older.password = PBKDF2PasswordHasher().encode("a long enough secret", "salt1234salt", 500_000)
    older.save()
    seen = {}  # username: (tasks waited for, hashes, threads they ran on)
    for username in ("no-such-student", "current-hash", "older-hash"):
        pool_tasks.clear()
        hashes_seen.clear()
        with pytest.raises(PermissionDenied):
            CachedUserBackend().authenticate(None, username=username, password="wrong")
        seen[username] = (len(pool_tasks), len(hashes_seen), len({tid for _, _, tid in hashes_seen}))
    # The older hash: the check, then the padding, on one thread in one task.
    assert seen == {"no-such-student": (1, 1, 1), "current-hash": (1, 1, 1), "older-hash": (1, 2, 1)}
    assert authenticate(None, username="current-hash", password="correct horse battery staple") == current


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # outside a test transaction
@override_settings(PASSWORD_HASHERS=[HASHER])
def test_a_caller_waits_for_the_hash_without_its_database_connection():
    from django.contrib.auth import get_user_model
    from django.db import connection

    get_user_model().objects.count()
    assert connection.connection is not None
    make_password("secret")
    assert connection.connection is None
    assert get_user_model().objects.count() == 0  # and the next query checks one out again


@override_settings(PASSWORD_HASHERS=[HASHER])
def test_a_forked_child_hashes_on_threads_of_its_own():
    """A forked child has none of its parent's threads, so a pool copied from the parent would take the
    hash and never run it."""
    LowPriorityPBKDF2PasswordHasher().encode("warm", "salt1234salt", 1000)  # the parent's pool exists
    assert hashing._pool is not None
    pid = os.fork()
    if pid == 0:  # the child: exit 0 only if the hash came back right
        code = 3
        try:
            hasher = LowPriorityPBKDF2PasswordHasher()
            code = 0 if hasher.verify("secret", hasher.encode("secret", "salt1234salt", 1000)) else 4
        finally:
            os._exit(code)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            assert os.waitstatus_to_exitcode(status) == 0
            return
        time.sleep(0.05)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    pytest.fail("the forked child's hash never came back")


@pytest.mark.django_db
@override_settings(PASSWORD_HASHERS=[HASHER])
def test_a_student_signs_in_through_the_form_with_it(client, hashes_seen):
    from tests.factories import UserFactory

    user = UserFactory(username="hashed-student")
    user.set_password("a long enough secret")
    user.save()
    hashes_seen.clear()
    answer = client.post("/accounts/login/", {"username": "hashed-student", "password": "a long enough secret"})
    assert answer.status_code == 302
    assert client.session.get("_auth_user_id") == str(user.pk)
    assert [name.startswith("password-hash") for name, _, _ in hashes_seen] == [True]
    answer = client.post("/accounts/login/", {"username": "hashed-student", "password": "wrong"})
    assert answer.status_code == 200


def drain_the_pool() -> None:
    """Wait until every task queued before now has run (the pool is first in, first out)."""
    for done in [hashing.hash_pool().submit(lambda: None) for _ in range(hashing.usable_cpus())]:
        done.result(timeout=30)


@contextlib.contextmanager
def pool_held():
    """Every thread of the hash pool busy until the block ends: a class's sign-ins ahead in the queue."""
    release = threading.Event()
    started = [threading.Event() for _ in range(hashing.usable_cpus())]
    for event in started:
        hashing.hash_pool().submit(lambda event=event: (event.set(), release.wait(30)))
    try:
        for event in started:
            assert event.wait(10)
        yield
    finally:
        release.set()


@pytest.mark.django_db
@override_settings(PASSWORD_HASHERS=[HASHER], PANLEARN_PASSWORD_HASH_WAIT_SECONDS=0.3)
def test_a_sign_in_that_cannot_be_checked_in_time_says_so_and_keeps_the_form(client, hashes_seen):
    from django.contrib.auth.signals import user_login_failed

    from tests.factories import UserFactory

    UserFactory(username="waiting-student")
    hashes_seen.clear()
    failures = []
    user_login_failed.connect(failures.append, dispatch_uid="test-busy")
    try:
        with pool_held():
            answer = client.post(
                "/accounts/login/", {"username": "waiting-student", "password": "correct horse battery staple"}
            )
    finally:
        user_login_failed.disconnect(dispatch_uid="test-busy")
    assert answer.status_code == 503
    assert answer["Retry-After"] == "30"
    page = answer.content.decode()
    assert "Many people are signing in at once" in page
    assert 'value="waiting-student"' in page  # the form comes back filled in
    drain_the_pool()
    assert hashes_seen == []  # the withdrawn check never ran, even once the pool was free
    assert failures == []  # and is not a failed sign-in: no guessing budget spent
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
@override_settings(PASSWORD_HASHERS=[HASHER], PANLEARN_PASSWORD_HASH_WAIT_SECONDS=0.3)
def test_a_sign_up_whose_password_cannot_be_hashed_in_time_saves_nothing_and_says_so(client, mailoutbox):
    from django.contrib.auth import get_user_model

    form = {"username": "new-student", "email": "new-student@example.org", "password1": "a new long secret 42",
            "password2": "a new long secret 42"}  # fmt: skip
    with pool_held():
        answer = client.post("/accounts/sign-up/", form)
    assert answer.status_code == 503
    assert answer["Retry-After"] == "30"
    page = answer.content.decode()
    assert "Many people are signing up at once" in page
    assert 'value="new-student@example.org"' in page  # the form comes back as typed
    assert not get_user_model().objects.filter(username="new-student").exists()
    assert mailoutbox == []
    assert "_auth_user_id" not in client.session
    answer = client.post("/accounts/sign-up/", form)  # a minute later
    assert answer.status_code == 302
    user = get_user_model().objects.get(username="new-student")
    assert user.check_password("a new long secret 42") and user.email == "new-student@example.org"


@pytest.mark.django_db
@override_settings(PASSWORD_HASHERS=[HASHER], PANLEARN_PASSWORD_HASH_WAIT_SECONDS=0.3, PANLEARN_STAFF_MFA=False)
def test_the_admins_sign_in_that_cannot_be_checked_in_time_answers_503_with_a_plain_page(client):
    from tests.factories import UserFactory

    UserFactory(username="busy-trainer", is_staff=True, is_superuser=True)
    with pool_held():
        answer = client.post("/admin/login/", {"username": "busy-trainer", "password": "correct horse battery staple"})
    assert answer.status_code == 503
    assert answer["Retry-After"] == "30"
    assert "nothing was changed or saved" in answer.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
@override_settings(PASSWORD_HASHERS=[HASHER])
def test_a_right_password_whose_hash_upgrade_is_withdrawn_still_signs_in(monkeypatch):
    """A stored hash of fewer iterations is made again at sign-in (Django's setter): a second task. If the
    pool cannot start that one in time, the person is still in; the upgrade waits for the next sign-in."""
    from django.contrib.auth import authenticate

    from tests.factories import UserFactory

    older = PBKDF2PasswordHasher().encode("correct horse battery staple", "salt1234salt", 500_000)
    user = UserFactory(username="older-hash-student")
    user.password = older
    user.save()
    real, tasks = hashing.in_hash_pool, []

    def second_task_withdrawn(function, *args):
        if not getattr(hashing._local, "in_pool", False):
            tasks.append(function.__name__)
            if len(tasks) == 2:
                raise hashing.PasswordCheckBusy()
        return real(function, *args)

    monkeypatch.setattr(hashing, "in_hash_pool", second_task_withdrawn)
    assert authenticate(None, username="older-hash-student", password="correct horse battery staple") == user
    assert tasks == ["_verify_and_pad", "encode"]
    user.refresh_from_db()
    assert user.password == older
    monkeypatch.setattr(hashing, "in_hash_pool", real)  # the next sign-in, with room in the pool
    assert authenticate(None, username="older-hash-student", password="correct horse battery staple") == user
    user.refresh_from_db()
    assert user.password.startswith(f"pbkdf2_sha256${PBKDF2PasswordHasher.iterations}$")


@pytest.mark.django_db
@override_settings(PASSWORD_HASHERS=[HASHER], PANLEARN_PASSWORD_HASH_WAIT_SECONDS=5)
def test_a_check_that_waits_less_than_the_limit_goes_through(client):
    assert hashing.wait_seconds() == 5
    from tests.factories import UserFactory

    UserFactory(username="patient-student")
    release = threading.Event()
    for _ in range(hashing.usable_cpus()):
        hashing.hash_pool().submit(release.wait, 30)
    threading.Timer(0.5, release.set).start()
    answer = client.post(
        "/accounts/login/", {"username": "patient-student", "password": "correct horse battery staple"}
    )
    assert answer.status_code == 302


@override_settings(PANLEARN_PASSWORD_HASH_WAIT_SECONDS=0)
def test_a_wait_of_zero_means_no_limit():
    assert hashing.wait_seconds() is None
