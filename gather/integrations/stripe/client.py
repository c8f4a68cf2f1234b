"""The Stripe SDK client Gather uses, and Stripe errors translated into words."""

from functools import lru_cache

import stripe
from django.conf import settings

from gather.integrations.registry import SyncError

# Retries inside the SDK (network errors, 409, 5xx) before our own task retries.
SDK_RETRIES = 2
TIMEOUT = 30


@lru_cache(maxsize=64)
def _client(secret_key: str, api_base: str) -> stripe.StripeClient:
    kwargs = {"max_network_retries": SDK_RETRIES}
    if api_base:
        kwargs["base_addresses"] = {"api": api_base}
    kwargs["http_client"] = stripe.RequestsClient(timeout=TIMEOUT)
    return stripe.StripeClient(secret_key, **kwargs)


def stripe_client(secret_key: str) -> stripe.StripeClient:
    """A client for this key; ``GATHER_STRIPE_API_BASE`` points it at a compatible server."""
    return _client(secret_key, settings.STRIPE_API_BASE)


def key_hint(secret_key: str) -> str:
    prefix = "_".join(secret_key.split("_")[:2]) + "_"
    return f"{prefix}…{secret_key[-4:]}"


def get(client: stripe.StripeClient, path: str, **params) -> dict:
    """GET through the SDK (auth, retries, errors) without building typed objects.

    The typed ``StripeObject`` tree costs ~0.3 ms per charge; the backfill only needs the
    JSON, so it reads ``raw_request``'s parsed body.
    """
    return client.raw_request("get", path, **params).data


def describe(exc: stripe.StripeError) -> str:
    message = exc.user_message or str(exc) or exc.__class__.__name__
    return message.strip()


def translate(exc: Exception) -> SyncError:
    """A Stripe SDK error as a SyncError: permanent for key problems, else retried."""
    if isinstance(exc, stripe.AuthenticationError):
        return SyncError(
            f"Stripe rejected the API key: {describe(exc)} Paste the new key with Update "
            "key on the integration (Settings → Integrations → … → Update key), then "
            "resume the task: it continues where it stopped.",
            permanent=True,
        )
    if isinstance(exc, stripe.PermissionError):
        return SyncError(
            f"The API key lacks a permission Gather needs: {describe(exc)} Give the "
            "restricted key read access to Charges (Sync Stripe Charges) or to Customers, "
            "Subscriptions, Invoices and Products (Sync Stripe Customers), and to Events, "
            "then resume the task.",
            permanent=True,
        )
    if isinstance(exc, stripe.RateLimitError):
        return SyncError("Stripe is rate limiting requests (429).")
    if isinstance(exc, stripe.APIConnectionError):
        return SyncError(f"Could not reach Stripe: {describe(exc)}")
    if isinstance(exc, stripe.StripeError):
        status = exc.http_status or "no status"
        return SyncError(f"Stripe answered with an error ({status}): {describe(exc)}")
    return SyncError(f"Unexpected error talking to Stripe: {exc}")
