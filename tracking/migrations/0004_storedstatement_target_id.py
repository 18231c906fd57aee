import uuid

from django.db import migrations, models


def fill_target_ids(apps, schema_editor):
    """Statements stored before the column: their StatementRef's id, from the payload."""
    StoredStatement = apps.get_model("panlearn_tracking", "StoredStatement")
    refs = StoredStatement.objects.filter(payload__object__objectType="StatementRef").only("pk", "payload")
    for row in refs.iterator(chunk_size=1000):
        row.target_id = uuid.UUID(row.payload["object"]["id"])
        row.save(update_fields=["target_id"])


class Migration(migrations.Migration):
    dependencies = [
        ("panlearn_tracking", "0003_delivery_statement_no_own_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="storedstatement",
            name="target_id",
            field=models.UUIDField(blank=True, help_text="The statement a StatementRef object targets.", null=True),
        ),
        migrations.AddIndex(
            model_name="storedstatement",
            index=models.Index(fields=["target_id"], name="panlearn_tr_target__29204c_idx"),
        ),
        migrations.RunPython(fill_target_ids, migrations.RunPython.noop),
    ]
