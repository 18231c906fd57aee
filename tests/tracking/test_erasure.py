"""Erasure (GDPR): statements made by the real services, delivered to the built-in store and a loopback
LRS, then erased for one user: theirs go, everyone else's stay, and the audit record names nobody."""

import json
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.forms.models import model_to_dict
from django.urls import reverse

from courses import services as courses
from exercises.gradebook import override_set
from exercises.models import Exercise, QuizQuestion, SubmissionKind
from exercises.submissions import submission_create
from tests.factories import UserFactory
from tests.tracking.fake_lrs import FakeLrs
from tracking import delivery, identity, interface
from tracking.erasure import REDACTED, erase_statements
from tracking.models import Delivery, DeliveryStatus, ErasureRecord, OutboxStatement, StoredStatement
from tracking.xapi import vocabulary as v

pytestmark = pytest.mark.django_db
AUTH = {"HTTP_AUTHORIZATION": "Basic cGFubGVhcm46dGVzdC14YXBpLXBhc3N3b3Jk", "HTTP_X_EXPERIENCE_API_VERSION": "1.0.3"}


@pytest.fixture
def lrs(settings):
    """The built-in store and a loopback LRS, both fed by the outbox."""
    with FakeLrs() as fake:
        settings.PANLEARN_TRACKING_LRS = [fake.config("partner-lrs")]
        settings.PANLEARN_TRACKING_STORE_ENABLED = True
        settings.PANLEARN_TRACKING_HTTP_TIMEOUT = 2
        yield fake


@pytest.fixture
def quiz(db):
    quiz = Exercise.objects.create(title="Which probe?", kind="quiz", prompt="Pick one.")
    QuizQuestion.objects.create(exercise=quiz, kind="single", points=1, sort_order=0, prompt="Which sees hydrogen?",
                                spec={"options": [{"id": "a", "text": "X-rays"},
                                                  {"id": "b", "text": "Neutrons", "correct": True}]})  # fmt: skip
    return quiz


@pytest.fixture
def people(db):
    return {
        "ada": UserFactory(username="ada", email="ada.lovelace@example.org", first_name="Ada", last_name="Lovelace"),
        "bob": UserFactory(username="bob"),
        "tess": UserFactory(username="tess"),
    }


def _learn(user, course, lessons, quiz, *, answer: str) -> None:
    """What a student does, through the services the site calls."""
    courses.enrolment_create(user=user, course=course)
    courses.lesson_complete(user=user, lesson=lessons[0])
    interface.cell_ran(
        user=user, lesson=lessons[0], course=lessons[0].course, cell_id="c1", status="ok", duration_ms=12
    )
    question = str(quiz.questions.get().pk)
    submission_create(user=user, exercise=quiz, kind=SubmissionKind.SUBMIT, course=course, answers={question: answer})


@pytest.fixture
def history(lrs, people, course, lessons, quiz):
    """Two students learn, the trainer overrides Ada's grade, everything is delivered; then Ada does
    one more thing, which waits in the outbox."""
    _learn(people["ada"], course, lessons, quiz, answer="a")
    _learn(people["bob"], course, lessons, quiz, answer="b")
    override_set(exercise=quiz, user=people["ada"], points=Decimal("1"), comment="Fair enough.", by=people["tess"])
    override_set(exercise=quiz, user=people["bob"], points=Decimal("0.5"), comment="Half.", by=people["tess"])
    delivery.deliver_all()
    courses.lesson_complete(user=people["ada"], lesson=lessons[1])  # not delivered yet
    return people


def _key(user) -> str:
    return identity.actor_key(identity.actor_for(user).as_json())


def _stored_ids(**filters) -> set[str]:
    return {str(i) for i in StoredStatement.objects.filter(**filters).values_list("statement_id", flat=True)}


def _outbox_ids(**filters) -> set[str]:
    return {str(i) for i in OutboxStatement.objects.filter(**filters).values_list("statement_id", flat=True)}


