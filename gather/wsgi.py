"""The WSGI application: /api/ requests go through a handler with the API's short
middleware chain (settings.API_MIDDLEWARE), everything else through the full one."""

import io
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


def read_chunked_body(environ) -> None:
    """Read a chunked request body (``Transfer-Encoding: chunked``, no Content-Length).

    Django reads exactly CONTENT_LENGTH bytes of ``wsgi.input`` (none when it is
    absent); granian's input ends where the request body ends (``wsgi.input_terminated``).
    So the body is read here, up to one byte more than settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    (a longer body then fails Django's and the endpoints' own size checks: 413), and
    handed on with its length. See docs/decisions/012-chunked-request-bodies.md.
    """
    if environ.get("CONTENT_LENGTH") or "chunked" not in (
        environ.get("HTTP_TRANSFER_ENCODING", "").lower()
    ):
        return
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1
    stream, parts, size = environ["wsgi.input"], [], 0
    while size < limit:
        part = stream.read(min(64 * 1024, limit - size))
        if not part:
            break
        parts.append(part)
        size += len(part)
    body = b"".join(parts)
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))


def application(environ, start_response):
    read_chunked_body(environ)
    handler = api if environ.get("PATH_INFO", "").startswith("/api/") else web
    return handler(environ, start_response)
