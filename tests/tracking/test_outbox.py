"""Events become outbox rows in the event's own transaction, through the interface other apps call."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.utils import timezone

from courses import services as courses
from courses.models import Enrolment
from exercises.models import Exercise, GradeOverride, Submission
from tests.factories import UserFactory
from tracking import identity, interface
from tracking.models import Delivery, OutboxStatement
from tracking.xapi import vocabulary as v
from tracking.xapi.models import Statement

pytestmark = pytest.mark.django_db


def _verbs(user=None) -> list[str]:
    rows = OutboxStatement.objects.order_by("pk")
    if user is not None:
        rows = rows.filter(user=user)
    return [verb.rsplit("/", 1)[1] for verb in rows.values_list("verb", flat=True)]


def _payloads(verb: str) -> list[dict]:
    return [row.payload for row in OutboxStatement.objects.filter(verb=verb).order_by("pk")]


def test_enrolment_records_registered_with_a_pseudonymous_account(course, student):
    courses.enrolment_create(user=student, course=course)
    (payload,) = _payloads(v.REGISTERED)
    Statement.model_validate(payload)
    account = payload["actor"]["account"]
    assert account == {"homePage": "http://testserver", "name": identity.pseudonym(student.pk)}
    assert student.username not in str(payload) and student.email not in str(payload)
    enrolment = Enrolment.objects.get(user=student, course=course)
    assert payload["context"]["registration"] == str(enrolment.registration)  # the enrolment's own, one source
    assert enrolment.registration == identity.registration_for(user_id=student.pk, course_id=course.pk)
    assert payload["object"]["id"] == f"http://testserver/xapi/activities/course/{course.pk}"
    assert Delivery.objects.filter(statement__verb=v.REGISTERED, target="builtin").count() == 1


def test_mbox_actor_by_setting(course, student, settings):
    settings.PANLEARN_TRACKING_ACTOR = "mbox"
    courses.enrolment_create(user=student, course=course)
    assert _payloads(v.REGISTERED)[0]["actor"]["mbox"] == f"mailto:{student.email}"


def test_lessons_done_record_completion_progress_and_course_completion(course, lessons, student):
    courses.enrolment_create(user=student, course=course)
    for lesson in lessons:
        courses.lesson_complete(user=student, lesson=lesson)
    courses.lesson_uncomplete(user=student, lesson=lessons[0])
    progress = [p["result"]["extensions"][v.PROGRESS] for p in _payloads(v.PROGRESSED)]
    assert progress == [33, 67, 100, 67]
    completed = [p["object"]["id"].rsplit("/", 2)[1] for p in _payloads(v.COMPLETED)]
    assert completed == ["lesson", "lesson", "lesson", "course"]
    registrations = {row.payload["context"]["registration"] for row in OutboxStatement.objects.all()}
    assert len(registrations) == 1  # one registration for the whole enrolment


def test_one_delivery_run_is_queued_per_transaction(course, lessons, student, django_capture_on_commit_callbacks):
    from tracking.services import schedule_delivery_once

    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        courses.enrolment_create(user=student, course=course)
        for lesson in lessons:
            courses.lesson_complete(user=student, lesson=lesson)
    assert OutboxStatement.objects.count() > 4  # many statements ...
    assert [callback for callback in callbacks if callback is schedule_delivery_once] == [schedule_delivery_once]


def test_transactions_share_a_delivery_run_that_has_not_started(monkeypatch):
    """On a broker, a run already queued and not started reads what later commits write: no second run. Once
    it starts (and clears the mark), the next commit queues another; a run that could not be queued leaves
    no mark."""
    from tracking import services, tasks

    queued = []
    monkeypatch.setattr(services, "schedule_delivery", lambda: queued.append(1) or True)
    services.schedule_delivery_once()
    services.schedule_delivery_once()
    assert len(queued) == 1
    monkeypatch.setattr(tasks.delivery, "deliver_all", lambda: {})
    tasks.deliver_statements.call()  # the run starts: the mark goes before it reads the outbox
    services.schedule_delivery_once()
    assert len(queued) == 2
    tasks.deliver_statements.call()
    monkeypatch.setattr(services, "schedule_delivery", lambda: False)  # the queue is down
    services.schedule_delivery_once()
    monkeypatch.setattr(services, "schedule_delivery", lambda: queued.append(1) or True)
    services.schedule_delivery_once()
    assert len(queued) == 3


def test_an_event_rolled_back_leaves_no_statement(course, student):
    with pytest.raises(RuntimeError), transaction.atomic():
        courses.enrolment_create(user=student, course=course)
        raise RuntimeError("the event failed after recording")
    assert not OutboxStatement.objects.exists() and not Delivery.objects.exists()


def test_a_failure_to_record_never_reaches_the_caller(course, student, monkeypatch):
    def broken(**kwargs):
        raise ValueError("boom")

    monkeypatch.setattr("tracking.services.record_enrolment", broken)
    with transaction.atomic():
        enrolment = courses.enrolment_create(user=student, course=course)
        enrolment.refresh_from_db()  # the caller's transaction is still usable (PostgreSQL too)
    assert enrolment.is_active and not OutboxStatement.objects.exists()


def test_cell_runs_of_students_only_and_without_code_by_default(lessons, student, settings):
    interface.cell_ran(user=AnonymousUser(), lesson=lessons[0], course=lessons[0].course, cell_id="c1", status="ok")
    assert not OutboxStatement.objects.exists()
    interface.cell_ran(
        user=student, lesson=lessons[0], course=lessons[0].course, cell_id="c1", status="ok", duration_ms=42, code="1+1"
    )
    settings.PANLEARN_TRACKING_INCLUDE_CODE = True
    interface.cell_ran(
        user=student, lesson=lessons[0], course=lessons[0].course, cell_id="c1", status="error", code="1/0"
    )
    first, second = _payloads(v.EXECUTED)
    assert v.CODE not in first["result"]["extensions"] and first["result"]["duration"] == "PT0.042S"
    assert second["result"]["extensions"][v.CODE] == "1/0" and second["result"]["success"] is False
    assert first["context"]["contextActivities"]["parent"][0]["id"].endswith(f"/lesson/{lessons[0].pk}")
    assert first["id"] != second["id"]


@pytest.fixture
def exercise(db):
    return Exercise.objects.create(title="Lattice spacing", solution_code="d = 1")


def _graded(exercise, student, course, points: str, attempt: int = 1) -> Submission:
    now = timezone.now()
    return Submission.objects.create(
        exercise=exercise, user=student, course=course, kind="submit", attempt=attempt, code="d = 1",
        content_hash="x", exercise_version=1, status="graded", grading_started_at=now, graded_at=now,
        points=Decimal(points), raw_points=Decimal(points), possible=Decimal("10"),
    )  # fmt: skip


def test_answer_grade_and_override_void_the_replaced_grade(exercise, student, course, settings):
    settings.PANLEARN_TRACKING_PASS_THRESHOLD = 0.5
    submission = _graded(exercise, student, course, "4")
    interface.exercise_answered(submission)
    interface.exercise_graded(submission)
    interface.exercise_graded(submission)  # a duplicate task: same ids, nothing new
    assert _verbs() == ["answered", "scored", "failed"]
    answered = _payloads(v.ANSWERED)[0]
    assert answered["result"]["response"] == "d = 1"
    assert answered["context"]["contextActivities"]["parent"][0]["id"].endswith(f"/course/{course.pk}")
    grade_ids = {str(row.statement_id) for row in OutboxStatement.objects.filter(verb__in=(v.SCORED, v.FAILED))}

    trainer = UserFactory(username="trainer")
    override = GradeOverride.objects.create(exercise=exercise, user=student, points=Decimal("8"),
                                            comment="Units were right.", set_by=trainer)  # fmt: skip
    interface.grade_overridden(override, previous_points=Decimal("4"))
    assert _verbs()[3:] == ["voided", "voided", "scored", "passed"]
    assert {p["object"]["id"] for p in _payloads(v.VOIDED)} == grade_ids
    new_score = _payloads(v.SCORED)[-1]
    assert new_score["result"]["score"]["raw"] == 8.0 and new_score["context"]["extensions"][v.PREVIOUS_POINTS] == 4.0
    assert new_score["context"]["instructor"]["account"]["name"] == identity.pseudonym(trainer.pk)

    second = GradeOverride.objects.create(exercise=exercise, user=student, points=Decimal("9"), comment="Better.",
                                          set_by=trainer)  # fmt: skip
    interface.grade_overridden(second, previous_points=Decimal("8"))
    voided_now = {p["object"]["id"] for p in _payloads(v.VOIDED)} - grade_ids
    assert len(voided_now) == 2  # only the first override's statements: nothing is voided twice
    for row in OutboxStatement.objects.all():
        Statement.model_validate(row.payload)


def _inserts(queries, table: str) -> int:
    return sum(1 for query in queries if query["sql"].startswith(f'INSERT INTO "{table}"'))


def test_a_quiz_submit_writes_its_four_statements_in_one_insert_per_table(course, student):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from exercises.models import QuizQuestion
    from exercises.submissions import submission_create

    quiz = Exercise.objects.create(title="Quiz", kind="quiz", prompt="Which probe?")
    question = QuizQuestion.objects.create(exercise=quiz, kind="single", points=1, prompt="Probe?", spec={
        "options": [{"id": "a", "text": "X-rays"}, {"id": "b", "text": "Neutrons", "correct": True}]})  # fmt: skip
    courses.enrolment_create(user=student, course=course)
    with CaptureQueriesContext(connection) as captured:
        submission_create(user=student, exercise=quiz, kind="submit", course=course, answers={str(question.pk): "b"})
    assert _verbs(student)[-4:] == ["answered", "answered", "scored", "passed"]  # the quiz, its one question
    assert _inserts(captured, OutboxStatement._meta.db_table) == 1
    assert _inserts(captured, Delivery._meta.db_table) == 1
    assert Delivery.objects.filter(statement__verb__in=(v.ANSWERED, v.SCORED, v.PASSED)).count() == 4


def test_every_statement_of_a_quiz_submit_is_valid_for_ralph_and_carries_the_answers(course, student):
    from ralph.models.xapi.base.statements import BaseXapiStatement

    from exercises.submissions import submission_create
    from tests.exercises.test_quiz_exercises import ids, make_quiz

    quiz = make_quiz()
    single, multiple, number, text = ids(quiz)
    courses.enrolment_create(user=student, course=course)
    answers = {single: "b", multiple: ["c", "a"], number: "0.154 nm", text: "  BRAGG "}
    submission_create(user=student, exercise=quiz, kind="submit", course=course, answers=answers)
    submission_create(user=student, exercise=quiz, kind="submit", course=course, answers={number: "twelve"})
    verbs = (v.ANSWERED, v.SCORED, v.FAILED, v.PASSED)
    # In the order written: `first` below is each question's answer of the first submit.
    rows = list(OutboxStatement.objects.filter(user=student, verb__in=verbs).order_by("pk"))
    for row in rows:
        BaseXapiStatement.model_validate(row.payload)  # ralph refuses "" anywhere outside extensions
        Statement.model_validate(row.payload)
    quiz_iri = identity.exercise_activity(quiz).id
    on_quiz = [row.payload for row in rows if row.object_iri == quiz_iri and row.verb == v.ANSWERED]
    assert len(on_quiz) == 2 and all("response" not in payload["result"] for payload in on_quiz)
    assert on_quiz[0]["object"]["definition"]["type"] == "http://adlnet.gov/expapi/activities/assessment"
    by_question = {}
    for row in rows:
        if row.verb == v.ANSWERED and row.object_iri != quiz_iri:
            by_question.setdefault(row.object_iri.rsplit("/", 1)[1], []).append(row.payload)
    assert sorted(by_question) == sorted([single, multiple, number, text])  # the second submit answered one
    first = {key: payloads[0] for key, payloads in by_question.items()}
    responses = {key: payload["result"].get("response") for key, payload in first.items()}
    assert responses == {single: "b", multiple: "a[,]c", number: "1.54", text: "BRAGG"}
    types = {key: payload["object"]["definition"]["interactionType"] for key, payload in first.items()}
    assert types == {single: "choice", multiple: "choice", number: "numeric", text: "fill-in"}
    assert first[number]["result"]["extensions"][v.ANSWER_TEXT] == "0.154 nm"
    assert first[number]["object"]["definition"]["correctResponsesPattern"] == ["1.53[:]1.55"]
    assert first[multiple]["object"]["definition"]["correctResponsesPattern"] == ["a[,]b"]
    assert first[single]["result"]["success"] is True and first[multiple]["result"]["score"]["max"] == 2.0
    assert first[text]["context"]["contextActivities"]["parent"][0]["id"] == quiz_iri
    unreadable = by_question[number][1]["result"]
    assert "response" not in unreadable and unreadable["extensions"][v.ANSWER_TEXT] == "twelve"
    assert unreadable["success"] is False


def test_a_batch_that_raises_writes_nothing_and_nested_batches_write_once(course, lessons, student):
    courses.enrolment_create(user=student, course=course)
    before = OutboxStatement.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic(), interface.batch():
        courses.lesson_complete(user=student, lesson=lessons[0])
        raise RuntimeError("the work failed after recording")
    assert OutboxStatement.objects.count() == before

    with transaction.atomic(), interface.batch():
        courses.lesson_complete(user=student, lesson=lessons[0])  # opens a batch of its own: joins this one
        assert OutboxStatement.objects.count() == before  # not written yet: the outer block writes
        courses.lesson_complete(user=student, lesson=lessons[1])
    assert _verbs(student)[-4:] == ["completed", "progressed", "completed", "progressed"]


def test_a_known_statement_keeps_its_first_row_and_gains_only_missing_targets(course, student, settings):
    from tracking.services import statements_record
    from tracking.xapi import builders

    frame = builders.Frame(actor=identity.actor_for(student), timestamp=timezone.now(), language="en",
                           course=identity.course_activity(course))  # fmt: skip
    statement = builders.enrolled(frame, event_key="once")
    statements_record([statement, statement], user=student)  # the same id twice in one insert
    (row,) = OutboxStatement.objects.all()
    first_payload = row.payload

    settings.PANLEARN_TRACKING_LRS = [{"name": "partner", "endpoint": "https://lrs.example.org/xapi/",
                                       "username": "u", "password": "p"}]  # fmt: skip
    later = statement.model_copy(update={"timestamp": timezone.now()})  # a resend with another timestamp
    statements_record([later], user=student)
    (row,) = OutboxStatement.objects.all()
    assert row.payload == first_payload
    assert sorted(row.deliveries.values_list("target", flat=True)) == ["builtin", "partner"]


def test_the_next_delivery_waits_for_a_dead_runs_lease(course, student):
    """A run that died holds its rows until its lease ends: the wake-up is then, not a busy loop before it."""
    from datetime import timedelta

    from django.utils import timezone

    from tracking import delivery
    from tracking.models import Delivery

    courses.enrolment_create(user=student, course=course)
    now = timezone.now()
    Delivery.objects.update(available_at=now, lease_until=None)
    assert abs((delivery.next_due() - now).total_seconds()) < 1
    Delivery.objects.update(lease_owner="a-run-that-died", lease_until=now + timedelta(minutes=5))
    assert abs((delivery.next_due() - (now + timedelta(minutes=5))).total_seconds()) < 1
