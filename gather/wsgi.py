"""The WSGI application: /api/ requests go through a handler with the API's short
middleware chain (settings.API_MIDDLEWARE), everything else through the full one."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gather.settings")
web = get_wsgi_application()

from django.conf import settings  # noqa: E402
from django.core.handlers.wsgi import WSGIHandler  # noqa: E402


class ApiHandler(WSGIHandler):
    def load_middleware(self, is_async: bool = False) -> None:
        # Django builds the chain from settings.MIDDLEWARE; swap it in for this build only
        # (done once, at startup, before any request is served).
        full = settings.MIDDLEWARE
        settings.MIDDLEWARE = settings.API_MIDDLEWARE
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = full


api = ApiHandler()


def application(environ, start_response):
    handler = api if environ.get("PATH_INFO", "").startswith("/api/") else web
    return handler(environ, start_response)
