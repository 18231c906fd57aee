"""Drop a cached user row (accounts/backends.py) as soon as the user changes or goes."""

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from .backends import user_cache_key
from .oidc import PENDING_SESSION_KEY

User = get_user_model()


@receiver(post_save, sender=User)
@receiver(post_delete, sender=User)
def user_changed(sender, instance, **kwargs) -> None:
    _forget(instance.pk)


@receiver(m2m_changed, sender=User.groups.through)
@receiver(m2m_changed, sender=User.user_permissions.through)
def user_rights_changed(sender, instance, **kwargs) -> None:
    if isinstance(instance, User):
        _forget(instance.pk)


def _forget(user_id) -> None:
    """Now, and again after commit: a request reading the old row in between must not re-cache it."""
    key = user_cache_key(user_id)
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))


@receiver(user_login_failed)
def sign_in_failed(sender, credentials, request=None, **kwargs) -> None:
    """Every failed password sign-in, the site's form and the admin's alike, spends the budgets."""
    from .throttle import sign_in_failed as spend

    spend(username=credentials.get("username", ""), request=request)


@receiver(user_logged_in)
def drop_pending_identity(sender, request=None, **kwargs) -> None:
    """Whoever signs in next in this browser (with a password, say) must not create an account from the
    claims an earlier, unfinished identity sign-in left waiting: that account would belong to someone else's
    identity. The person who wanted it signs in with the provider again."""
    if request is not None and hasattr(request, "session"):
        request.session.pop(PENDING_SESSION_KEY, None)
