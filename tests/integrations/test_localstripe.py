"""Backfill against stock localstripe: a Stripe implementation we did not write."""

import stripe

from gather.integrations.stripe.models import StripeCharge
from tests.integrations.helpers import add_task, connect, get_task


def test_backfill_against_localstripe(
    api, orders, localstripe, settings, transactional_db, immediate_tasks
):
    settings.STRIPE_API_BASE = localstripe
    c = stripe.StripeClient("sk_test_local", base_addresses={"api": localstripe})
    made = [
        c.v1.charges.create(
            {
                "amount": 1000 + i,
                "currency": "usd",
                "source": "pm_card_visa",
                "description": f"#{i}",
            }
        ).id
        for i in range(25)
    ]
    c.v1.refunds.create({"charge": made[3], "amount": 300})
    url = f"/api/models/{orders.public_id}/records"
    api.post(url, json={"id": "A", "stripe_charge_id": made[3]})
    integ = connect(api, key="sk_test_local")
    task = add_task(api, integ["id"], orders.public_id)
    got = get_task(api, integ["id"], task["id"])
    # No /v1/webhook_endpoints there: registration fails, the task still goes live.
    assert got["status"] == "live" and got["progress"]["synced"] == 25, got
    assert got["keep_current"]["mode"] == "polling"
    assert "could not register" in got["keep_current"]["message"]
    assert set(StripeCharge.objects.values_list("charge_id", flat=True)) == set(made)
    charge = api.get(f"{url}/A").json()["stripe_charge"]
    assert charge["id"] == made[3] and charge["amount"] == 1003
    assert charge["amount_refunded"] == 300 and charge["description"] == "#3"
