"""With the database task backend, the delivery run is queued inside the event's transaction: it commits
or rolls back with the statements, once per transaction (real commits here, so no test transaction)."""

import pytest
from django.db import transaction

from courses import services as courses
from tracking.models import OutboxStatement

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _delivery_runs() -> int:
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(task_path="tracking.tasks.deliver_statements").count()


def test_the_database_task_backend_queues_one_run_inside_the_transaction(course, lessons, student, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with transaction.atomic():
        courses.enrolment_create(user=student, course=course)
        for lesson in lessons:
            courses.lesson_complete(user=student, lesson=lesson)
        assert _delivery_runs() == 1  # queued with the first event, in the transaction; once for all of them
    assert _delivery_runs() == 1 and OutboxStatement.objects.count() > 4

    with pytest.raises(RuntimeError), transaction.atomic():
        courses.lesson_uncomplete(user=student, lesson=lessons[0])
        raise RuntimeError("the event failed after recording")
    assert _delivery_runs() == 1  # the run rolled back with the statements it was for

    courses.lesson_uncomplete(user=student, lesson=lessons[1])  # its own transaction: a run of its own
    assert _delivery_runs() == 2
