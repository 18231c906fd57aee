"""Models that moved or were renamed keep their rows (issue 17: structure changes, data stays).

The demo content fills every app's tables; then the renames of the architecture work are migrated
back to the schema before them and forward again, and every table must hold the rows it held.
"""

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.db import connection

from invitations.models import ParticipantInvitation

# (app label, the last migration before the architecture work's renames)
BEFORE_THE_RENAMES = [("panlearn_invitations", "0001_initial")]
AFTER = [("panlearn_invitations", "0002_participantinvitation")]


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
    filled = row_counts()
    assert sum(1 for count in filled.values() if count) > 40, "the demo content should fill most tables"
    # post_migrate would make content types and permissions for today's models at the old schema, which
    # the code of that time never had; the back-and-forth is the migrations alone.
    monkeypatch.setattr("django.core.management.commands.migrate.emit_post_migrate_signal", lambda *a, **k: None)
    try:
        for app, migration in BEFORE_THE_RENAMES:
            call_command("migrate", app, migration, verbosity=0)
        assert row_counts() == filled
    finally:
        for app, migration in AFTER:
            call_command("migrate", app, migration, verbosity=0)
    assert row_counts() == filled
    assert ParticipantInvitation.objects.count() == filled["panlearn_invitations_invitation"]
    codenames = set(
        Permission.objects.filter(content_type__app_label="panlearn_invitations").values_list("codename", flat=True)
    )
    assert "change_participantinvitation" in codenames and "change_invitation" not in codenames
