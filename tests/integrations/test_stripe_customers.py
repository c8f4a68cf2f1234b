"""Sync Stripe Customers through the API against the emulator: backfill, the join, the
single record's subscriptions and invoices, queries, views and CSV."""

import csv
import io

import pytest
import stripe

from gather.integrations.stripe.models import StripeCustomer, StripeInvoice
from tests.integrations.helpers import connect, get_task


def add_customers_task(api, integration_id, model_id, **options):
    resp = api.post(
        f"/api/integrations/{integration_id}/tasks",
        json={"type": "sync_stripe_customers", "options": {"model": model_id, **options}},
    )
    assert resp.status_code == 201, resp.content
    return resp.json()


def sdk(emu):
    return stripe.StripeClient("sk_test_emulator", base_addresses={"api": emu.url})


def price(c, amount, interval="month", currency="usd", name="Pro", count=1):
    return c.v1.prices.create(
        {
            "currency": currency,
            "unit_amount": amount,
            "recurring": {"interval": interval, "interval_count": count},
            "product_data": {"name": name},
        }
    ).id


@pytest.fixture
def billing(stripe_env):
    """Three customers: monthly Pro ×2 (paid), yearly Enterprise past due with an open
    invoice, and one with nothing."""
    c = sdk(stripe_env)
    pro, ent = price(c, 2500, name="Pro"), price(c, 120000, "year", "eur", "Enterprise")
    a = c.v1.customers.create({"email": "a@example.com", "name": "Acme"})
    b = c.v1.customers.create(
        {"email": "b@example.com", "invoice_settings": {"default_payment_method": "pm_card_visa"}}
    )
    n = c.v1.customers.create({"email": "n@example.com", "name": "Nobody"})
    sub_a = c.v1.subscriptions.create({"customer": a.id, "items": [{"price": pro, "quantity": 2}]})
    sub_b = c.v1.subscriptions.create({"customer": b.id, "items": [{"price": ent}]})
    c.v1.customers.update(
        b.id, {"invoice_settings": {"default_payment_method": "pm_card_chargeDeclined"}}
    )
    stripe_env.advance_subscription(sub_b.id)  # renewal fails: past_due, invoice open
    return {"a": a.id, "b": b.id, "n": n.id, "sub_a": sub_a.id, "sub_b": sub_b.id}


def push(api, model, rows):
    url = f"/api/models/{model.public_id}/records"
    for row in rows:
        resp = api.post(url, json=row)
        assert resp.status_code in (200, 201), resp.content
    return url


def test_customers_backfill_joins_customer_and_summary(api, accounts, billing, stripe_env):
    url = push(
        api,
        accounts,
        [
            {"id": "1", "stripe_customer_id": billing["a"]},
            {"id": "2", "stripe_customer_id": billing["b"]},
            {"id": "3", "stripe_customer_id": billing["n"]},
            {"id": "4", "stripe_customer_id": "cus_unknown"},
        ],
    )
    integ = connect(api)
    task = add_customers_task(api, integ["id"], accounts.public_id)
    assert task["options"]["customer_id_field"] == "stripe_customer_id"
    got = get_task(api, integ["id"], task["id"])
    assert got["status"] == "live", got
    assert got["progress"]["synced"] == 3 + 2 + 3  # customers, subscriptions, invoices
    assert got["keep_current"]["mode"] == "webhook"
    (endpoint,) = stripe_env.endpoints.values()
    assert endpoint["description"] == "Gather: Sync Stripe Customers"
    assert "customer.subscription.deleted" in endpoint["enabled_events"]
    assert "invoice.paid" in endpoint["enabled_events"]

    a = api.get(f"{url}/1").json()["stripe_customer"]
    assert a["id"] == billing["a"] and a["email"] == "a@example.com" and a["name"] == "Acme"
    assert a["currency"] == "usd" and a["balance"] == 0 and a["delinquent"] is False
    assert a["created"].endswith("Z") and a["metadata"] == {}
    assert a["mrr"] == 5000 and a["subscription_status"] == "active"
    assert a["active_subscriptions"] == 1 and a["plan"] == "Pro"
    assert a["cancel_at_period_end"] is False and a["current_period_end"].endswith("Z")
    assert a["open_invoices"] == 0 and a["amount_due"] == 0
    assert a["last_invoice_paid_at"].endswith("Z")
    (sub,) = a["subscriptions"]
    assert sub["id"] == billing["sub_a"] and sub["status"] == "active"
    assert sub["items"][0]["amount"] == 2500 and sub["items"][0]["quantity"] == 2
    assert sub["items"][0]["interval"] == "month"
    (inv,) = a["invoices"]
    assert inv["status"] == "paid" and inv["amount_paid"] == 5000 and inv["number"]
    assert inv["hosted_invoice_url"].startswith("https://")

    b = api.get(f"{url}/2").json()["stripe_customer"]
    assert b["subscription_status"] == "past_due" and b["mrr"] == 10000  # 120000 / 12
    assert b["plan"] == "Enterprise" and b["currency"] == "eur" and b["delinquent"] is True
    assert b["open_invoices"] == 1 and b["amount_due"] == 120000
    assert sorted(i["status"] for i in b["invoices"]) == ["open", "paid"]

    n = api.get(f"{url}/3").json()["stripe_customer"]
    assert n["subscription_status"] is None and n["mrr"] == 0 and n["plan"] is None
    assert n["subscriptions"] == [] and n["invoices"] == []
    assert api.get(f"{url}/4").json()["stripe_customer"] is None

    listed = api.get(url, {"sort": "id"}).json()["data"]
    assert [r["id"] for r in listed] == ["1", "2", "3", "4"]
    assert listed[0]["stripe_customer"]["mrr"] == 5000
    assert "subscriptions" not in listed[0]["stripe_customer"]
    assert "invoices" not in listed[1]["stripe_customer"]


