"""CellDraft and CellDraftVersion moved to the cells app (see cells/migrations/0001_initial.py): they
leave this app's state; the database is unchanged."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("panlearn_exercises", "0010_exercise_owner"), ("panlearn_cells", "0001_initial")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[migrations.DeleteModel(name="CellDraftVersion"), migrations.DeleteModel(name="CellDraft")],
        ),
    ]
