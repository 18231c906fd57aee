"""Facility moved to the facilities app (see facilities/migrations/0001_initial.py): the batches point there; the database is unchanged."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("panlearn_invitations", "0002_participantinvitation"), ("panlearn_facilities", "0001_initial")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name="invitationbatch",
                    name="facility",
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="invitation_batches", to="panlearn_facilities.facility"),
                ),
            ],
        ),
    ]
