"""Sync Stripe Customers stays current: webhooks (signed, over HTTP), the events list as
catch-up, and older observations never overwriting newer ones."""

import json
import time

import stripe
from django.test import Client

from gather.integrations.models import InboxEvent
from gather.integrations.services import task_poll
from gather.integrations.stripe.billing import customer_get
from tests.integrations.helpers import connect, task_row, wait_for
from tests.integrations.test_stripe_customers import add_customers_task, price, sdk


def _setup(api, accounts, emu):
    c = sdk(emu)
    pro = price(c, 3000, name="Pro")
    cus = c.v1.customers.create(
        {
            "email": "old@example.com",
            "invoice_settings": {"default_payment_method": "pm_card_visa"},
        }
    )
    sub = c.v1.subscriptions.create({"customer": cus.id, "items": [{"price": pro}]})
    c.v1.invoice_items.create({"customer": cus.id, "amount": 700, "currency": "usd"})
    inv = c.v1.invoices.create({"customer": cus.id, "collection_method": "send_invoice"})
    c.v1.invoices.finalize_invoice(inv.id)
    url = f"/api/models/{accounts.public_id}/records"
    api.post(url, json={"id": "A", "stripe_customer_id": cus.id})
    integ = connect(api)
    task = add_customers_task(api, integ["id"], accounts.public_id)
    return c, cus.id, sub.id, inv.id, f"{url}/A", integ, task


def _post(integ_id, event: dict, secret: str):
    body = json.dumps(event)
    header = stripe.WebhookSignature.generate_signature_header(body, secret)
    return Client().post(
        f"/webhooks/stripe/{integ_id}",
        body,
        content_type="application/json",
        headers={"Stripe-Signature": header},
    )


def _latest(emu, type_, object_id) -> dict:
    return next(
        e
        for e in reversed(emu.events.items)
        if e["type"] == type_ and e["data"]["object"]["id"] == object_id
    )


def test_customer_changes_arrive_by_webhook_over_http(
    api, accounts, stripe_env, live_server, settings
):
    settings.PUBLIC_URL = live_server.url
    stripe_env.delivery_retries = 3
    c, cus, sub, inv, record, integ, task = _setup(api, accounts, stripe_env)
    before = api.get(record).json()["stripe_customer"]
    assert before["mrr"] == 3000 and before["open_invoices"] == 1 and before["amount_due"] == 700

    c.v1.customers.update(cus, {"email": "new@example.com"})
    wait_for(lambda: api.get(record).json()["stripe_customer"]["email"] == "new@example.com")

    c.v1.invoices.pay(inv, {"paid_out_of_band": True})
    got = wait_for(
        lambda: (s := api.get(record).json()["stripe_customer"])["open_invoices"] == 0 and s
    )
    assert got["amount_due"] == 0
    assert next(i for i in got["invoices"] if i["id"] == inv)["status"] == "paid"

    c.v1.subscriptions.cancel(sub)
    got = wait_for(
        lambda: (
            (s := api.get(record).json()["stripe_customer"])["subscription_status"] == "canceled"
            and s
        )
    )
    assert got["mrr"] == 0 and got["active_subscriptions"] == 0
    assert got["subscriptions"][0]["status"] == "canceled"
    assert {d["status"] for d in stripe_env.deliveries} == {200}


def test_customer_changes_arrive_by_the_events_list_only(api, accounts, stripe_env):
    # PUBLIC_URL points nowhere: every delivery fails, the events list is the only way.
    c, cus, sub, inv, record, integ, task = _setup(api, accounts, stripe_env)
    c.v1.customers.update(cus, {"email": "polled@example.com"})
    c.v1.invoices.void_invoice(inv)
    c.v1.subscriptions.update(sub, {"cancel_at_period_end": True})
    assert api.get(record).json()["stripe_customer"]["email"] == "old@example.com"
    assert task_poll(task_pk=task_row(task["id"]).pk) >= 3
    got = api.get(record).json()["stripe_customer"]
    assert got["email"] == "polled@example.com"
    assert got["open_invoices"] == 0 and got["amount_due"] == 0
    assert next(i for i in got["invoices"] if i["id"] == inv)["status"] == "void"
    assert got["cancel_at_period_end"] is True and got["subscription_status"] == "active"
    assert set(InboxEvent.objects.values_list("source", flat=True)) == {"poll"}
    assert task_poll(task_pk=task_row(task["id"]).pk) == 0  # nothing twice


def test_deleted_customer_shows_as_deleted(api, accounts, stripe_env):
    c, cus, sub, inv, record, integ, task = _setup(api, accounts, stripe_env)
    (endpoint,) = stripe_env.endpoints.values()
    c.v1.customers.delete(cus)
    for type_, object_id in (
        ("customer.subscription.deleted", sub),
        ("customer.deleted", cus),
    ):
        event = _latest(stripe_env, type_, object_id)
        assert _post(integ["id"], event, endpoint["secret"]).status_code == 200
    assert api.get(record).json()["stripe_customer"] == {"id": cus, "deleted": True}
    listed = api.get(f"/api/models/{accounts.public_id}/records").json()["data"]
    assert listed[0]["stripe_customer"] == {"id": cus, "deleted": True}
    ids = api.get(
        f"/api/models/{accounts.public_id}/records", {"filter[stripe_customer.deleted]": "true"}
    ).json()["data"]
    assert [r["id"] for r in ids] == ["A"]