def test_erasure_removes_exactly_that_users_statements(history, lrs):
    ada, bob, tess = history["ada"], history["bob"], history["tess"]
    ada_outbox = _outbox_ids(user=ada)
    bob_outbox, bob_stored = _outbox_ids(user=bob), _stored_ids(statement_id__in=_outbox_ids(user=bob))
    others_deliveries = Delivery.objects.exclude(statement__user=ada).count()
    assert bob_stored == bob_outbox  # Bob's statements are all in the store
    # Ada's record in the store includes the trainer's voids of her first grade (the trainer is their actor).
    ada_voids = _stored_ids(verb=v.VOIDED, statement_id__in=ada_outbox)
    assert ada_voids and all(StoredStatement.objects.get(statement_id=i).actor_key == _key(tess) for i in ada_voids)
    pending = Delivery.objects.filter(statement__user=ada, status=DeliveryStatus.PENDING).count()
    assert pending == 4  # the lesson done after delivery: completed + progressed, to both targets
    sent_to_lrs = Delivery.objects.filter(statement__user=ada, target="partner-lrs", status="delivered").count()

    record = erase_statements(ada, requested_by="the data subject", reason="Art. 17 request, ticket 42")

    assert not OutboxStatement.objects.filter(user=ada).exists()
    assert not StoredStatement.objects.filter(actor_key=_key(ada)).exists()
    assert not _stored_ids(statement_id__in=ada_outbox)  # her voided grade and its voids too
    assert not StoredStatement.objects.filter(verb=v.VOIDED, object_iri__in=ada_outbox).exists()
    assert _outbox_ids(user=bob) == bob_outbox and _stored_ids(statement_id__in=bob_outbox) == bob_stored
    assert Delivery.objects.count() == others_deliveries
    assert record.counts["outbox_statements"] == len(ada_outbox)
    assert record.counts["stored_statements"] == len(ada_outbox) - 2  # the two waiting ones never arrived
    assert record.counts["deliveries_unsent"] == pending and record.counts["in_flight"] == 0
    assert record.external_lrs == {"partner-lrs": {"received": sent_to_lrs, "in_flight": 0}}
    assert record.actor_pseudonym == identity.pseudonym(ada.pk)

    batches = len(lrs.received)
    delivery.deliver_all()  # the statements that were waiting are never sent
    assert not {s["id"] for batch in lrs.received[batches:] for s in batch} & ada_outbox
    assert not StoredStatement.objects.filter(actor_key=_key(ada)).exists()


def test_the_audit_record_names_nobody(history):
    ada = history["ada"]
    operator = UserFactory(username="dpo", is_superuser=True)
    record = erase_statements(ada, requested_by="Ada Lovelace herself, by mail from ada.lovelace@example.org",
                              reason="ada asked on 2026-11-20 (ADA LOVELACE)", performed_by=operator,
                              via="admin")  # fmt: skip
    text = json.dumps(model_to_dict(ErasureRecord.objects.get(pk=record.pk)), default=str).lower()
    for personal in ("ada", "lovelace", "ada.lovelace@example.org", str(ada.email)):
        assert personal not in text.replace(REDACTED.lower(), "")
    assert record.requested_by.startswith(f"{REDACTED} herself")
    assert record.performed_by == operator and record.performed_by_label == "dpo"
    assert record.reason == f"{REDACTED} asked on 2026-11-20 ({REDACTED})"


def test_a_trainers_erasure_keeps_the_students_records_that_name_them(history):
    ada, bob, tess = history["ada"], history["bob"], history["tess"]
    before = {u: (_outbox_ids(user=u), _stored_ids(statement_id__in=_outbox_ids(user=u))) for u in (ada, bob)}
    record = erase_statements(tess, requested_by="the data subject", reason="left the institute")
    after = {u: (_outbox_ids(user=u), _stored_ids(statement_id__in=_outbox_ids(user=u))) for u in (ada, bob)}
    assert after == before  # her overrides and voids are the students' record: kept
    assert record.counts["outbox_statements"] == 0 and record.counts["stored_statements"] == 0
    assert record.counts["kept_stored_as_instructor"] == 4  # scored + passed/failed, for each of the two overrides
    assert record.counts["kept_stored_as_voider"] == 4  # each student's graded submission: scored, passed/failed
    assert record.counts["kept_outbox_as_voider"] == 4


