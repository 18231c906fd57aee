"""Helpers for data migrations that must stay importable as long as the migrations that use them."""


def move_content_type(apps, *, model: str, source: str, target: str) -> None:
    """Give a model's content type its new app label when the model moves between apps, so that the
    permissions groups and users hold on it, and the admin's log entries about it, stay attached.

    Nothing is recorded under `source` on a fresh database (post_migrate makes the content types after
    the migrations): then this does nothing. A row already under `target` was made by post_migrate or
    a `get_for_model` before the migration ran: its permission grants pass to the moved row's
    permissions of the same codename, and it is dropped.
    """
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    moving = ContentType.objects.filter(app_label=source, model=model).first()
    if moving is None:
        return
    fresh = ContentType.objects.filter(app_label=target, model=model).first()
    if fresh is not None:
        for permission in Permission.objects.filter(content_type=fresh):
            kept = Permission.objects.filter(content_type=moving, codename=permission.codename).first()
            if kept is not None:
                for group in permission.group_set.all():
                    group.permissions.add(kept)
                for user in permission.user_set.all():
                    user.user_permissions.add(kept)
        fresh.delete()
    moving.app_label = target
    moving.save(update_fields=["app_label"])
