"""API key authentication: ``Authorization: Token <key>`` or ``Bearer <key>``."""

from ninja.security import APIKeyHeader

from gather.accounts.services import apikey_authenticate

SCHEMES = ("token", "bearer")


class ApiKeyAuth(APIKeyHeader):
    param_name = "Authorization"
    openapi_description = (
        "`Authorization: Token <key>` (or `Bearer <key>`). Create keys in Settings → Developer."
    )

    def authenticate(self, request, key):
        if not key:
            return None
        scheme, _, secret = key.strip().partition(" ")
        if scheme.lower() not in SCHEMES:
            return None
        api_key = apikey_authenticate(secret=secret.strip())
        if api_key is not None:
            request.team = api_key.team
        return api_key
