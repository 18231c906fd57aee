"""Trainers lose "add" on the catalogue page, which Wagtail extended to every course below it (they
explored and searched other trainers' drafts, and could add lessons to their courses), and gain the
model permission panlearn_courses.add_coursepage, which only the catalogue honours
(courses/permissions.py). Their own courses stay theirs through each course's editors group."""

from django.db import migrations

TRAINERS = "Trainers"


def _add_coursepage(apps):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    content_type, _ = ContentType.objects.get_or_create(app_label="panlearn_courses", model="coursepage")
    permission, _ = Permission.objects.get_or_create(
        content_type=content_type, codename="add_coursepage", defaults={"name": "Can add course"}
    )
    return permission


def _catalogue_add(apps):
    Permission = apps.get_model("auth", "Permission")
    GroupPagePermission = apps.get_model("wagtailcore", "GroupPagePermission")
    ContentType = apps.get_model("contenttypes", "ContentType")
    catalogue_type = ContentType.objects.filter(app_label="panlearn_courses", model="catalogueindexpage").first()
    add_page = Permission.objects.filter(content_type__app_label="wagtailcore", codename="add_page").first()
    rows = GroupPagePermission.objects.filter(group__name=TRAINERS, permission=add_page)
    return rows.filter(page__content_type=catalogue_type), add_page


def forwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    rows, _ = _catalogue_add(apps)
    rows.delete()
    group = Group.objects.filter(name=TRAINERS).first()
    if group is not None:
        group.permissions.add(_add_coursepage(apps))


def backwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    GroupPagePermission = apps.get_model("wagtailcore", "GroupPagePermission")
    CatalogueIndexPage = apps.get_model("panlearn_courses", "CatalogueIndexPage")
    group = Group.objects.filter(name=TRAINERS).first()
    if group is None:
        return
    group.permissions.remove(_add_coursepage(apps))
    _, add_page = _catalogue_add(apps)
    for catalogue in CatalogueIndexPage.objects.all():
        GroupPagePermission.objects.get_or_create(group=group, page_id=catalogue.pk, permission=add_page)


class Migration(migrations.Migration):
    dependencies = [
        ("panlearn_courses", "0008_facility_lives_in_facilities"),
        ("wagtailcore", "0098_apitoken"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
