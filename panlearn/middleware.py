"""Middleware that stays out of the way of async views: WhiteNoise, and Django's own without thread hops.

WhiteNoise's middleware is synchronous only. Under ASGI that makes Django run every request
through a worker thread from that point down, and then hop back to the event loop for an async
view: two thread switches per request, about ten milliseconds on a small machine, on every
code-cell call. This subclass serves static files exactly as WhiteNoise does, and passes every
other request straight on in whichever mode the rest of the chain runs.
"""

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings
from django.contrib.auth import middleware as auth_middleware
from django.contrib.messages import middleware as messages_middleware
from django.contrib.sessions import middleware as session_middleware
from django.middleware import clickjacking, common, csrf, security
from wagtail.contrib.redirects import middleware as redirects
from whitenoise.middleware import WhiteNoiseMiddleware


class StaticFilesMiddleware(WhiteNoiseMiddleware):
    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        super().__init__(get_response)
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)

    def _static_file(self, request):
        if self.autorefresh:
            return self.find_file(request.path_info)
        return self.files.get(request.path_info)

    def __call__(self, request):
        if self.async_mode:
            return self.__acall__(request)
        return super().__call__(request)

    async def __acall__(self, request):
        # autorefresh (development only) looks files up on disk: keep that off the event loop.
        static_file = (
            await sync_to_async(self._static_file)(request) if self.autorefresh else self._static_file(request)
        )
        if static_file is not None:
            return await sync_to_async(self.serve)(static_file, request)
        return await self.get_response(request)


# -- Django's middleware without the thread hops ------------------------------------------------
#
# Under ASGI, Django runs each hook of a MiddlewareMixin middleware through sync_to_async: about
# thirteen trips to a worker thread per request with the stack below, some 2.5 ms on a small
# machine, which every code-cell call pays. The hooks of these middlewares only read and set
# attributes and headers (no database, no files), so they run inline here; the two that can write
# (a session that changed, a redirect looked up on a 404) still go to a thread, and only then.
# Under WSGI they behave exactly as Django's own.


class _InlineHooks:
    async def __acall__(self, request):
        response = self.process_request(request) if hasattr(self, "process_request") else None
        response = response or await self.get_response(request)
        if hasattr(self, "process_response"):
            response = self.process_response(request, response)
        return response


class SecurityMiddleware(_InlineHooks, security.SecurityMiddleware):
    pass


class CommonMiddleware(_InlineHooks, common.CommonMiddleware):
    pass


class CsrfViewMiddleware(_InlineHooks, csrf.CsrfViewMiddleware):
    # An async process_view is awaited in place; a sync one would be sent to a thread. The check
    # reads the cookie, headers and the already received body.
    async def process_view(self, request, callback, callback_args, callback_kwargs):
        return super().process_view(request, callback, callback_args, callback_kwargs)


class AuthenticationMiddleware(_InlineHooks, auth_middleware.AuthenticationMiddleware):
    pass  # sets lazy request.user / request.auser; the user is fetched when a view asks


class MessageMiddleware(_InlineHooks, messages_middleware.MessageMiddleware):
    pass  # messages live in the cookie or the session; the session middleware saves the session


class XFrameOptionsMiddleware(_InlineHooks, clickjacking.XFrameOptionsMiddleware):
    pass


class SessionMiddleware(session_middleware.SessionMiddleware):
    async def __acall__(self, request):
        self.process_request(request)  # a lazy store: nothing is read yet
        response = await self.get_response(request)
        if request.session.modified or settings.SESSION_SAVE_EVERY_REQUEST:
            return await sync_to_async(self.process_response)(request, response)
        return self.process_response(request, response)  # cookie and Vary headers only


class RedirectMiddleware(redirects.RedirectMiddleware):
    async def __acall__(self, request):
        response = await self.get_response(request)
        if response.status_code != 404:
            return response
        return await sync_to_async(self.process_response)(request, response)  # looks redirects up
