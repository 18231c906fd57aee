from wagtail import hooks

from .avatars import initials_avatar_url


@hooks.register("get_avatar_url")
def avatar_from_initials(user, size):
    """Initials unless the user uploaded an avatar (Wagtail shows that one when this returns None)."""
    profile = getattr(user, "wagtail_userprofile", None)
    if profile is not None and profile.avatar:
        return None
    return initials_avatar_url(user)
