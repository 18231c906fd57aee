"""ASGI entry point. Code cells stream kernel output, so ASGI is the default server.

Requests for the code-cell endpoints (/learn/cells/...) go to a second Django handler whose
middleware is the same as the site's (security headers, sessions, CSRF, authentication) in
subclasses that run their hooks inline instead of one worker-thread trip each: those calls are
many and small, and a student waits on each (docs/performance.md, "Live code cells").
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "panlearn.settings.production")

django_application = get_asgi_application()

from panlearn.handlers import LeanASGIHandler  # noqa: E402  (needs the settings loaded above)

cells_application = LeanASGIHandler()
CELLS_PREFIX = "/learn/cells/"


async def application(scope, receive, send):
    if scope["type"] == "http" and scope["path"].startswith(CELLS_PREFIX):
        return await cells_application(scope, receive, send)
    return await django_application(scope, receive, send)
