"""Moving a model's content type between apps keeps every permission grant (panlearn/migration_helpers.py)."""

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType

from panlearn.migration_helpers import move_content_type
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _type_with_permission(app_label: str) -> tuple[ContentType, Permission]:
    content_type = ContentType.objects.create(app_label=app_label, model="thing")
    return content_type, Permission.objects.create(content_type=content_type, codename="view_thing", name="Can view")


def test_the_moved_row_keeps_its_id_and_its_grants():
    moving, permission = _type_with_permission("old_app")
    group = Group.objects.create(name="readers")
    group.permissions.add(permission)
    move_content_type(apps, model="thing", source="old_app", target="new_app")
    moving.refresh_from_db()
    assert moving.app_label == "new_app" and list(group.permissions.all()) == [permission]


def test_a_row_made_early_under_the_new_label_passes_its_grants_on():
    moving, kept = _type_with_permission("old_app")
    fresh, early = _type_with_permission("new_app")
    group, user = Group.objects.create(name="readers"), UserFactory()
    group.permissions.add(early)
    user.user_permissions.add(early)
    move_content_type(apps, model="thing", source="old_app", target="new_app")
    assert not ContentType.objects.filter(pk=fresh.pk).exists()
    assert ContentType.objects.get(app_label="new_app", model="thing").pk == moving.pk
    assert list(group.permissions.all()) == [kept] and list(user.user_permissions.all()) == [kept]


def test_nothing_under_the_old_label_leaves_the_new_row_alone():
    fresh, permission = _type_with_permission("new_app")
    move_content_type(apps, model="thing", source="old_app", target="new_app")
    assert ContentType.objects.filter(pk=fresh.pk, app_label="new_app").exists()
    assert Permission.objects.filter(pk=permission.pk).exists()
