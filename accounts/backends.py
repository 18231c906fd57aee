"""Django's model backend, with the signed-in user read from the cache instead of the database.

Every request of a signed-in user loads their row; code cells make many small requests, and under
ASGI each request runs in a fresh thread with a fresh database connection. The row is cached for
a minute and dropped whenever the user is saved (a password change, deactivation, a new e-mail),
so the session checks Django makes against it stay exact.

A sign-in hands its database connection back before it checks the password: the hash takes a quarter
of a CPU-second, seconds on a busy machine, and a class signing in at once would otherwise hold the
web process's whole pool of connections while they hash (seen in the load test: pool waits of 20 s).
"""

from functools import partial

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.hashers import check_password
from django.core.cache import cache
from django.core.exceptions import PermissionDenied

from panlearn.database import release_connections

from .hashing import PasswordCheckBusy

USER_TTL = 60


def _upgrade_hash(user, password: str) -> None:
    """As AbstractBaseUser.check_password's setter (a stored hash of older settings is made again), but
    when the hash pool cannot start it in time the upgrade waits for the next sign-in: the password
    was right, and the person should not be told otherwise."""
    try:
        user.set_password(password)
    except PasswordCheckBusy:
        return
    user._password = None  # an upgrade is not a change of password
    user.save(update_fields=["password"])


def user_cache_key(user_id) -> str:
    return f"panlearn:auth:user:{user_id}"


class CachedUserBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        from .throttle import sign_in_wait

        # While a budget of failed sign-ins is spent, no password is checked: PermissionDenied stops Django
        # from asking the next backend too (the site's form says why; the admin's says the sign-in failed).
        if password is not None and sign_in_wait(username=username or kwargs.get("username", ""), request=request):
            raise PermissionDenied
        # ModelBackend.authenticate, with the connection handed back between the row and the hash.
        model = get_user_model()
        username = kwargs.get(model.USERNAME_FIELD) if username is None else username
        if username is None or password is None:
            return None
        try:
            user = model._default_manager.get_by_natural_key(username)
        except model.DoesNotExist:
            release_connections()
            model().set_password(password)  # as long as for a real account: no timing tells who has one
            raise PermissionDenied from None  # see below
        release_connections()
        if check_password(password, user.password, partial(_upgrade_hash, user)) and self.user_can_authenticate(user):
            return user
        # The same answer from the next backend (ModelBackend, listed for older sessions) would cost a
        # second hash: PermissionDenied ends the sign-in here, as a failed one.
        raise PermissionDenied

    def get_user(self, user_id):
        key = user_cache_key(user_id)
        user = cache.get(key)
        if user is None:
            user = super().get_user(user_id)
            if user is not None:
                cache.set(key, user, timeout=USER_TTL)
        return user if self.user_can_authenticate(user) else None
