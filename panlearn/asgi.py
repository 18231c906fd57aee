"""ASGI entry point: later features stream kernel output, so ASGI is the default server."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "panlearn.settings.production")

application = get_asgi_application()
