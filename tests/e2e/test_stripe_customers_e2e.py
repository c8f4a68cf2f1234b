"""Sync Stripe Customers end to end against a real `gather serve` (granian + embedded
consumer): accounts pushed through the API, thousands of customers backfilled, then a
cancellation, a payment and an email change arriving by webhook, the same by the events
list only, and a view of accounts filtered by status and sorted by MRR."""

import time

import httpx
import pytest
import stripe

from tests.e2e.conftest import start_server, stop_server
from tests.e2e.test_walkthrough import gather_cli
from tests.emulators.fixtures import _emulator_server, stripe_emulator  # noqa: F401

pytestmark = pytest.mark.slow

CUSTOMERS = 2000


def wait_until(fn, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := fn():
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


@pytest.fixture
def stripe_server(transactional_db, tmp_path, stripe_emulator):  # noqa: F811
    server = start_server(tmp_path, {"GATHER_STRIPE_API_BASE": stripe_emulator.url})
    yield server
    stop_server(server)


def test_customers_backfill_webhooks_events_list_and_view(stripe_server, stripe_emulator):  # noqa: F811
    emu = stripe_emulator
    ids = emu.seed_billing(CUSTOMERS, invoices_per_customer=3)
    user = ["--email", "cs@example.com", "--password", "a long pass phrase", "--team", "Acme"]
    gather_cli(stripe_server, "init", *user)
    key = gather_cli(stripe_server, "apikey", "create", "--team", "Acme").stdout.strip()
    http = httpx.Client(
        base_url=stripe_server.base, headers={"Authorization": f"Token {key}"}, timeout=60
    )
    model_id = http.post("/api/models", json={"name": "Accounts", "id_field": "id"}).json()["id"]
    records = f"/api/models/{model_id}/records"
    accounts = [{"id": f"acct{i}", "stripe_customer_id": cid} for i, cid in enumerate(ids)]
    resp = http.post(f"{records}/batch", json=accounts)
    assert resp.status_code in (200, 201, 207), resp.text

    iid = http.post(
        "/api/integrations", json={"type": "stripe", "secret_key": "sk_test_emulator"}
    ).json()["id"]
    task = http.post(
        f"/api/integrations/{iid}/tasks",
        json={"type": "sync_stripe_customers", "options": {"model": model_id}},
    )
    assert task.status_code == 201, task.text
    tid = task.json()["id"]
    live = wait_until(
        lambda: (
            (t := http.get(f"/api/integrations/{iid}/tasks/{tid}").json())["status"] == "live" and t
        ),
        timeout=180,
    )
    assert live["progress"]["synced"] == CUSTOMERS * 5
    assert live["keep_current"]["mode"] == "webhook"

    def customer(i):
        return http.get(f"{records}/acct{i}").json()["stripe_customer"]

    def open_invoice_customer(start):
        for i in range(start, CUSTOMERS):
            cid = ids[i]
            open_ = [
                inv
                for inv in emu.invoices.items
                if inv["customer"] == cid and inv["status"] == "open"
            ]
            sub = next(s for s in emu.subscriptions.items if s["customer"] == cid)
            if open_ and sub["status"] == "active":
                return i, open_[0]
        raise AssertionError("no customer with an open invoice")

    def active_customer(start):
        return next(
            i
            for i in range(start, CUSTOMERS)
            if next(s for s in emu.subscriptions.items if s["customer"] == ids[i])["status"]
            == "active"
        )

    sdk = stripe.StripeClient("sk_test_emulator", base_addresses={"api": emu.url})

    # By webhook: a cancellation, a payment, an email change.
    canceled = active_customer(0)
    paid, invoice = open_invoice_customer(canceled + 1)
    owed = invoice["amount_remaining"]  # the emulator's object changes when it is paid
    before = customer(paid)
    sdk.v1.subscriptions.cancel(
        next(s for s in emu.subscriptions.items if s["customer"] == ids[canceled])["id"]
    )
    sdk.v1.invoices.pay(invoice["id"], {"paid_out_of_band": True})
    sdk.v1.customers.update(ids[0], {"email": "renamed@example.com"})
    wait_until(lambda: customer(canceled)["subscription_status"] == "canceled", timeout=15)
    assert customer(canceled)["mrr"] == 0
    wait_until(lambda: customer(paid)["open_invoices"] == before["open_invoices"] - 1, 15)
    assert customer(paid)["amount_due"] == before["amount_due"] - owed
    wait_until(lambda: customer(0)["email"] == "renamed@example.com", timeout=15)
    assert {d["status"] for d in emu.deliveries} == {200}

    # By the events list only: deliveries stop; resuming the task reads the list.
    emu.pause_deliveries()
    canceled2 = active_customer(paid + 1)
    paid2, invoice2 = open_invoice_customer(canceled2 + 1)
    before2 = customer(paid2)
    sdk.v1.subscriptions.cancel(
        next(s for s in emu.subscriptions.items if s["customer"] == ids[canceled2])["id"]
    )
    sdk.v1.invoices.pay(invoice2["id"], {"paid_out_of_band": True})
    sdk.v1.customers.update(ids[1], {"email": "polled@example.com"})
    base = f"/api/integrations/{iid}/tasks/{tid}"
    assert http.post(f"{base}/pause").status_code == 200
    assert http.post(f"{base}/resume").status_code == 200
    # (a periodic catch-up may read the same list at once: events of different objects
    # can then land in either order, so each change is awaited on its own)
    wait_until(lambda: customer(1)["email"] == "polled@example.com", timeout=30)
    wait_until(lambda: customer(canceled2)["subscription_status"] == "canceled", timeout=30)
    wait_until(lambda: customer(paid2)["open_invoices"] == before2["open_invoices"] - 1, 30)

    # A view of accounts past due, by MRR.
    view = http.post(
        "/api/views",
        json={
            "name": "Past due by MRR",
            "model": model_id,
            "filter": [{"field": "stripe_customer.subscription_status", "value": "past_due"}],
            "sort": [{"field": "stripe_customer.mrr", "dir": "desc"}],
        },
    )
    assert view.status_code == 201, view.text
    got = http.get(f"/api/views/{view.json()['id']}/records", params={"limit": 500}).json()
    rows = got["data"]
    expected = {
        s["customer"]
        for s in emu.subscriptions.items
        if s["status"] == "past_due" and s["customer"] in set(ids)
    }
    assert {r["stripe_customer"]["id"] for r in rows} == expected
    mrrs = [r["stripe_customer"]["mrr"] for r in rows]
    assert mrrs == sorted(mrrs, reverse=True) and all(m > 0 for m in mrrs)