def test_customers_filter_sort_search_view_and_csv(api, accounts, billing, stripe_env):
    url = push(
        api,
        accounts,
        [
            {"id": "1", "stripe_customer_id": billing["a"]},
            {"id": "2", "stripe_customer_id": billing["b"]},
            {"id": "3", "stripe_customer_id": billing["n"]},
        ],
    )
    add_customers_task(api, connect(api)["id"], accounts.public_id)

    def ids(params):
        resp = api.get(url, params)
        assert resp.status_code == 200, resp.content
        return [r["id"] for r in resp.json()["data"]]

    assert ids({"filter[stripe_customer.subscription_status]": "past_due"}) == ["2"]
    assert ids({"sort": "-stripe_customer.mrr"}) == ["2", "1", "3"]
    assert ids({"filter[stripe_customer.mrr][gte]": "5000", "sort": "stripe_customer.mrr"}) == [
        "1",
        "2",
    ]
    assert ids({"filter[stripe_customer.amount_due][gt]": "0"}) == ["2"]
    assert ids({"filter[stripe_customer.plan]": "Pro"}) == ["1"]
    assert ids({"filter[stripe_customer.cancel_at_period_end]": "false", "sort": "id"}) == [
        "1",
        "2",
    ]
    assert ids({"q": "nobody"}) == ["3"]
    resp = api.get(url, {"filter[stripe_customer.nope]": "x"})
    assert resp.status_code == 400 and resp.json()["error"]["field"]
    resp = api.get(url, {"filter[stripe_customer.mrr]": "lots"})
    assert resp.status_code == 400

    view = api.post(
        "/api/views",
        json={
            "name": "Paying accounts",
            "model": accounts.public_id,
            "filter": [{"field": "stripe_customer.active_subscriptions", "op": "gte", "value": 1}],
            "sort": [{"field": "stripe_customer.mrr", "dir": "desc"}],
            "columns": [
                "id",
                "stripe_customer.email",
                "stripe_customer.mrr",
                "stripe_customer.subscription_status",
            ],
        },
    )
    assert view.status_code == 201, view.content
    resp = api.get(f"/api/views/{view.json()['id']}/export.csv")
    text = b"".join(resp.streaming_content).decode()
    assert list(csv.reader(io.StringIO(text))) == [
        [
            "id",
            "stripe_customer.email",
            "stripe_customer.mrr",
            "stripe_customer.mrr (formatted)",
            "stripe_customer.subscription_status",
        ],
        ["2", "b@example.com", "10000", "100.00 EUR", "past_due"],
        ["1", "a@example.com", "5000", "50.00 USD", "active"],
    ]


def test_customers_task_with_custom_field_beside_charges_task(api, accounts, stripe_env):
    c = sdk(stripe_env)
    cus = c.v1.customers.create({"email": "x@example.com"})
    charge = c.v1.charges.create({"amount": 900, "currency": "usd", "customer": cus.id})
    url = push(api, accounts, [{"id": "1", "cus": cus.id, "stripe_charge_id": charge.id}])
    integ = connect(api)
    add_customers_task(api, integ["id"], accounts.public_id, customer_id_field="cus")
    resp = api.post(
        f"/api/integrations/{integ['id']}/tasks",
        json={"type": "sync_stripe_charges", "options": {"model": accounts.public_id}},
    )
    assert resp.status_code == 422 or resp.status_code == 400  # charge field is required
    resp = api.post(
        f"/api/integrations/{integ['id']}/tasks",
        json={
            "type": "sync_stripe_charges",
            "options": {"model": accounts.public_id, "charge_id_field": "stripe_charge_id"},
        },
    )
    assert resp.status_code == 201, resp.content
    record = api.get(f"{url}/1").json()
    assert record["stripe_customer"]["email"] == "x@example.com"
    assert record["stripe_charge"]["amount"] == 900
    again = api.post(
        f"/api/integrations/{integ['id']}/tasks",
        json={"type": "sync_stripe_customers", "options": {"model": accounts.public_id}},
    )
    assert again.status_code == 409


