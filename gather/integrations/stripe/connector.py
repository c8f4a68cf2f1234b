"""The Stripe connector and its one task type, Sync Stripe Charges."""

from __future__ import annotations

import logging
import time

import orjson
import stripe
from django.conf import settings

from gather.core.crypto import decrypt, encrypt
from gather.core.errors import GatherError, ValidationFailed
from gather.integrations.registry import Connector, OptionSpec, TaskType
from gather.query.joins import JoinSpec

from .client import describe, get, key_hint, stripe_client, translate
from .models import StripeCharge
from .store import CHARGE_FIELDS, charges_delete, charges_upsert
from .streams import ChargesStream

log = logging.getLogger(__name__)

# The events a charge sync needs (Stripe's enabled_events takes exact names or "*").
CHARGE_EVENTS = [
    "charge.captured",
    "charge.expired",
    "charge.failed",
    "charge.pending",
    "charge.refunded",
    "charge.succeeded",
    "charge.updated",
    "charge.dispute.created",
    "charge.dispute.updated",
    "charge.dispute.closed",
    "charge.dispute.funds_reinstated",
    "charge.dispute.funds_withdrawn",
    "charge.refund.updated",
]
POLL_PAGE = 100
# Seconds a webhook signature may be off from now, either way (Stripe's default).
WEBHOOK_TOLERANCE = stripe.Webhook.DEFAULT_TOLERANCE


class StripeUnreachable(GatherError):
    status = 502
    code = "stripe_unreachable"


def integration_key(integration) -> str:
    return decrypt(integration.secret_encrypted)


def client_for(integration) -> stripe.StripeClient:
    return stripe_client(integration_key(integration))


def webhook_url(public_url: str, integration) -> str:
    return public_url.rstrip("/") + StripeConnector().webhook_path(integration)


def charge_id_of(obj: dict) -> str | None:
    """The charge an event is about: the object itself, or its ``charge`` reference."""
    if obj.get("object") == "charge":
        return obj.get("id")
    ref = obj.get("charge")
    if isinstance(ref, dict):
        return ref.get("id")
    return ref


