"""The admin asks an account that reaches it for its second factor (accounts/second_factor.py) once per
session: before the first admin page, an account without an authenticator sets one up, and one with it
types a code. Pages outside the admin are not held up, and neither is any request of an account that
does not reach the admin: the check costs them a prefix comparison."""

from urllib.parse import urlencode

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.deprecation import MiddlewareMixin

from .hashing import BUSY_RETRY_AFTER_S, PasswordCheckBusy
from .second_factor import second_factor_enabled, second_factor_required, session_verified

# Matched against path_info: under a script prefix (FORCE_SCRIPT_NAME, an ASGI root_path) path has it too.
ADMIN_PREFIX = "/admin/"


def second_factor_redirect(request):
    """Where an admin request must go first, or None."""
    if not request.path_info.startswith(ADMIN_PREFIX) or not settings.PANLEARN_STAFF_MFA:
        return None
    if not second_factor_required(request.user) or session_verified(request):
        return None
    view = "accounts:second_factor_verify" if second_factor_enabled(request.user) else "accounts:second_factor_setup"
    return redirect(f"{reverse(view)}?{urlencode({'next': request.get_full_path()})}")


class StaffSecondFactorMiddleware:
    """After django-otp's OTPMiddleware, which tells which device (if any) verified the session."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        self._is_async = iscoroutinefunction(get_response)
        if self._is_async:
            markcoroutinefunction(self)

    def __call__(self, request):
        if self._is_async:
            return self.__acall__(request)
        return second_factor_redirect(request) or self.get_response(request)

    async def __acall__(self, request):
        if request.path_info.startswith(ADMIN_PREFIX) and settings.PANLEARN_STAFF_MFA:
            response = await sync_to_async(second_factor_redirect)(request)
            if response is not None:
                return response
        return await self.get_response(request)


class PasswordCheckBusyMiddleware(MiddlewareMixin):
    """A page that hashes a password (sign-up, a new password, an invitation, the admin's sign-in) when the
    hash pool could not start it in time (accounts/hashing.py): 503 with a page that says so and that
    nothing was changed, instead of an error page. The site's sign-in form says it in the form itself."""

    def process_exception(self, request, exception):
        if not isinstance(exception, PasswordCheckBusy):
            return None
        response = render(request, "accounts/password_check_busy.html", status=503)
        response["Retry-After"] = str(BUSY_RETRY_AFTER_S)
        return response
