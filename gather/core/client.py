"""The address of the client behind a request."""

from django.conf import settings


def client_address(request) -> str:
    """REMOTE_ADDR; with ``GATHER_TRUSTED_PROXIES=N`` (N reverse proxies in front, each
    appending to X-Forwarded-For), the entry the outermost of them appended. Entries a
    client sends itself come before those and are never used."""
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXIES
    if not proxies:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) >= proxies:
        return forwarded[-proxies]
    return forwarded[0] if forwarded else remote