def test_customers_deleting_the_task_removes_synced_data(api, accounts, billing, stripe_env):
    integ = connect(api)
    task = add_customers_task(api, integ["id"], accounts.public_id)
    assert StripeCustomer.objects.count() == 3 and StripeInvoice.objects.count() == 3
    resp = api.delete(f"/api/integrations/{integ['id']}/tasks/{task['id']}")
    assert resp.status_code == 204
    assert StripeCustomer.objects.count() == 0 and StripeInvoice.objects.count() == 0
    assert stripe_env.endpoints == {}


def test_customers_other_team_cannot_reach_the_task(api, other_api, accounts, stripe_env):
    integ = connect(api)
    task = add_customers_task(api, integ["id"], accounts.public_id)
    resp = other_api.get(f"/api/integrations/{integ['id']}/tasks/{task['id']}")
    assert resp.status_code == 404
    resp = other_api.post(
        f"/api/integrations/{integ['id']}/tasks",
        json={"type": "sync_stripe_customers", "options": {"model": accounts.public_id}},
    )
    assert resp.status_code == 404


def test_customers_backfill_resumes_from_its_checkpoint(api, accounts, stripe_env):
    stripe_env.seed_billing(250, invoices_per_customer=2)
    integ = connect(api)
    # Fail the invoices listing after its first page: the task keeps what it wrote.
    stripe_env.inject_fault("500", count=20, path="/v1/invoices", after=1)
    task = add_customers_task(api, integ["id"], accounts.public_id)
    from gather.integrations.models import IntegrationTask

    row = IntegrationTask.objects.get(public_id=task["id"])
    assert row.state["phase"] == "invoices" and row.state["cursor"]
    assert StripeCustomer.objects.count() == 250
    assert StripeInvoice.objects.count() == 100
    listed_before = stripe_env.listed["customers"]
    stripe_env.faults.clear()
    from gather.integrations.runner import task_backfill

    IntegrationTask.objects.filter(pk=row.pk).update(lease_until=None, runner="")
    task_backfill(task_pk=row.pk)
    row.refresh_from_db()
    assert row.status == "live" and StripeInvoice.objects.count() == 500
    assert stripe_env.listed["customers"] == listed_before  # not listed again


def test_customers_money_filter_as_shown_in_each_customers_currency(
    api, accounts, billing, stripe_env
):
    from gather.views.money import is_money_path, money_condition

    assert is_money_path("stripe_customer.mrr") and is_money_path("stripe_customer.balance")
    assert not is_money_path("stripe_customer.open_invoices")
    expanded = money_condition(
        {"field": "stripe_customer.amount_due", "op": "gt", "value": "0", "unit": "major"}, "f"
    )
    assert {c["and"][0]["field"] for c in expanded["or"]} == {"stripe_customer.currency"}
    push(
        api,
        accounts,
        [
            {"id": "1", "stripe_customer_id": billing["a"]},  # $50.00 a month
            {"id": "2", "stripe_customer_id": billing["b"]},  # €100.00 a month
        ],
    )
    add_customers_task(api, connect(api)["id"], accounts.public_id)
    view = api.post(
        "/api/views",
        json={
            "name": "MRR of 60 or more",
            "model": accounts.public_id,
            "filter": [
                {"field": "stripe_customer.mrr", "op": "gte", "value": "60", "unit": "major"}
            ],
        },
    )
    assert view.status_code == 201, view.content
    got = api.get(f"/api/views/{view.json()['id']}/records").json()["data"]
    assert [r["id"] for r in got] == ["2"]


def test_customers_task_stops_with_words_when_the_key_cannot_read_products(
    api, accounts, stripe_env
):
    allowed = ("/v1/charges", "/v1/events", "/v1/webhook_endpoints", "/v1/customers")
    stripe_env.restrict_key("rk_test_nobilling", allowed)
    integ = connect(api, key="rk_test_nobilling")
    task = add_customers_task(api, integ["id"], accounts.public_id)
    got = get_task(api, integ["id"], task["id"])
    assert got["status"] == "error", got
    assert "Customers, Subscriptions, Invoices and Products" in got["error"]
