"""Facility and FacilityContact move here from courses, FacilityStaff from onboarding (issue 17).

The tables keep their names (each model's Meta.db_table), so the database does nothing: the state
operations only say where the models live now. The content types move with them, so the permissions
that groups hold on these models (and Wagtail's log entries about them) stay attached. The apps that
point at Facility re-point in their own next migration; courses and onboarding then drop the old
models from their state.
"""

import django.db.models.deletion
import modelcluster.fields
from django.conf import settings
from django.db import migrations, models

from panlearn.migration_helpers import move_content_type

# (model, the app label it had before)
MOVED = (("facility", "panlearn_courses"), ("facilitycontact", "panlearn_courses"), ("facilitystaff", "panlearn_onboarding"))
HERE = "panlearn_facilities"


def _move_content_types(apps, *, to_here: bool) -> None:
    for model, before in MOVED:
        source, target = (before, HERE) if to_here else (HERE, before)
        move_content_type(apps, model=model, source=source, target=target)


def forwards(apps, schema_editor):
    _move_content_types(apps, to_here=True)


def backwards(apps, schema_editor):
    _move_content_types(apps, to_here=False)


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("panlearn_courses", "0007_lesson_text_links_documents"),
        ("panlearn_onboarding", "0001_initial"),
        ("wagtailimages", "0027_image_description"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="Facility",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("name", models.CharField(max_length=200, unique=True)),
                        ("short_name", models.CharField(help_text="As users say it, e.g. ESRF, ISIS, ANSTO.", max_length=40, unique=True)),
                        ("ror_id", models.URLField(blank=True, help_text="Research Organization Registry id, e.g. https://ror.org/02550n020")),
                        ("website", models.URLField(blank=True)),
                        ("logo", models.ForeignKey(blank=True, help_text="Shown on the facility's training pages (and, later, its certificates).", null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to="wagtailimages.image")),
                    ],
                    options={
                        "verbose_name_plural": "facilities",
                        "db_table": "panlearn_courses_facility",
                        "ordering": ["short_name"],
                    },
                ),
                migrations.CreateModel(
                    name="FacilityContact",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("sort_order", models.IntegerField(blank=True, editable=False, null=True)),
                        ("role", models.CharField(help_text="e.g. User office, Radiation protection officer.", max_length=100)),
                        ("name", models.CharField(blank=True, max_length=200)),
                        ("email", models.EmailField(blank=True, max_length=254)),
                        ("phone", models.CharField(blank=True, max_length=40)),
                        ("facility", modelcluster.fields.ParentalKey(on_delete=django.db.models.deletion.CASCADE, related_name="contacts", to="panlearn_facilities.facility")),
                    ],
                    options={
                        "ordering": ["sort_order"],
                        "abstract": False,
                        "db_table": "panlearn_courses_facilitycontact",
                    },
                ),
                migrations.CreateModel(
                    name="FacilityStaff",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("added_at", models.DateTimeField(auto_now_add=True)),
                        ("facility", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="staff", to="panlearn_facilities.facility")),
                        ("user", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="facility_staff", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        "verbose_name": "facility staff member",
                        "verbose_name_plural": "facility staff",
                        "db_table": "panlearn_onboarding_facilitystaff",
                        "constraints": [models.UniqueConstraint(fields=("facility", "user"), name="one_staff_row_per_facility_user")],
                    },
                ),
            ],
        ),
        migrations.RunPython(forwards, backwards),
    ]
