"""Django's model backend, with the signed-in user read from the cache instead of the database.

Every request of a signed-in user loads their row; code cells make many small requests, and under
ASGI each request runs in a fresh thread with a fresh database connection. The row is cached for
a minute and dropped whenever the user is saved (a password change, deactivation, a new e-mail),
so the session checks Django makes against it stay exact.
"""

from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.core.exceptions import PermissionDenied

USER_TTL = 60


def user_cache_key(user_id) -> str:
    return f"panlearn:auth:user:{user_id}"


class CachedUserBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        from .throttle import sign_in_wait

        # While a budget of failed sign-ins is spent, no password is checked: PermissionDenied stops Django
        # from asking the next backend too (the site's form says why; the admin's says the sign-in failed).
        if password is not None and sign_in_wait(username=username or kwargs.get("username", ""), request=request):
            raise PermissionDenied
        return super().authenticate(request, username=username, password=password, **kwargs)

    def get_user(self, user_id):
        key = user_cache_key(user_id)
        user = cache.get(key)
        if user is None:
            user = super().get_user(user_id)
            if user is not None:
                cache.set(key, user, timeout=USER_TTL)
        return user if self.user_can_authenticate(user) else None