def test_deleted_customer_from_the_events_copy_when_stripe_answers_404(api, accounts, stripe_env):
    c, cus, sub, inv, record, integ, task = _setup(api, accounts, stripe_env)
    (endpoint,) = stripe_env.endpoints.values()
    customer = dict(stripe_env.customers.get(cus))
    stripe_env.hide_object(cus)  # a server that answers 404 for deleted customers
    event = {
        "id": "evt_del",
        "object": "event",
        "type": "customer.deleted",
        "created": int(time.time()),
        "data": {"object": customer},
        "livemode": False,
        "api_version": "2026-10-28.endive",
        "pending_webhooks": 1,
        "request": {"id": None},
    }
    assert _post(integ["id"], event, endpoint["secret"]).status_code == 200
    assert api.get(record).json()["stripe_customer"] == {"id": cus, "deleted": True}


def test_older_observations_never_overwrite_newer_ones(api, accounts, stripe_env):
    c, cus, sub, inv, record, integ, task = _setup(api, accounts, stripe_env)
    (endpoint,) = stripe_env.endpoints.values()
    integration_id = task_row(task["id"]).integration_id
    customer = dict(stripe_env.customers.get(cus))
    subscription = json.loads(json.dumps(stripe_env.subscriptions.get(sub)))
    for object_id in (cus, sub):
        stripe_env.hide_object(object_id)  # re-fetches 404: the events' copies are used
    later = int(time.time()) + 100

    def event(id_, type_, obj, created):
        return {
            "id": id_,
            "object": "event",
            "type": type_,
            "created": created,
            "data": {"object": obj},
            "livemode": False,
            "api_version": "2026-10-28.endive",
            "pending_webhooks": 1,
            "request": {"id": None},
        }

    newer = event("evt_n", "customer.updated", {**customer, "email": "new@x.com"}, later + 20)
    older = event("evt_o", "customer.updated", {**customer, "email": "old@x.com"}, later + 10)
    canceled = {**subscription, "status": "canceled"}
    sub_new = event("evt_sn", "customer.subscription.deleted", canceled, later + 20)
    sub_old = event("evt_so", "customer.subscription.updated", subscription, later + 10)
    for e in (newer, sub_new, older, sub_old):  # delivered out of order
        assert _post(integ["id"], e, endpoint["secret"]).status_code == 200
    got = customer_get(integration_id=integration_id, customer_id=cus)
    assert got["email"] == "new@x.com"
    assert got["subscription_status"] == "canceled" and got["mrr"] == 0
    mine = InboxEvent.objects.filter(event_id__in=["evt_n", "evt_o", "evt_sn", "evt_so"])
    assert mine.filter(processed_at__isnull=False).count() == 4


def test_deleted_draft_invoice_and_renamed_product(api, accounts, stripe_env):
    c, cus, sub, inv, record, integ, task = _setup(api, accounts, stripe_env)
    (endpoint,) = stripe_env.endpoints.values()
    c.v1.invoice_items.create({"customer": cus, "amount": 100, "currency": "usd"})
    draft = c.v1.invoices.create({"customer": cus})
    assert _post(integ["id"], _latest(stripe_env, "invoice.created", draft.id), endpoint["secret"])
    assert any(i["id"] == draft.id for i in api.get(record).json()["stripe_customer"]["invoices"])
    c.v1.invoices.delete(draft.id)
    _post(integ["id"], _latest(stripe_env, "invoice.deleted", draft.id), endpoint["secret"])
    assert all(i["id"] != draft.id for i in api.get(record).json()["stripe_customer"]["invoices"])

    product = stripe_env.subscriptions.get(sub)["items"]["data"][0]["price"]["product"]
    c.v1.products.update(product, {"name": "Pro 2027"})
    _post(integ["id"], _latest(stripe_env, "product.updated", product), endpoint["secret"])
    assert api.get(record).json()["stripe_customer"]["plan"] == "Pro 2027"


def test_past_due_after_a_failed_renewal_and_back(api, accounts, stripe_env):
    c, cus, sub, inv, record, integ, task = _setup(api, accounts, stripe_env)
    c.v1.customers.update(
        cus, {"invoice_settings": {"default_payment_method": "pm_card_chargeDeclined"}}
    )
    stripe_env.advance_subscription(sub)
    task_poll(task_pk=task_row(task["id"]).pk)
    got = api.get(record).json()["stripe_customer"]
    assert got["subscription_status"] == "past_due" and got["mrr"] == 3000
    assert got["open_invoices"] == 2 and got["amount_due"] == 3700 and got["delinquent"]
    renewal = next(i for i in got["invoices"] if i["amount_due"] == 3000 and i["status"] == "open")
    c.v1.invoices.pay(renewal["id"], {"payment_method": "pm_card_visa"})
    task_poll(task_pk=task_row(task["id"]).pk)
    got = api.get(record).json()["stripe_customer"]
    assert got["subscription_status"] == "active" and got["amount_due"] == 700
