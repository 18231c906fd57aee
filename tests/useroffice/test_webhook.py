"""The webhook against a real loopback receiver: signed events on completion and expiry, retried after a 500."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from onboarding import services as onboarding
from tests.factories import UserFactory
from tests.rebinding import NAME as REBINDING_NAME
from tests.rebinding import counting_listener, rebinding_resolver
from tests.useroffice.conftest import complete
from tests.useroffice.fake_receiver import FakeReceiver
from useroffice import services, signing
from useroffice.models import Webhook, WebhookDelivery

pytestmark = pytest.mark.django_db


@pytest.fixture
def allow_loopback(settings):
    settings.PANLEARN_USEROFFICE_WEBHOOK_ALLOW_PRIVATE = True


def hook(world, url) -> tuple[Webhook, str]:
    return services.webhook_set(facility=world["pds"], url=url)


def check_signed(headers: dict, body: bytes, secret: str) -> None:
    assert signing.verify(secret=secret, body=body, timestamp=headers["X-Panlearn-Timestamp"],
                          given=headers["X-Panlearn-Signature"])  # fmt: skip
    assert headers["X-Panlearn-Signature"].startswith("sha256=")
    assert not signing.verify(secret="wrong", body=body, timestamp=headers["X-Panlearn-Timestamp"],
                              given=headers["X-Panlearn-Signature"])  # fmt: skip
    assert not signing.verify(secret=secret, body=body + b" ", timestamp=headers["X-Panlearn-Timestamp"],
                              given=headers["X-Panlearn-Signature"])  # fmt: skip


def test_a_completion_is_posted_signed(world, allow_loopback, django_capture_on_commit_callbacks):
    with FakeReceiver() as receiver:
        webhook, secret = hook(world, receiver.url)
        with django_capture_on_commit_callbacks(execute=True):
            completion = complete(UserFactory(username="fay", email="fay@example.org"), world["safety"],
                                  ends_in_days=365)  # fmt: skip
    [(headers, body)] = receiver.requests
    check_signed(headers, body, secret)
    event = json.loads(body)
    assert headers["X-Panlearn-Event"] == event["event"] == "completion"
    assert event["completion"] == str(completion.uid) and event["facility"] == "PDS"
    assert event["user"]["email"] == "fay@example.org" and event["programme"]["name"] == "General safety"
    assert event["valid_until"].startswith(completion.valid_until.date().isoformat())
    delivery = WebhookDelivery.objects.get()
    assert (delivery.attempts, delivery.last_status, delivery.delivered_at is not None) == (1, 200, True)
    webhook.refresh_from_db()
    assert webhook.last_status == 200


def test_a_500_is_retried_with_the_same_signed_body(world, allow_loopback, django_capture_on_commit_callbacks):
    with FakeReceiver(script=(500,)) as receiver:
        _, secret = hook(world, receiver.url)
        with django_capture_on_commit_callbacks(execute=True):
            complete(UserFactory(username="gus"), world["safety"], ends_in_days=365)
        delivery = WebhookDelivery.objects.get()
        assert (delivery.attempts, delivery.last_status, delivery.delivered_at) == (1, 500, None)
        assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=50)  # backoff
        assert services.webhook_due() == []  # not yet
        later = delivery.next_attempt_at + timedelta(seconds=1)
        assert services.webhook_due(now=later) == [delivery.pk]
        services.webhook_attempt(delivery.pk, now=later)
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.last_status, delivery.delivered_at) == (2, 200, later)
    assert [body for _, body in receiver.requests] == [delivery.body.encode()] * 2
    for headers, body in receiver.requests:
        check_signed(headers, body, secret)


def test_gives_up_after_the_configured_attempts(world, allow_loopback, settings, django_capture_on_commit_callbacks):
    settings.PANLEARN_USEROFFICE_WEBHOOK_ATTEMPTS = 2
    with FakeReceiver(script=(503, 503, 503)) as receiver:
        hook(world, receiver.url)
        with django_capture_on_commit_callbacks(execute=True):
            complete(UserFactory(username="hal"), world["safety"], ends_in_days=365)
        delivery = WebhookDelivery.objects.get()
        services.webhook_attempt(delivery.pk, now=delivery.next_attempt_at)
    delivery.refresh_from_db()
    assert delivery.attempts == 2 and delivery.given_up_at is not None and delivery.next_attempt_at is None
    assert len(receiver.requests) == 2


def test_an_expiry_recorded_by_the_sweep_is_announced(world, allow_loopback, django_capture_on_commit_callbacks):
    """The sweep sends onboarding's completion_expired signal: the webhook fires at once, and the
    scheduled task (the safety net for anything missed) announces nothing twice."""
    from useroffice.tasks import retry_webhooks

    with FakeReceiver() as receiver:
        _, secret = hook(world, receiver.url)
        with django_capture_on_commit_callbacks(execute=True):
            expired = complete(UserFactory(username="ivy"), world["safety"], ends_in_days=-1)
        receiver.requests.clear()
        with django_capture_on_commit_callbacks(execute=True):
            onboarding.expiry_sweep()
        assert len(receiver.requests) == 2
        with django_capture_on_commit_callbacks(execute=True):
            retry_webhooks.enqueue()  # nothing twice
    events = [json.loads(body) for _, body in receiver.requests]
    bobs = world["safety"].completions.get(user__username="bob")  # expired 5 days ago, recorded by this sweep
    assert sorted((e["event"], e["completion"]) for e in events) == sorted(
        [("expiry", str(expired.uid)), ("expiry", str(bobs.uid))])  # fmt: skip
    assert all(e["expired_at"] for e in events)
    check_signed(*receiver.requests[0], secret)


def test_an_expiry_saved_on_the_row_fires_through_the_signal(world, allow_loopback, django_capture_on_commit_callbacks):
    with FakeReceiver() as receiver:
        hook(world, receiver.url)
        with django_capture_on_commit_callbacks(execute=True):
            completion = complete(UserFactory(username="jo"), world["safety"], ends_in_days=-1)
        with django_capture_on_commit_callbacks(execute=True):
            completion.expiry_recorded_at = timezone.now()
            completion.save()
    assert [json.loads(body)["event"] for _, body in receiver.requests] == ["completion", "expiry"]


def test_no_webhook_no_event_and_other_facilities_are_not_told(world, allow_loopback,
                                                               django_capture_on_commit_callbacks):  # fmt: skip
    with FakeReceiver() as receiver:
        hook(world, receiver.url)
        with django_capture_on_commit_callbacks(execute=True):
            complete(UserFactory(username="kim"), world["theirs"], ends_in_days=365)
    assert receiver.requests == [] and not WebhookDelivery.objects.exists()


def test_loopback_urls_are_refused_unless_allowed(world, django_capture_on_commit_callbacks):
    with FakeReceiver() as receiver:
        hook(world, receiver.url)
        with django_capture_on_commit_callbacks(execute=True):
            complete(UserFactory(username="lou"), world["safety"], ends_in_days=365)
    delivery = WebhookDelivery.objects.get()
    assert receiver.requests == [] and "not an https URL" in delivery.last_error and delivery.delivered_at is None
    assert "private or local address" in services._refused_host("https://127.0.0.1:8443/hook")
    assert "private or local address" in services._refused_host("https://[::1]/hook")
    # NAT64 and 6to4 addresses carry an IPv4 address to a gateway: a loopback one inside is refused too.
    assert "leads to the private or local address 127.0.0.1" in services._refused_host("https://[64:ff9b::7f00:1]/")
    assert "leads to the private or local address 10.0.0.1" in services._refused_host("https://[2002:a00:1::1]/")


def test_a_name_that_rebinds_to_loopback_never_reaches_it(world, monkeypatch, settings):
    """Checked, then resolved again by the client, a rebinding name reached a loopback service and its error text
    was shown on the webhook page (review of 2026-12-04). The request now goes to the address that was checked."""
    settings.PANLEARN_USEROFFICE_WEBHOOK_TIMEOUT = 1
    rebinding_resolver(monkeypatch)
    with counting_listener() as (port, connections):
        hook(world, f"https://{REBINDING_NAME}:{port}/hook")
        completion = complete(UserFactory(username="reb"), world["safety"], ends_in_days=365)
        delivery = services.webhook_event(completion=completion, event="completion") or WebhookDelivery.objects.get()
        services.webhook_attempt(delivery.pk)
    delivery.refresh_from_db()
    assert connections == [], "the webhook connected to the loopback listener"
    assert delivery.delivered_at is None and delivery.last_error


def test_staff_set_up_their_webhook_and_see_the_secret_once(client, world):
    staff = UserFactory(username="pds-staff")
    onboarding.facility_staff_add(facility=world["pds"], user=staff)
    client.force_login(staff)
    response = client.post(f"/admin/useroffice/webhooks/{world['pds'].pk}/", {"url": "https://uo.example.org/hook",
                                                                              "is_active": "on"})  # fmt: skip
    webhook = Webhook.objects.get()
    assert webhook.secret in response.content.decode()
    assert webhook.secret not in client.get(f"/admin/useroffice/webhooks/{world['pds'].pk}/").content.decode()
    assert client.get(f"/admin/useroffice/webhooks/{world['oth'].pk}/").status_code == 404
