"""Sync Stripe Customers against stock localstripe: customers, legacy plans, subscriptions
and invoices from a Stripe implementation we did not write."""

import stripe

from tests.integrations.helpers import connect, get_task
from tests.integrations.test_stripe_customers import add_customers_task


def test_customers_backfill_against_localstripe(
    api, accounts, localstripe, settings, transactional_db, immediate_tasks
):
    settings.STRIPE_API_BASE = localstripe
    c = stripe.StripeClient("sk_test_local", base_addresses={"api": localstripe})
    product = c.v1.products.create({"name": "Gold"})
    monthly = c.v1.plans.create(
        {"amount": 2000, "currency": "usd", "interval": "month", "product": product.id}
    )
    yearly = c.v1.plans.create(
        {"amount": 24000, "currency": "usd", "interval": "year", "product": product.id}
    )
    made = []
    for i in range(4):
        cus = c.v1.customers.create({"email": f"c{i}@example.com", "name": f"C{i}"})
        pm = c.v1.payment_methods.create(
            {"type": "card", "card": {"number": "4242424242424242", "exp_month": 12,
                                      "exp_year": 2040, "cvc": "123"}}
        )  # fmt: skip
        c.v1.payment_methods.attach(pm.id, {"customer": cus.id})
        c.v1.customers.update(cus.id, {"invoice_settings": {"default_payment_method": pm.id}})
        plan = monthly if i % 2 == 0 else yearly
        c.v1.subscriptions.create(
            {"customer": cus.id, "items": [{"plan": plan.id, "quantity": i + 1}]}
        )
        made.append(cus.id)
    url = f"/api/models/{accounts.public_id}/records"
    for i, cid in enumerate(made):
        api.post(url, json={"id": str(i), "stripe_customer_id": cid})
    integ = connect(api, key="sk_test_local")
    task = add_customers_task(api, integ["id"], accounts.public_id)
    got = get_task(api, integ["id"], task["id"])
    assert got["status"] == "live", got
    assert got["keep_current"]["mode"] == "polling"  # no /v1/webhook_endpoints there
    first = api.get(f"{url}/0").json()["stripe_customer"]
    assert first["id"] == made[0] and first["email"] == "c0@example.com"
    assert first["subscription_status"] == "active" and first["mrr"] == 2000
    assert first["plan"] == "Gold" and first["active_subscriptions"] == 1
    second = api.get(f"{url}/1").json()["stripe_customer"]
    assert second["mrr"] == 4000  # 24000 × 2 ÷ 12
    assert len(second["subscriptions"]) == 1 and second["invoices"]
    ids = [r["id"] for r in api.get(url, {"sort": "-stripe_customer.mrr"}).json()["data"]]
    assert ids[0] == "3"  # 24000 × 4 ÷ 12 = 8000

    # localstripe emits customer.* events but matches the events list's type exactly:
    # the wildcards Gather polls with find nothing there (and no error).
    from gather.integrations.services import task_poll
    from tests.integrations.helpers import task_row

    assert c.v1.events.list({"type": "customer.created"}).data
    assert c.v1.events.list({"type": "customer.*"}).data == []
    assert task_poll(task_pk=task_row(task["id"]).pk) == 0
