"""Sync Stripe Customers: each record of a model joined with its Stripe customer, that
customer's subscriptions and invoices, and a summary (MRR, status, what is owed).

It is a Stripe task like Sync Stripe Charges and shares its machinery: webhook endpoint
registration, the events list as catch-up, the checkpointed prefetching list stream and
the versioned upsert (an older observation never overwrites a newer one). What differs
is the objects: four lists in the backfill and three kinds of event.
"""

from __future__ import annotations

import logging
import threading
import time

import stripe

from gather.integrations.registry import OptionSpec
from gather.query.joins import JoinSpec

from . import billing
from .client import get, translate
from .connector import SyncStripeCharges, client_for
from .streams import ChargesStream

log = logging.getLogger(__name__)

CUSTOMER_EVENTS = (
    "customer.created",
    "customer.updated",
    "customer.deleted",
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "customer.subscription.paused",
    "customer.subscription.resumed",
    "customer.subscription.pending_update_applied",
    "customer.subscription.pending_update_expired",
    "customer.subscription.trial_will_end",
    "invoice.created",
    "invoice.deleted",
    "invoice.finalized",
    "invoice.marked_uncollectible",
    "invoice.overdue",
    "invoice.paid",
    "invoice.payment_action_required",
    "invoice.payment_failed",
    "invoice.payment_succeeded",
    "invoice.updated",
    "invoice.voided",
    "product.created",
    "product.updated",
)

# Backfill phases in order: each lists one Stripe collection (a customer's summary needs
# its subscriptions and invoices, and product names for ``plan``).
PHASES = (
    ("products", "/v1/products", {}),
    ("customers", "/v1/customers", {}),
    ("subscriptions", "/v1/subscriptions", {"status": "all"}),
    ("invoices", "/v1/invoices", {}),
)
WRITERS = {
    "products": lambda i, objs, v: billing.products_upsert(
        integration_id=i, products=objs, version=v
    ),
    "customers": lambda i, objs, v: billing.customers_upsert(
        integration_id=i, customers=objs, version=v
    ),
    "subscriptions": lambda i, objs, v: billing.subscriptions_upsert(
        integration_id=i, subscriptions=objs, version=v
    ),
    "invoices": lambda i, objs, v: billing.invoices_upsert(
        integration_id=i, invoices=objs, version=v
    ),
}
# Stripe's ``object`` -> (path to re-fetch it, phase whose writer stores it)
REFETCH = {
    "customer": ("/v1/customers/", "customers"),
    "subscription": ("/v1/subscriptions/", "subscriptions"),
    "invoice": ("/v1/invoices/", "invoices"),
    "product": ("/v1/products/", "products"),
}


class ListStream(ChargesStream):
    """Any Stripe list endpoint, paged like the charges (prefetch, backoff, heartbeat)."""

    def __init__(self, client, integration_id: int, path: str, params: dict):
        super().__init__(client, integration_id)
        self.path = path
        self.list_params = params


