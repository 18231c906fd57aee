"""A Django ASGI handler with its own middleware list (settings.PANLEARN_CELLS_MIDDLEWARE)."""

from django.conf import settings
from django.core.handlers.asgi import ASGIHandler


class LeanASGIHandler(ASGIHandler):
    def load_middleware(self, is_async=False):
        # BaseHandler reads settings.MIDDLEWARE; this runs once, at start-up, before any request.
        site_middleware = settings.MIDDLEWARE
        settings.MIDDLEWARE = settings.PANLEARN_CELLS_MIDDLEWARE
        try:
            super().load_middleware(is_async=is_async)
        finally:
            settings.MIDDLEWARE = site_middleware
