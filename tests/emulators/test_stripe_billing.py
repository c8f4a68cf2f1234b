"""The emulator's customers, products, prices, plans, subscriptions and invoices, exercised
through the official SDK over real HTTP."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import stripe


def client(emu, key="sk_test_emulator"):
    return stripe.StripeClient(key, base_addresses={"api": emu.url}, max_network_retries=0)


def monthly(c, amount=2000, currency="usd", name="Pro", interval="month", count=1):
    return c.v1.prices.create(
        {
            "currency": currency,
            "unit_amount": amount,
            "recurring": {"interval": interval, "interval_count": count},
            "product_data": {"name": name},
        }
    )


def test_emulator_customer_create_update_delete_and_list(stripe_emulator):
    c = client(stripe_emulator)
    a = c.v1.customers.create({"email": "a@example.com", "name": "Acme", "metadata": {"k": "1"}})
    b = c.v1.customers.create({"email": "b@example.com"})
    assert a.id.startswith("cus_") and a.object == "customer" and a.balance == 0
    assert a.delinquent is False and a.currency is None and a.metadata.to_dict() == {"k": "1"}
    upd = c.v1.customers.update(a.id, {"email": "new@example.com", "metadata": {"k": ""}})
    assert upd.email == "new@example.com" and upd.metadata.to_dict() == {}
    assert [x.id for x in c.v1.customers.list().data] == [b.id, a.id]
    assert [x.id for x in c.v1.customers.list({"email": "b@example.com"}).data] == [b.id]
    gone = c.v1.customers.delete(b.id)
    assert gone.deleted is True
    # Stripe answers a deleted customer's retrieve with 200 and a stub, and lists omit it.
    assert c.v1.customers.retrieve(b.id).to_dict() == {
        "id": b.id,
        "object": "customer",
        "deleted": True,
    }
    assert [x.id for x in c.v1.customers.list().data] == [a.id]
    with pytest.raises(stripe.InvalidRequestError) as exc:
        c.v1.customers.update(b.id, {"name": "x"})
    assert exc.value.http_status == 404
    types = [e.type for e in c.v1.events.list({"type": "customer.*"}).data]
    assert types == ["customer.deleted", "customer.updated", "customer.created", "customer.created"]
    prev = c.v1.events.list({"type": "customer.updated"}).data[0].data.previous_attributes
    assert prev.to_dict() == {"email": "a@example.com", "metadata": {"k": "1"}}


def test_emulator_customer_search_query_language(stripe_emulator):
    c = client(stripe_emulator)
    a = c.v1.customers.create({"email": "ann@example.com", "name": "Ann Lee"})
    b = c.v1.customers.create({"email": "bob@example.org", "metadata": {"tier": "gold"}})
    search = c.v1.customers.search
    assert [x.id for x in search({"query": "email:'ann@example.com'"}).data] == [a.id]
    assert [x.id for x in search({"query": "email~'example'"}).data] == [b.id, a.id]
    assert [x.id for x in search({"query": "metadata['tier']:'gold'"}).data] == [b.id]
    assert [x.id for x in search({"query": "-metadata['tier']:'gold'"}).data] == [a.id]
    both = "email:'ann@example.com' OR metadata['tier']:'gold'"
    assert {x.id for x in search({"query": both}).data} == {a.id, b.id}
    page = search({"query": "email~'example'", "limit": 1})
    assert page.object == "search_result" and page.has_more and page.next_page == "1"
    rest = search({"query": "email~'example'", "limit": 1, "page": page.next_page})
    assert [x.id for x in rest.data] == [a.id] and not rest.has_more
    for bad in ("email~'ab'", "nonsense", "email:'a' AND name:'b' OR phone:'c'"):
        with pytest.raises(stripe.InvalidRequestError):
            search({"query": bad})


def test_emulator_subscription_with_price_pays_its_first_invoice(stripe_emulator):
    c = client(stripe_emulator)
    cus = c.v1.customers.create({"email": "a@example.com"})
    price = monthly(c, 2500, "eur")
    sub = c.v1.subscriptions.create(
        {"customer": cus.id, "items": [{"price": price.id, "quantity": 3}]}
    )
    raw = sub.to_dict()
    assert raw["status"] == "active" and raw["currency"] == "eur"
    item = raw["items"]["data"][0]
    assert item["price"]["id"] == price.id and item["quantity"] == 3
    assert item["plan"]["amount"] == 2500 and item["plan"]["interval"] == "month"
    assert item["current_period_end"] - item["current_period_start"] == 30 * 86400
    invoice = c.v1.invoices.retrieve(raw["latest_invoice"]).to_dict()
    assert invoice["status"] == "paid" and invoice["amount_due"] == 7500
    assert invoice["amount_paid"] == 7500 and invoice["amount_remaining"] == 0
    assert invoice["parent"]["subscription_details"]["subscription"] == sub.id
    assert invoice["status_transitions"]["paid_at"] is not None and invoice["number"]
    assert invoice["hosted_invoice_url"].startswith("https://")
    assert c.v1.customers.retrieve(cus.id).currency == "eur"
    types = [e.type for e in reversed(c.v1.events.list({"limit": 100}).data)]
    assert types[-5:] == [
        "invoice.created",
        "invoice.finalized",
        "invoice.paid",
        "invoice.payment_succeeded",
        "customer.subscription.created",
    ]


def test_emulator_legacy_plan_trial_and_send_invoice(stripe_emulator):
    c = client(stripe_emulator)
    cus = c.v1.customers.create({"email": "a@example.com"})
    plan = c.v1.plans.create(
        {"amount": 12000, "currency": "usd", "interval": "year", "product": {"name": "Annual"}}
    )
    sub = c.v1.subscriptions.create({"customer": cus.id, "items": [{"plan": plan.id}]}).to_dict()
    item = sub["items"]["data"][0]
    assert item["plan"]["id"] == plan.id and item["price"]["unit_amount"] == 12000
    assert item["price"]["recurring"]["interval"] == "year"
    trial = c.v1.subscriptions.create(
        {"customer": cus.id, "items": [{"plan": plan.id}], "trial_period_days": 14}
    )
    assert trial.status == "trialing" and trial.trial_end - trial.trial_start == 14 * 86400
    assert c.v1.invoices.retrieve(trial.latest_invoice).amount_due == 0
    billed = c.v1.subscriptions.create(
        {
            "customer": cus.id,
            "items": [{"plan": plan.id}],
            "collection_method": "send_invoice",
            "days_until_due": 7,
        }
    )
    inv = c.v1.invoices.retrieve(billed.latest_invoice)
    assert billed.status == "active" and inv.status == "open" and inv.amount_remaining == 12000
    assert inv.due_date - inv.created == 7 * 86400


def test_emulator_declined_payment_past_due_then_paid(stripe_emulator):
    c = client(stripe_emulator)
    cus = c.v1.customers.create(
        {"email": "a@example.com", "invoice_settings": {"default_payment_method": "pm_card_visa"}}
    )
    price = monthly(c)
    sub = c.v1.subscriptions.create({"customer": cus.id, "items": [{"price": price.id}]})
    assert sub.status == "active"
    c.v1.customers.update(
        cus.id, {"invoice_settings": {"default_payment_method": "pm_card_chargeDeclined"}}
    )
    renewed = stripe_emulator.advance_subscription(sub.id)
    assert renewed["status"] == "past_due"
    open_ = c.v1.invoices.list({"customer": cus.id, "status": "open"}).data
    assert len(open_) == 1 and open_[0].amount_remaining == 2000
    assert c.v1.customers.retrieve(cus.id).delinquent is True
    with pytest.raises(stripe.CardError):
        c.v1.invoices.pay(open_[0].id)
    paid = c.v1.invoices.pay(open_[0].id, {"payment_method": "pm_card_visa"})
    assert paid.status == "paid" and paid.amount_paid == 2000
    assert c.v1.subscriptions.retrieve(sub.id).status == "active"
    declined = c.v1.subscriptions.create(
        {
            "customer": cus.id,
            "items": [{"price": price.id}],
            "default_payment_method": "pm_card_chargeDeclined",
        }
    )
    assert declined.status == "incomplete"


def test_emulator_subscription_update_cancel_and_list_filters(stripe_emulator):
    c = client(stripe_emulator)
    cus = c.v1.customers.create({"email": "a@example.com"})
    other = c.v1.customers.create({"email": "b@example.com"})
    price, bigger = monthly(c), monthly(c, 5000, name="Team")
    sub = c.v1.subscriptions.create({"customer": cus.id, "items": [{"price": price.id}]})
    c.v1.subscriptions.create({"customer": other.id, "items": [{"price": price.id}]})
    item_id = sub["items"].data[0].id
    upd = c.v1.subscriptions.update(
        sub.id,
        {
            "cancel_at_period_end": True,
            "items": [{"id": item_id, "price": bigger.id, "quantity": 2}],
        },
    ).to_dict()
    assert upd["cancel_at_period_end"] is True and upd["cancel_at"] is not None
    assert upd["items"]["data"][0]["price"]["unit_amount"] == 5000
    assert upd["items"]["data"][0]["quantity"] == 2
    prev = c.v1.events.list({"type": "customer.subscription.updated"}).data[0]
    assert prev.data.previous_attributes.cancel_at_period_end is False
    canceled = c.v1.subscriptions.cancel(sub.id)
    assert canceled.status == "canceled" and canceled.ended_at is not None
    assert [s.id for s in c.v1.subscriptions.list({"customer": cus.id}).data] == []
    listed = c.v1.subscriptions.list({"customer": cus.id, "status": "all"}).data
    assert [s.id for s in listed] == [sub.id]
    assert len(c.v1.subscriptions.list({"status": "canceled"}).data) == 1
    assert len(c.v1.subscriptions.list({"status": "all"}).data) == 2
    found = c.v1.subscriptions.search({"query": "status:'canceled'"}).data
    assert [s.id for s in found] == [sub.id]
    with pytest.raises(stripe.InvalidRequestError):
        c.v1.subscriptions.cancel(sub.id)
    c.v1.customers.delete(other.id)  # cancels its subscription too
    assert all(s.status == "canceled" for s in c.v1.subscriptions.list({"status": "all"}).data)
    deleted = c.v1.events.list({"type": "customer.subscription.deleted"}).data
    assert len(deleted) == 2


def test_emulator_invoice_transitions(stripe_emulator):
    c = client(stripe_emulator)
    cus = c.v1.customers.create({"email": "a@example.com"})
    c.v1.invoice_items.create({"customer": cus.id, "amount": 1234, "currency": "gbp"})
    draft = c.v1.invoices.create({"customer": cus.id, "collection_method": "send_invoice"})
    assert draft.status == "draft" and draft.number is None and draft.amount_due == 1234
    assert draft.hosted_invoice_url is None and draft.currency == "gbp"
    opened = c.v1.invoices.finalize_invoice(draft.id)
    assert opened.status == "open" and opened.number and opened.hosted_invoice_url
    voided = c.v1.invoices.void_invoice(draft.id)
    assert voided.status == "void" and voided.status_transitions.voided_at
    with pytest.raises(stripe.InvalidRequestError):
        c.v1.invoices.pay(draft.id)
    c.v1.invoice_items.create({"customer": cus.id, "amount": 500, "currency": "gbp"})
    second = c.v1.invoices.finalize_invoice(c.v1.invoices.create({"customer": cus.id}).id)
    bad = c.v1.invoices.mark_uncollectible(second.id)
    assert bad.status == "uncollectible"
    paid = c.v1.invoices.pay(second.id, {"paid_out_of_band": True})
    assert paid.status == "paid" and paid.amount_remaining == 0
    third = c.v1.invoices.create({"customer": cus.id})
    c.v1.invoices.delete(third.id)
    with pytest.raises(stripe.InvalidRequestError):
        c.v1.invoices.retrieve(third.id)
    listed = c.v1.invoices.list({"customer": cus.id}).data
    assert [i.status for i in listed] == ["paid", "void"]
    assert [i.id for i in c.v1.invoices.list({"status": "void"}).data] == [draft.id]
    found = c.v1.invoices.search({"query": f"customer:'{cus.id}' AND status:'paid'"}).data
    assert [i.id for i in found] == [second.id]
    types = [e.type for e in c.v1.events.list({"type": "invoice.*", "limit": 100}).data]
    for wanted in (
        "invoice.voided",
        "invoice.marked_uncollectible",
        "invoice.paid",
        "invoice.deleted",
    ):
        assert wanted in types


def test_emulator_seeded_billing_pages_completely(stripe_emulator):
    ids = stripe_emulator.seed_billing(450, invoices_per_customer=3)
    c = client(stripe_emulator)
    customers = [x.id for x in c.v1.customers.list({"limit": 100}).auto_paging_iter()]
    assert customers == list(reversed(ids))
    subs = list(c.v1.subscriptions.list({"limit": 100, "status": "all"}).auto_paging_iter())
    assert len(subs) == 450 and {s.customer for s in subs} == set(ids)
    invoices = [i.id for i in c.v1.invoices.list({"limit": 100}).auto_paging_iter()]
    assert len(invoices) == len(set(invoices)) == 1350
    assert c.v1.products.list({"limit": 10}).data


def test_emulator_billing_events_reach_webhook_endpoints_signed(stripe_emulator):
    got, arrived = [], threading.Event()

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            got.append((body.decode(), self.headers["Stripe-Signature"]))
            self.send_response(200)
            self.end_headers()
            arrived.set()

        def log_message(self, *a):
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        c = client(stripe_emulator)
        ep = c.v1.webhook_endpoints.create(
            {
                "url": f"http://127.0.0.1:{server.server_address[1]}/hook",
                "enabled_events": ["customer.updated"],
            }
        )
        cus = c.v1.customers.create({"email": "a@example.com"})
        c.v1.customers.update(cus.id, {"email": "b@example.com"})
        assert arrived.wait(10)
        body, header = got[0]
        event = stripe.Webhook.construct_event(body, header, ep.secret)
        assert event.type == "customer.updated"
        assert json.loads(body)["data"]["object"]["email"] == "b@example.com"
        assert len(got) == 1  # customer.created was not enabled
    finally:
        server.shutdown()
        server.server_close()
