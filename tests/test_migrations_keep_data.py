"""Models that moved or were renamed keep their rows (issue 17: structure changes, data stays).

The demo content fills every app's tables; then the renames and moves of the architecture work are
migrated back to the schema before them and forward again, and every table must hold the rows it held,
and every group the permissions it held.
"""

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection

from facilities.models import FacilityStaff
from invitations.models import ParticipantInvitation
from onboarding.services import FACILITY_STAFF_GROUP

# (app label, the last migration before the architecture work's renames and moves), in an order that
# unapplies the later migrations first: the invitation rename, then the facilities app (Facility and
# FacilityContact from courses, FacilityStaff from onboarding).
BEFORE_THE_RENAMES = [("panlearn_invitations", "0001_initial"), ("panlearn_facilities", "zero")]
MOVED_TO_FACILITIES = {
    "facility": "panlearn_courses",
    "facilitycontact": "panlearn_courses",
    "facilitystaff": "panlearn_onboarding",
}


def row_counts() -> dict[str, int]:
    """Rows per table, but django_migrations' (which records the migrations themselves)."""
    with connection.cursor() as cursor:
        counts = {}
        for table in connection.introspection.table_names(cursor):
            if table == "django_migrations":
                continue
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
            counts[table] = cursor.fetchone()[0]
    return counts


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # the migrations' data (Wagtail's root)
def test_the_demo_data_survives_the_renames_back_and_forth(monkeypatch):
    call_command("load_demo_content", verbosity=0)
    assert ParticipantInvitation.objects.exists(), "the demo invites participants: the test needs those rows"
    assert FacilityStaff.objects.exists(), "the demo has facility staff: the test needs those rows"
    staff_permissions = set(Group.objects.get(name=FACILITY_STAFF_GROUP).permissions.values_list("pk", flat=True))
    filled = row_counts()
    assert sum(1 for count in filled.values() if count) > 40, "the demo content should fill most tables"
    # post_migrate would make content types and permissions for today's models at the old schema, which
    # the code of that time never had; the back-and-forth is the migrations alone.
    monkeypatch.setattr("django.core.management.commands.migrate.emit_post_migrate_signal", lambda *a, **k: None)
    try:
        for app, migration in BEFORE_THE_RENAMES:
            call_command("migrate", app, migration, verbosity=0)
        assert row_counts() == filled
        assert {
            model: app
            for app, model in ContentType.objects.filter(model__in=MOVED_TO_FACILITIES).values_list(
                "app_label", "model"
            )
        } == MOVED_TO_FACILITIES, "the content types go back with the models"
    finally:
        call_command("migrate", verbosity=0)
    assert row_counts() == filled
    assert set(ContentType.objects.filter(model__in=MOVED_TO_FACILITIES).values_list("app_label", flat=True)) == {
        "panlearn_facilities"
    }
    # The same permission rows (their content type moved, not copied): the staff group keeps them.
    assert set(Group.objects.get(name=FACILITY_STAFF_GROUP).permissions.values_list("pk", flat=True)) == (
        staff_permissions
    )
    assert Permission.objects.filter(
        content_type__app_label="panlearn_facilities", codename="view_facilitystaff"
    ).exists()
    assert ParticipantInvitation.objects.count() == filled["panlearn_invitations_invitation"]
    codenames = set(
        Permission.objects.filter(content_type__app_label="panlearn_invitations").values_list("codename", flat=True)
    )
    assert "change_participantinvitation" in codenames and "change_invitation" not in codenames
