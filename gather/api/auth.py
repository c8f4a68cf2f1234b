"""API key authentication: ``Authorization: Token <key>`` or ``Bearer <key>``."""

from ninja.security import APIKeyHeader

from gather.accounts.services import apikey_authenticate
from gather.accounts.throttle import throttle_check, throttle_fail
from gather.core.client import client_address

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
        api_key = None
        if scheme.lower() in SCHEMES:
            api_key = apikey_authenticate(secret=secret.strip())
        if api_key is None:
            # Only a failed check costs a throttle lookup: a valid key (256 random bits,
            # decision 004) is never slowed down (decision 015).
            keys = [client_address(request)]
            throttle_check(scope="apikey", keys=keys)  # 429 once over the limit
            throttle_fail(scope="apikey", keys=keys)
            return None
        request.team = api_key.team
        return api_key
