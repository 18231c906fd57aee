"""Invitation becomes ParticipantInvitation (courses has CourseInvitation: one meaning per name). The
table keeps its name, so no row moves: the first operation only writes that name down. Django renames
the content type but not the permissions, so they are renamed here: a group that held "change
invitation" holds "change participant invitation", and no stale permission is left behind."""

from django.db import migrations

ACTIONS = ("add", "change", "delete", "view")


def _rename_permissions(apps, old: str, new: str, new_name: str) -> None:
    Permission = apps.get_model("auth", "Permission")
    for action in ACTIONS:
        Permission.objects.filter(content_type__app_label="panlearn_invitations", codename=f"{action}_{old}").update(
            codename=f"{action}_{new}", name=f"Can {action} {new_name}"
        )


def forwards(apps, schema_editor):
    _rename_permissions(apps, "invitation", "participantinvitation", "participant invitation")


def backwards(apps, schema_editor):
    _rename_permissions(apps, "participantinvitation", "invitation", "invitation")


class Migration(migrations.Migration):
    dependencies = [("panlearn_invitations", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [
        migrations.AlterModelTable(name="invitation", table="panlearn_invitations_invitation"),
        migrations.RenameModel(old_name="Invitation", new_name="ParticipantInvitation"),
        migrations.RunPython(forwards, backwards),
    ]
