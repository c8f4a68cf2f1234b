"""Who makes the writes of the current request or job: the change's ``source``.

A request's source is read when its write appends (the API key the request authenticated
with, else the signed-in user); jobs and commands name theirs with ``acting_as``. Anything
else is the system.
"""

from contextlib import contextmanager
from contextvars import ContextVar

_request: ContextVar = ContextVar("gather_change_request", default=None)
_explicit: ContextVar = ContextVar("gather_change_source", default=None)

SYSTEM = ("system", "system")


@contextmanager
def acting_as(kind: str, id: str):
    token = _explicit.set((kind, str(id)[:255]))
    try:
        yield
    finally:
        _explicit.reset(token)


def current() -> tuple[str, str]:
    explicit = _explicit.get()
    if explicit is not None:
        return explicit
    request = _request.get()
    if request is None:
        return SYSTEM
    auth = getattr(request, "auth", None)
    prefix = getattr(auth, "prefix", None)
    if prefix:
        return ("api_key", prefix)
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return ("user", user.email)
    return SYSTEM


class ChangeSourceMiddleware:
    """Makes the request the source of the writes it causes, for its duration only."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(token)