class SyncStripeCustomers(SyncStripeCharges):
    type = "sync_stripe_customers"
    label = "Sync Stripe Customers"
    description = (
        "Backfills every customer with its subscriptions and invoices, then keeps them "
        "current; each record whose customer-ID field holds a customer's ID shows it, with "
        "MRR, subscription status and what is owed, as stripe_customer."
    )
    options = (
        OptionSpec(
            "model", "Model ID", "model", "The model whose records name customers (Accounts)."
        ),
        OptionSpec(
            "customer_id_field",
            "Stripe Customer ID Field",
            "field",
            "The record field that holds the customer ID (default stripe_customer_id).",
            required=False,
        ),
    )
    webhook_events = CUSTOMER_EVENTS
    poll_types = ("customer.*", "invoice.*", "product.*")
    noun = "customer"
    unit = "objects"  # customers, subscriptions and invoices, in progress texts
    default_field = "stripe_customer_id"

    def clean_options(self, *, team, options):
        cleaned, model = super().clean_options(team=team, options=options)
        cleaned.setdefault("customer_id_field", self.default_field)
        return cleaned, model

    def on_delete(self, task) -> None:
        """Remove the webhook endpoint (best effort, as for charges) and the synced data."""
        if task.webhook_endpoint_id:
            try:
                client_for(task.integration).v1.webhook_endpoints.delete(task.webhook_endpoint_id)
            except stripe.StripeError as exc:
                log.warning(
                    "could not delete webhook endpoint %s: %s", task.webhook_endpoint_id, exc
                )
        billing.billing_delete(integration_id=task.integration_id)

    # --- backfill ---------------------------------------------------------------------

    def reset_state(self) -> dict:
        return {"phase": PHASES[0][0], "cursor": None, "done": False}

    def backfill(self, ctx) -> None:
        """Four lists in turn; each page and the cursor after it commit together."""
        if ctx.state.get("done"):
            return
        client = client_for(ctx.task.integration)
        names = [p[0] for p in PHASES]
        phase = ctx.state.get("phase") if ctx.state.get("phase") in names else names[0]
        cursor = ctx.state.get("cursor")
        ctx.progress["phase"] = "backfill"
        integration_id = ctx.task.integration_id
        for name, path, params in PHASES[names.index(phase) :]:
            ctx.progress["stage"] = name
            stream = ListStream(client, integration_id, path, params)
            for objs, has_more, fetched_at in stream.pages(
                cursor, threading.Event(), ctx.heartbeat
            ):
                cursor = objs[-1]["id"] if objs else cursor
                state = {"phase": name, "cursor": cursor, "done": False}
                if not has_more:
                    following = names.index(name) + 1
                    last = following == len(names)
                    state = {
                        "phase": name if last else names[following],
                        "cursor": None,
                        "done": last,
                    }
                ctx.checkpoint(
                    state=state,
                    synced=len(objs) if name != "products" else 0,
                    write=lambda o=objs, v=fetched_at, w=WRITERS[name]: w(integration_id, o, v),
                )
            cursor = None
        if not ctx.state.get("done"):
            ctx.checkpoint(state={"phase": names[-1], "cursor": None, "done": True}, synced=0)

    # --- events -------------------------------------------------------------------------

    def handles(self, event_type: str) -> bool:
        return event_type.startswith(("customer.", "invoice.", "product."))

    def handle_event(self, task, event: dict) -> None:
        """Re-fetch the object the event is about; fall back to the event's copy on 404.

        A fetch is stored with the time it was sent as its version, the event's copy with
        the event's ``created``: an older observation never overwrites a newer one.
        ``customer.discount.*``, ``customer.source.*`` and the like carry other objects
        and change nothing Gather shows.
        """
        obj = (event.get("data") or {}).get("object") or {}
        kind, object_id = obj.get("object"), obj.get("id")
        if kind not in REFETCH or not isinstance(object_id, str):
            return
        path, phase = REFETCH[kind]
        integration_id = task.integration_id
        sent = time.time()
        try:
            fresh = get(client_for(task.integration), path + object_id)
            version = sent
        except stripe.InvalidRequestError as exc:
            if exc.http_status != 404:
                raise translate(exc) from exc
            version = float(event.get("created") or 0)
            if event.get("type") == "invoice.deleted":
                billing.invoice_forget(integration_id=integration_id, invoice_id=object_id)
                return
            fresh = obj
            if event.get("type") == "customer.deleted":
                fresh = {"id": object_id, "object": "customer", "deleted": True}
        except stripe.StripeError as exc:
            raise translate(exc) from exc
        WRITERS[phase](integration_id, [fresh], version)


def customer_join_for_model(model) -> JoinSpec | None:
    """Records of a model targeted by Sync Stripe Customers join their customer."""
    from gather.integrations.models import IntegrationTask

    task = (
        IntegrationTask.objects.filter(model_id=model.pk, type=SyncStripeCustomers.type)
        .only("integration_id", "options")
        .order_by("id")
        .first()
    )
    if task is None:
        return None
    integration_id = task.integration_id
    return JoinSpec(
        name="stripe_customer",
        label="Customer",
        table="gather_stripe_customer",
        scope_column="integration_id",
        scope_value=integration_id,
        key_column="customer_id",
        data_column="data",
        record_field=task.options.get("customer_id_field") or SyncStripeCustomers.default_field,
        fields=dict(billing.CUSTOMER_FIELDS),
        detail=lambda customer_id: billing.customer_detail(
            integration_id=integration_id, customer_id=customer_id
        ),
    )
