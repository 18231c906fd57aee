"""Facility and FacilityContact moved to the facilities app (see facilities/migrations/0001_initial.py): courses point there, and the old models leave this app's state once every app that pointed at them has re-pointed; the database is unchanged."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("panlearn_courses", "0007_lesson_text_links_documents"), ("panlearn_facilities", "0001_initial"), ("panlearn_invitations", "0003_facility_lives_in_facilities"), ("panlearn_onboarding", "0002_facility_lives_in_facilities"), ("panlearn_useroffice", "0002_facility_lives_in_facilities")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name="coursepage",
                    name="facility",
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="courses", to="panlearn_facilities.facility"),
                ),
                migrations.DeleteModel(name="FacilityContact"),
                migrations.DeleteModel(name="Facility"),
            ],
        ),
    ]
