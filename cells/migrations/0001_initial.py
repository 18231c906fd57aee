"""CellDraft and CellDraftVersion move here from exercises (issue 17).

The tables keep their names (each model's Meta.db_table), so the database does nothing: the state
operations only say where the models live now. Their content types move with them, so permissions
and log entries that point at them stay attached; exercises then drops them from its state.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from panlearn.migration_helpers import move_content_type

MOVED = ("celldraft", "celldraftversion")
BEFORE, HERE = "panlearn_exercises", "panlearn_cells"


def _move_content_types(apps, source: str, target: str) -> None:
    for model in MOVED:
        move_content_type(apps, model=model, source=source, target=target)


def forwards(apps, schema_editor):
    _move_content_types(apps, BEFORE, HERE)


def backwards(apps, schema_editor):
    _move_content_types(apps, HERE, BEFORE)


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("panlearn_exercises", "0010_exercise_owner"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        migrations.swappable_dependency(settings.WAGTAIL_PAGE_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="CellDraft",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("cell_id", models.CharField(max_length=64)),
                        ("code", models.TextField()),
                        ("version", models.PositiveIntegerField(default=1)),
                        ("saved_at", models.DateTimeField(auto_now=True)),
                        ("page", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to=settings.WAGTAIL_PAGE_MODEL)),
                        ("user", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="cell_drafts", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        "db_table": "panlearn_exercises_celldraft",
                        "constraints": [models.UniqueConstraint(fields=("user", "page", "cell_id"), name="one_draft_per_cell")],
                    },
                ),
                migrations.CreateModel(
                    name="CellDraftVersion",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("version", models.PositiveIntegerField()),
                        ("code", models.TextField()),
                        ("saved_at", models.DateTimeField()),
                        ("draft", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="versions", to="panlearn_cells.celldraft")),
                    ],
                    options={
                        "db_table": "panlearn_exercises_celldraftversion",
                        "ordering": ["-version"],
                        "constraints": [models.UniqueConstraint(fields=("draft", "version"), name="one_row_per_draft_version")],
                    },
                ),
            ],
        ),
        migrations.RunPython(forwards, backwards),
    ]
