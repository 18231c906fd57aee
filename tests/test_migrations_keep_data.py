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

from cells.models import CellDraftVersion
from cells.services import draft_save
from courses.models import LessonPage
from facilities.models import FacilityStaff
from invitations.models import ParticipantInvitation
from onboarding.services import FACILITY_STAFF_GROUP

# (app label, the last migration before the architecture work's renames and moves), in an order that
# unapplies the later migrations first: the invitation rename, then the facilities app (Facility and
# FacilityContact from courses, FacilityStaff from onboarding), then the cells app (the drafts from
# exercises).
BEFORE_THE_RENAMES = [
    ("panlearn_invitations", "0001_initial"),
    ("panlearn_facilities", "zero"),
    ("panlearn_cells", "zero"),
]
# courses 0009 follows the facilities move and goes back with it: the Trainers group gives back its model
# permission to create courses and gets "add" on the catalogue page again.
UNDONE_BY_COURSES_0009 = {"auth_group_permissions": -1, "wagtailcore_grouppagepermission": +1}
# Tables of apps made after the architecture work, whose first migration follows the renames.
NEWER_APPS = ("panlearn_lti_",)
# model -> (its app label now, before the move)
MOVED = {
    "facility": ("panlearn_facilities", "panlearn_courses"),
    "facilitycontact": ("panlearn_facilities", "panlearn_courses"),
    "facilitystaff": ("panlearn_facilities", "panlearn_onboarding"),
    "celldraft": ("panlearn_cells", "panlearn_exercises"),
    "celldraftversion": ("panlearn_cells", "panlearn_exercises"),
}


def content_type_apps() -> dict[str, str]:
    return dict(ContentType.objects.filter(model__in=MOVED).values_list("model", "app_label"))


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
    lesson = LessonPage.objects.live().first()
    draft = draft_save(user=FacilityStaff.objects.first().user, page=lesson, cell_id="c1", code="1", base_version=0)
    draft_save(user=draft.user, page=lesson, cell_id="c1", code="2", base_version=draft.version)  # keeps version 1
    staff_permissions = set(Group.objects.get(name=FACILITY_STAFF_GROUP).permissions.values_list("pk", flat=True))
    filled = row_counts()
    assert sum(1 for count in filled.values() if count) > 40, "the demo content should fill most tables"
    # post_migrate would make content types and permissions for today's models at the old schema, which
    # the code of that time never had; the back-and-forth is the migrations alone.
    monkeypatch.setattr("django.core.management.commands.migrate.emit_post_migrate_signal", lambda *a, **k: None)
    try:
        for app, migration in BEFORE_THE_RENAMES:
            call_command("migrate", app, migration, verbosity=0)
        back = row_counts()
        # Apps made after the renames depend on their migrations and go back with them: their tables are
        # gone then (empty in the demo), and come back empty.
        gone = set(filled) - set(back)
        assert all(table.startswith(NEWER_APPS) and not filled[table] for table in gone), gone
        assert back == {
            table: count + UNDONE_BY_COURSES_0009.get(table, 0) for table, count in filled.items() if table not in gone
        }
        assert content_type_apps() == {model: before for model, (_, before) in MOVED.items()}, (
            "the content types go back with the models"
        )
    finally:
        call_command("migrate", verbosity=0)
    assert row_counts() == filled
    assert content_type_apps() == {model: now for model, (now, _) in MOVED.items()}
    assert (
        filled["panlearn_exercises_celldraftversion"]
        and CellDraftVersion.objects.count() == (filled["panlearn_exercises_celldraftversion"])
    )
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
