"""Delivery from the outbox to a loopback fake LRS: 200, 400 (split), 409, 500 (retry), timeouts, kills."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import UserFactory
from tests.tracking.samples import FRAME
from tracking import delivery
from tracking.models import Delivery, DeliveryStatus, OutboxStatement, StoredStatement
from tracking.services import statements_record
from tracking.targets import LrsTarget
from tracking.xapi import builders
from tracking.xapi.models import Account, Agent

pytestmark = pytest.mark.django_db


def _actor(name: str) -> Agent:
    return Agent(account=Account(homePage="https://learn.example.org", name=name))


def _record(count: int, *, actor: str = "a", start: int = 0) -> list[str]:
    frame = builders.Frame(actor=_actor(actor), timestamp=FRAME.timestamp, language="en-GB", course=FRAME.course)
    statements = [builders.enrolled(frame, event_key=f"{actor}:{n}") for n in range(start, start + count)]
    statements_record(statements)
    return [str(statement.id) for statement in statements]


def _deliver(lrs, *, batch_size: int = 100) -> delivery.Report:
    target = LrsTarget(**lrs.config())
    try:
        return delivery.deliver_target(target, batch_size=batch_size)
    finally:
        target.close()


def _status(status: str) -> int:
    return Delivery.objects.filter(status=status).count()


def _make_due() -> None:
    Delivery.objects.filter(status=DeliveryStatus.PENDING).update(available_at=timezone.now())


def test_batches_carry_basic_auth_and_the_version_header(lrs):
    ids = _record(5)
    report = _deliver(lrs, batch_size=2)
    assert report.delivered == 5 and len(lrs.received) == 3
    assert lrs.ids_received() == ids  # in the order the events happened
    assert set(lrs.stored) == set(ids)
    assert all(headers["X-Experience-API-Version"] == "1.0.3" for headers in lrs.headers)
    assert _status(DeliveryStatus.DELIVERED) == 5


def test_a_400_splits_the_batch_and_dead_letters_only_the_bad_statement(lrs):
    ids = _record(8)
    bad = ids[5]
    lrs.script = lambda statements: 400 if any(s["id"] == bad for s in statements) else 200
    _deliver(lrs)
    assert set(lrs.stored) == set(ids) - {bad}
    dead = Delivery.objects.get(status=DeliveryStatus.DEAD)
    assert str(dead.statement.statement_id) == bad and "HTTP 400" in dead.last_error
    assert _status(DeliveryStatus.DELIVERED) == 7
    assert len(lrs.received) <= 1 + 2 * 3  # halving: a handful of requests, not one per statement


def test_a_409_counts_as_delivered_when_the_lrs_holds_the_id(lrs):
    ids = _record(4)
    already = OutboxStatement.objects.get(statement_id=ids[2]).payload
    lrs.stored[ids[2]] = already  # sent before, e.g. by a worker that died before marking it
    _deliver(lrs)
    assert _status(DeliveryStatus.DELIVERED) == 4
    assert set(lrs.stored) == set(ids)


def test_a_409_for_an_id_the_lrs_does_not_hold_is_a_dead_letter(lrs):
    ids = _record(2)
    lrs.script = lambda statements: 409 if any(s["id"] == ids[0] for s in statements) else 200
    _deliver(lrs)
    assert Delivery.objects.get(status=DeliveryStatus.DEAD).statement.statement_id.hex == ids[0].replace("-", "")
    assert set(lrs.stored) == {ids[1]}


def test_a_500_retries_with_growing_backoff_then_dead_letters_and_the_admin_resends(lrs, admin_client):
    ids = _record(3)
    lrs.script = lambda statements: 500
    before = timezone.now()
    _deliver(lrs)
    row = Delivery.objects.first()
    assert row.status == DeliveryStatus.PENDING and row.attempts == 1
    assert timedelta(seconds=4) < row.available_at - before < timedelta(seconds=7)  # base 5 s
    assert _deliver(lrs).batches == 0  # not due yet: nothing is sent
    _make_due()
    _deliver(lrs)
    row.refresh_from_db()
    assert row.attempts == 2 and timedelta(seconds=8) < row.available_at - timezone.now() < timedelta(seconds=11)
    _make_due()
    _deliver(lrs)  # the third failure uses up PANLEARN_TRACKING_MAX_ATTEMPTS = 3
    assert _status(DeliveryStatus.DEAD) == 3 and "HTTP 500" in Delivery.objects.first().last_error

    page = admin_client.get(reverse("panlearn_tracking_dead_letters"))
    assert page.status_code == 200 and ids[0] in page.content.decode()
    lrs.script = lambda statements: 200
    response = admin_client.post(reverse("panlearn_tracking_resend"), {"all": "1"})
    assert response.status_code == 302  # queued again with fresh attempts, and a delivery run started
    assert _status(DeliveryStatus.DELIVERED) == 3 and set(lrs.stored) == set(ids)


def test_students_cannot_see_dead_letters(client):
    client.force_login(UserFactory())
    assert client.get(reverse("panlearn_tracking_dead_letters")).status_code in (302, 403)


def test_a_timeout_is_retried_and_the_late_copy_is_not_duplicated(lrs):
    ids = _record(3)
    lrs.delay = 1.0  # the client gives up after 0.5 s; the LRS still stores the batch
    report = _deliver(lrs)
    assert report.retried == 3 and "timed out" in Delivery.objects.first().last_error
    lrs.delay = 0
    _make_due()
    for _ in range(50):  # the late request finishes storing
        if len(lrs.stored) == 3:
            break
        import time

        time.sleep(0.05)
    _deliver(lrs)
    assert _status(DeliveryStatus.DELIVERED) == 3
    assert sorted(lrs.stored) == sorted(ids)


class Killed(BaseException):
    """Stands for SIGKILL: nothing after it runs, no except clause catches it."""


@pytest.mark.parametrize("moment", ["before sending", "after the LRS stored the batch"])
def test_a_worker_killed_mid_batch_loses_and_duplicates_nothing(lrs, monkeypatch, moment):
    ids = _record(6)
    _record(4, actor="b")
    real_send, real_mark = LrsTarget.send, delivery._mark_delivered

    def die(*args, **kwargs):
        raise Killed

    if moment == "before sending":
        monkeypatch.setattr(LrsTarget, "send", die)
    else:
        monkeypatch.setattr(delivery, "_mark_delivered", die)
    with pytest.raises(Killed):
        _deliver(lrs, batch_size=4)
    leased = Delivery.objects.exclude(lease_owner="")
    assert leased.count() == 4 and _status(DeliveryStatus.PENDING) == 10

    monkeypatch.setattr(LrsTarget, "send", real_send)
    monkeypatch.setattr(delivery, "_mark_delivered", real_mark)
    _deliver(lrs, batch_size=4)  # another worker: the leased rows' actor waits for the lease
    assert _status(DeliveryStatus.PENDING) == 6
    Delivery.objects.exclude(lease_owner="").update(lease_until=timezone.now() - timedelta(seconds=1))
    _deliver(lrs, batch_size=4)
    assert _status(DeliveryStatus.DELIVERED) == 10
    assert len(lrs.stored) == 10 and set(ids) <= set(lrs.stored)
    assert all(lrs.stored[i] == OutboxStatement.objects.get(statement_id=i).payload for i in ids)


def test_order_per_actor_is_kept_when_a_statement_must_wait(lrs):
    first_a = _record(1, actor="a")[0]
    _record(2, actor="b")
    later_a = _record(2, actor="a", start=1)
    lrs.script = lambda statements: 500 if any(s["id"] == first_a for s in statements) else 200
    _deliver(lrs, batch_size=1)
    _deliver(lrs, batch_size=1)  # b goes ahead; a's later statements wait behind the first
    assert not set(later_a) & set(lrs.stored) and len(lrs.stored) == 2
    lrs.script = lambda statements: 200
    _make_due()
    _deliver(lrs, batch_size=1)
    sent = [i for i in lrs.ids_received() if i in {first_a, *later_a}]
    assert sent[-3:] == [first_a, *later_a]


def test_two_workers_never_hold_the_same_row():
    for actor in "abcd":
        _record(2, actor=actor)
    first = delivery.claim("builtin", owner="one", limit=3)
    second = delivery.claim("builtin", owner="two", limit=10)
    assert {row.pk for row in first}.isdisjoint({row.pk for row in second})
    held = {row.actor_key for row in first}
    assert not held & {row.actor_key for row in second}  # an actor's statements stay with one worker


def test_the_built_in_store_is_fed_exactly_once():
    ids = _record(5)
    delivery.deliver_all()
    assert StoredStatement.objects.count() == 5
    Delivery.objects.update(status=DeliveryStatus.PENDING)  # as if the worker died before marking
    delivery.deliver_all()
    assert sorted(str(s) for s in StoredStatement.objects.values_list("statement_id", flat=True)) == sorted(ids)
    assert _status(DeliveryStatus.DELIVERED) == 5


def test_delivery_runs_as_a_task_after_the_commit(lrs, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        ids = _record(2)
    assert len(callbacks) == 1  # one run per transaction, not per statement
    assert set(lrs.stored) == set(ids)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # its flush must not renumber content types
def test_a_worker_process_killed_with_sigkill_mid_request_loses_and_duplicates_nothing(lrs, settings, monkeypatch):
    """A real worker process, killed while its batch is in flight (the LRS stores it after the kill): the
    rows stay leased, a later run sends them again, and the LRS ends with one copy of every statement."""
    import os
    import signal
    import time

    from django.db import connections

    from tracking import services

    monkeypatch.setattr(services, "schedule_delivery", lambda: None)  # no delivery at commit: the worker does it
    ids = _record(6) + _record(4, actor="b")
    settings.PANLEARN_TRACKING_HTTP_TIMEOUT = 30  # the worker waits for the LRS: it dies waiting
    lrs.delay = 1.0
    connections.close_all()  # the child opens its own connection
    pid = os.fork()
    if pid == 0:  # the worker
        try:
            _deliver(lrs, batch_size=4)
        finally:
            os._exit(0)
    time.sleep(0.5)  # it has claimed its batches and waits for the LRS
    in_flight = len(lrs.headers)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    assert in_flight >= 1 and not lrs.stored  # killed mid-request: the LRS has not stored anything yet
    for _ in range(100):  # now the LRS stores what the dead worker sent
        if lrs.stored:
            break
        time.sleep(0.05)
    lrs.delay = 0.0
    assert lrs.stored and _status(DeliveryStatus.DELIVERED) == 0  # stored there, not marked here
    Delivery.objects.exclude(lease_owner="").update(lease_until=timezone.now() - timedelta(seconds=1))
    for _ in range(5):
        _deliver(lrs, batch_size=4)
    assert _status(DeliveryStatus.DELIVERED) == 10 and _status(DeliveryStatus.DEAD) == 0
    assert sorted(lrs.stored) == sorted(ids)  # nothing lost, one copy each
    assert all(lrs.stored[i] == OutboxStatement.objects.get(statement_id=i).payload for i in ids)
