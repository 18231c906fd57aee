"""Facility moved to the facilities app (see facilities/migrations/0001_initial.py): tokens and webhooks point there; the database is unchanged."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("panlearn_useroffice", "0001_initial"), ("panlearn_facilities", "0001_initial")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name="apitoken",
                    name="facility",
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="useroffice_tokens", to="panlearn_facilities.facility"),
                ),
                migrations.AlterField(
                    model_name="webhook",
                    name="facility",
                    field=models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name="useroffice_webhook", to="panlearn_facilities.facility"),
                ),
            ],
        ),
    ]
