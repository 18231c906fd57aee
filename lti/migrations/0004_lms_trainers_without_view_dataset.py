"""The LMS co-trainers group no longer lists the dataset registry (view_dataset): choosing a dataset in a lesson
needs no model permission. A group made before keeps what it was given at creation, so take it back here."""

from django.db import migrations


def forwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(content_type__app_label="panlearn_content", codename="view_dataset")
    for group in Group.objects.filter(name="LMS co-trainers"):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("panlearn_lti", "0003_context_instructors_train"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
