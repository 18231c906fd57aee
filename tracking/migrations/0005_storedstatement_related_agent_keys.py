from django.db import migrations, models


def fill_related_agent_keys(apps, schema_editor):
    """Statements stored before the column: their agents, as the store computes them now."""
    from tracking.store.services import related_agent_keys

    StoredStatement = apps.get_model("panlearn_tracking", "StoredStatement")
    for row in StoredStatement.objects.only("pk", "payload").iterator(chunk_size=1000):
        row.related_agent_keys = related_agent_keys(row.payload)
        row.save(update_fields=["related_agent_keys"])


class Migration(migrations.Migration):
    dependencies = [
        ("panlearn_tracking", "0004_storedstatement_target_id"),
    ]

    operations = [
        migrations.AddField(
            model_name="storedstatement",
            name="related_agent_keys",
            field=models.TextField(blank=True),
        ),
        migrations.RunPython(fill_related_agent_keys, migrations.RunPython.noop),
    ]