class SyncStripeCharges(TaskType):
    type = "sync_stripe_charges"
    label = "Sync Stripe Charges"
    unit = "charges"
    description = (
        "Backfills every charge of the Stripe account, then keeps them current; each record "
        "whose charge-ID field holds a charge's ID shows it as stripe_charge."
    )
    options = (
        OptionSpec("model", "Model ID", "model", "The model whose records name charges."),
        OptionSpec(
            "charge_id_field",
            "Stripe Charge ID Field",
            "field",
            "The record field that holds the charge ID, e.g. stripe_charge_id.",
        ),
    )
    # What a Stripe task of this kind listens to (subclasses name their own objects).
    webhook_events: tuple[str, ...] = tuple(CHARGE_EVENTS)
    poll_types: tuple[str, ...] = ("charge.*",)
    noun = "charge"

    # --- creation and deletion --------------------------------------------------------

    def on_create(self, task) -> None:
        """Register a webhook endpoint; on failure say how the task stays current instead."""
        self._register(task, webhook_url(settings.PUBLIC_URL, task.integration))

    def _register(self, task, url: str) -> None:
        integration = task.integration
        try:
            endpoint = client_for(integration).v1.webhook_endpoints.create(
                {
                    "url": url,
                    "enabled_events": list(self.webhook_events),
                    "description": f"Gather: {self.label}",
                    "metadata": {"gather_task": task.public_id},
                }
            )
        except stripe.StripeError as exc:
            task.keep_current = {
                "mode": "polling",
                "url": url,
                "registration_error": describe(exc),
            }
        else:
            task.webhook_endpoint_id = endpoint.id
            task.webhook_secret_encrypted = encrypt(endpoint.secret)
            task.keep_current = {
                "mode": "webhook",
                "url": url,
                "endpoint": endpoint.id,
                "since": int(time.time()),
            }
        task.poll_state = {k: v for k, v in (task.poll_state or {}).items() if k != "missed"}
        task.save(
            update_fields=[
                "keep_current",
                "webhook_endpoint_id",
                "webhook_secret_encrypted",
                "poll_state",
                "updated_at",
            ]
        )

    def refresh_endpoint(self, task, *, public_url: str) -> None:
        """Point the task's webhook endpoint at ``public_url`` when it names another one.

        An endpoint Stripe no longer has (deleted in the dashboard) and a task whose
        registration failed for the old URL are registered again.
        """
        url = webhook_url(public_url, task.integration)
        kc = dict(task.keep_current or {})
        if kc.get("url") == url and not kc.get("update_error"):
            return
        if kc.get("mode") != "webhook" or not task.webhook_endpoint_id:
            self._register(task, url)
            return
        try:
            client_for(task.integration).v1.webhook_endpoints.update(
                task.webhook_endpoint_id, {"url": url}
            )
        except stripe.InvalidRequestError as exc:
            if exc.http_status != 404:
                return self._update_failed(task, kc, url, exc)
            self._register(task, url)
            return
        except stripe.StripeError as exc:
            return self._update_failed(task, kc, url, exc)
        kc.pop("update_error", None)
        task.keep_current = {**kc, "url": url, "since": int(time.time())}
        task.poll_state = {k: v for k, v in (task.poll_state or {}).items() if k != "missed"}
        task.save(update_fields=["keep_current", "poll_state", "updated_at"])

    def _update_failed(self, task, kc: dict, url: str, exc: stripe.StripeError) -> None:
        log.warning("could not point webhook endpoint %s at %s: %s", kc.get("endpoint"), url, exc)
        task.keep_current = {**kc, "update_error": f"{describe(exc)} (wanted {url})"}
        task.save(update_fields=["keep_current", "updated_at"])

    def webhooks_expected_since(self, task) -> float | None:
        kc = task.keep_current or {}
        if kc.get("mode") == "webhook":
            return float(kc.get("since") or task.created_at.timestamp())
        if task.integration.webhook_secret_encrypted:
            return task.created_at.timestamp()
        return None

    def on_delete(self, task) -> None:
        if task.webhook_endpoint_id:
            try:
                client_for(task.integration).v1.webhook_endpoints.delete(task.webhook_endpoint_id)
            except stripe.StripeError as exc:
                log.warning(
                    "could not delete webhook endpoint %s: %s", task.webhook_endpoint_id, exc
                )
        charges_delete(integration_id=task.integration_id)

    # --- backfill, events, polling ----------------------------------------------------

    def backfill(self, ctx) -> None:
        stream = ChargesStream(client_for(ctx.task.integration), ctx.task.integration_id)
        stream.backfill(ctx)

    def handles(self, event_type: str) -> bool:
        return event_type.startswith("charge.")

    def handle_event(self, task, event: dict) -> None:
        """Treat the event as a trigger: re-fetch the charge; fall back to the event's copy.

        A 404 (the charge is not visible to this key any more) is tolerated: a charge
        object carried by the event is stored with the event's ``created`` as its version,
        so an older event never overwrites what a newer one (or a fetch) stored.
        """
        obj = (event.get("data") or {}).get("object") or {}
        charge_id = charge_id_of(obj)
        if not charge_id:
            return
        client = client_for(task.integration)
        sent = time.time()
        try:
            charge = get(client, f"/v1/charges/{charge_id}")
            version = sent
        except stripe.InvalidRequestError as exc:
            if exc.http_status != 404:
                raise translate(exc) from exc
            if obj.get("object") != "charge":
                return
            charge, version = obj, float(event.get("created") or 0)
        except stripe.StripeError as exc:
            raise translate(exc) from exc
        charges_upsert(integration_id=task.integration_id, charges=[charge], version=version)

    def poll(self, task) -> list[dict]:
        """``charge.*`` (``poll_types``) events since the task's poll cursor, oldest first."""
        since = int((task.poll_state or {}).get("since") or 0)
        client = client_for(task.integration)
        events: list[dict] = []
        for type_ in self.poll_types:
            params: dict = {"type": type_, "limit": POLL_PAGE, "created": {"gte": since}}
            while True:
                try:
                    page = get(client, "/v1/events", **params)
                except stripe.StripeError as exc:
                    raise translate(exc) from exc
                data = page.get("data") or []
                events.extend(data)
                if not page.get("has_more") or not data:
                    break
                params["starting_after"] = data[-1]["id"]
        events.sort(key=lambda e: (int(e.get("created") or 0), str(e.get("id"))))
        return events

    def describe(self, task) -> dict:
        """How the task is kept current, in words the task page shows."""
        kc = task.keep_current or {}
        url = kc.get("url") or webhook_url(settings.PUBLIC_URL, task.integration)
        manual = bool(task.integration.webhook_secret_encrypted)
        poll_note = (task.poll_state or {}).get("error")
        if kc.get("mode") == "webhook":
            text = (
                f"Stripe sends {self.noun} events to {url} (webhook endpoint "
                f"{kc.get('endpoint')}), "
                "verified with the endpoint's signing secret. Gather also reads Stripe's "
                "event list every minute to catch anything a webhook missed."
            )
        elif manual:
            text = (
                f"Stripe sends {self.noun} events to {url} from the endpoint you created, verified "
                "with the signing secret you pasted. Gather also reads Stripe's event list "
                "every minute to catch anything a webhook missed."
            )
        else:
            reason = kc.get("registration_error") or "registration was not attempted"
            text = (
                f"Gather could not register a webhook endpoint with Stripe ({reason}). "
                f"{self.noun.capitalize()}s are kept current by reading Stripe's event list "
                "every minute. For instant updates, create a webhook endpoint in Stripe for "
                f"{url} with the {', '.join(self.poll_types)} events and paste its signing "
                "secret (whsec_...) on the integration."
            )
        if poll_note:
            text += f" Reading the event list failed: {poll_note}"
        if kc.get("update_error"):
            text += (
                " Gather could not point the webhook endpoint at the current "
                f"GATHER_PUBLIC_URL: {kc['update_error']}"
            )
        return {
            "mode": "webhook" if kc.get("mode") == "webhook" or manual else "polling",
            "message": text,
            "webhook_url": url,
            "delivery_problem": self.delivery_problem(task, url),
        }

    def delivery_problem(self, task, url: str) -> str | None:
        """Words for webhooks that stopped arriving while Stripe's event list has newer events.

        The minute poll records events it found that no webhook had brought although
        they were older than the grace period (``poll_state["missed"]``); a webhook
        received after the newest of them means deliveries work again.
        """
        from django.db.models import Max

        from gather.integrations.models import InboxEvent

        missed = (task.poll_state or {}).get("missed")
        expected = self.webhooks_expected_since(task)
        if not missed or expected is None:
            return None
        last = InboxEvent.objects.filter(
            integration_id=task.integration_id, source="webhook"
        ).aggregate(at=Max("received_at"))["at"]
        last_at = last.timestamp() if last else None
        if last_at is not None and last_at >= missed["newest"]:
            return None
        quiet_since = max(expected, last_at or 0)
        minutes = max(1, int((time.time() - quiet_since) // 60))
        count = int(missed["count"])
        events = "event" if count == 1 else "events"
        return (
            f"No webhook received for {minutes} minute{'s' if minutes != 1 else ''} while "
            f"Stripe has newer events ({count:,} {events} found only by reading the event "
            f"list): Stripe cannot reach {url}. Check GATHER_PUBLIC_URL (it must be the "
            "address Stripe can reach Gather at), then restart Gather or press Resume to "
            "point the endpoint at it. Charges stay current through the event list meanwhile, "
            "a minute behind."
        )


def signature_timestamp(header: str) -> int | None:
    """The ``t=`` of a ``Stripe-Signature`` header (``t=…,v1=…``), or None."""
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class StripeConnector(Connector):
    type = "stripe"
    label = "Stripe"
    task_types = (SyncStripeCharges(),)

    def check(self, *, secret_key: str) -> dict:
        secret_key = (secret_key or "").strip()
        if not secret_key.startswith(("sk_", "rk_")):
            raise ValidationFailed(
                "Use a secret key (sk_...) or a restricted key (rk_...) from the Stripe "
                "dashboard; publishable keys (pk_...) cannot read charges.",
                field="secret_key",
                code="stripe_key_invalid",
            )
        try:
            get(stripe_client(secret_key), "/v1/charges", limit=1)
        except stripe.AuthenticationError as exc:
            raise ValidationFailed(
                f"Stripe did not accept this key: {describe(exc)}",
                field="secret_key",
                code="stripe_key_invalid",
            ) from exc
        except stripe.PermissionError as exc:
            raise ValidationFailed(
                "This restricted key cannot read charges; give it read access to Charges "
                f"and Events. Stripe said: {describe(exc)}",
                field="secret_key",
                code="stripe_key_invalid",
            ) from exc
        except stripe.StripeError as exc:
            raise StripeUnreachable(
                f"Could not check the key with Stripe: {describe(exc)}", field="secret_key"
            ) from exc
        return {"key_hint": key_hint(secret_key), "secret_key": secret_key}

    def verify_webhook(self, *, integration, body: bytes, headers) -> tuple[dict, str] | None:
        header = headers.get("Stripe-Signature")
        if not header:
            return None
        # The SDK refuses a timestamp older than the tolerance only; one from the future
        # (a replay signed ahead of time, or a clock far off) is refused here.
        signed_at = signature_timestamp(header)
        if signed_at is None or signed_at > time.time() + WEBHOOK_TOLERANCE:
            return None
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return None
        secrets = [
            decrypt(s)
            for s in integration.tasks.exclude(webhook_secret_encrypted="").values_list(
                "webhook_secret_encrypted", flat=True
            )
        ]
        if integration.webhook_secret_encrypted:
            secrets.append(decrypt(integration.webhook_secret_encrypted))
        for secret in secrets:
            try:
                stripe.WebhookSignature.verify_header(text, header, secret, WEBHOOK_TOLERANCE)
            except stripe.SignatureVerificationError:
                continue
            try:
                event = orjson.loads(body)
            except orjson.JSONDecodeError:
                return None
            if not isinstance(event, dict) or not isinstance(event.get("id"), str):
                return None
            return event, text
        return None


def charge_join_for_model(model) -> JoinSpec | None:
    """Records of a model targeted by Sync Stripe Charges join their charge."""
    from gather.integrations.models import IntegrationTask

    task = (
        IntegrationTask.objects.filter(model_id=model.pk, type=SyncStripeCharges.type)
        .only("integration_id", "options")
        .order_by("id")
        .first()
    )
    if task is None:
        return None
    return JoinSpec(
        name="stripe_charge",
        table=StripeCharge._meta.db_table,
        scope_column="integration_id",
        scope_value=task.integration_id,
        key_column="charge_id",
        data_column="data",
        record_field=task.options.get("charge_id_field", "stripe_charge_id"),
        fields=dict(CHARGE_FIELDS),
        label="Charge",
    )
