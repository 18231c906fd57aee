"""Facility and FacilityStaff moved to the facilities app (see facilities/migrations/0001_initial.py): programmes and experiments point there, and FacilityStaff leaves this app's state; the database is unchanged."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("panlearn_onboarding", "0001_initial"), ("panlearn_facilities", "0001_initial")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name="programme",
                    name="facility",
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="programmes", to="panlearn_facilities.facility"),
                ),
                migrations.AlterField(
                    model_name="experiment",
                    name="facility",
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="experiments", to="panlearn_facilities.facility"),
                ),
                migrations.DeleteModel(name="FacilityStaff"),
            ],
        ),
    ]