def test_statements_other_clients_posted_under_the_users_email_are_erased(history, client):
    ada = history["ada"]
    body = {
        "actor": {"objectType": "Agent", "mbox": f"mailto:{ada.email}"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/attended"},
        "object": {"objectType": "Activity", "id": "https://elsewhere.example.org/workshop"},
    }
    about = {**body, "actor": {"objectType": "Agent", "mbox": "mailto:mentor@example.org"},
             "object": {"objectType": "Agent", "mbox": f"mailto:{ada.email}"}}  # fmt: skip
    response = client.post("/xapi/statements", json.dumps([body, about]), content_type="application/json", **AUTH)
    assert response.status_code == 200
    void = {"actor": {"objectType": "Agent", "mbox": "mailto:mentor@example.org"},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
            "object": {"objectType": "StatementRef", "id": response.json()[0].upper()}}  # fmt: skip
    voided = client.post("/xapi/statements", json.dumps(void), content_type="application/json", **AUTH)
    erase_statements(ada, requested_by="the data subject", reason="request")
    assert not _stored_ids(statement_id__in=response.json() + voided.json())  # the void of hers goes too


def test_statements_in_flight_are_counted_and_named(history):
    ada = history["ada"]
    claimed = delivery.claim("partner-lrs", owner="worker-1", limit=100)
    assert claimed  # a worker is sending Ada's waiting statements right now
    record = erase_statements(ada, requested_by="the data subject", reason="request")
    assert record.counts["in_flight"] == len(claimed)
    assert record.external_lrs["partner-lrs"]["in_flight"] == len(claimed)


def test_a_deleted_account_is_erased_by_its_id(history):
    bob = history["bob"]
    bob_id, bob_outbox = bob.pk, _outbox_ids(user=bob)
    bob.delete()  # OutboxStatement.user is SET_NULL: the statements stay, under the pseudonym
    assert _outbox_ids(user__isnull=True) >= bob_outbox
    out = StringIO()
    call_command("tracking", "erase", "--user", str(bob_id), "--reason", "account closed", stdout=out)
    assert not OutboxStatement.objects.filter(statement_id__in=bob_outbox).exists()
    assert not _stored_ids(statement_id__in=bob_outbox)
    assert _outbox_ids(user=history["ada"])  # Ada's stay
    assert identity.pseudonym(bob_id) in out.getvalue()


def test_the_command_erases_and_names_the_lrs_to_ask(history):
    ada = history["ada"]
    out = StringIO()
    call_command("tracking", "erase", "--user", "ada", "--reason", "request", "--dry-run", stdout=out)
    assert "would erase" in out.getvalue() and OutboxStatement.objects.filter(user=ada).exists()
    assert not ErasureRecord.objects.exists()
    call_command("tracking", "erase", "--user", "ada", "--reason", "request", "--requested-by", "ticket 7", stdout=out)
    record = ErasureRecord.objects.get()
    assert record.performed_via == "command" and record.requested_by == "ticket 7"
    assert not OutboxStatement.objects.filter(user=ada).exists()
    assert "partner-lrs" in out.getvalue() and record.actor_pseudonym in out.getvalue()
    with pytest.raises(Exception, match="no user"):
        call_command("tracking", "erase", "--user", "nobody", "--reason", "x")


def test_superusers_erase_in_the_admin(history, client):
    ada = history["ada"]
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(admin)
    url = reverse("panlearn_tracking_erasure")
    assert "Erase learning records" in client.get(reverse("wagtailadmin_home")).content.decode()  # in the menu
    form = {"user": "ada", "requested_by": "ticket 9", "reason": "request"}
    preview = client.post(url, form)
    assert preview.status_code == 200 and identity.pseudonym(ada.pk) in preview.content.decode()
    assert OutboxStatement.objects.filter(user=ada).exists()  # a preview changes nothing
    done = client.post(url, {**form, "confirm": "1"})
    assert done.status_code == 302 and not OutboxStatement.objects.filter(user=ada).exists()
    record = ErasureRecord.objects.get()
    assert record.performed_by == admin and record.performed_via == "admin"
    assert record.actor_pseudonym in client.get(url).content.decode()


def test_only_superusers_may_erase(history, client):
    url = reverse("panlearn_tracking_erasure")
    editor = UserFactory(username="editor", is_staff=True)
    editor.user_permissions.add(Permission.objects.get(codename="access_admin"))
    editor.user_permissions.add(Permission.objects.get(codename="change_delivery"))
    client.force_login(editor)
    assert client.get(reverse("panlearn_tracking_dead_letters")).status_code == 200  # an admin user, not a superuser
    refused = client.post(url, {"user": "ada", "requested_by": "x", "reason": "x", "confirm": "1"})
    assert refused.status_code == 302 and refused.url == reverse("wagtailadmin_home")  # Wagtail's "permission denied"
    assert "Erase learning records" not in client.get(reverse("wagtailadmin_home")).content.decode()
    client.force_login(history["bob"])
    response = client.post(url, {"user": "ada", "requested_by": "x", "reason": "x", "confirm": "1"})
    assert response.status_code == 302 and "login" in response.url
    assert OutboxStatement.objects.filter(user=history["ada"]).exists() and not ErasureRecord.objects.exists()
