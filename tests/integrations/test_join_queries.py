"""Records filter, sort and search by the joined charge's fields (the query compiler)."""

import pytest
import stripe

from tests.integrations.helpers import add_task, connect


def test_records_filter_sort_and_search_by_stripe_charge(api, orders, stripe_env):
    c = stripe.StripeClient("sk_test_emulator", base_addresses={"api": stripe_env.url})
    paid = c.v1.charges.create({"amount": 7500, "currency": "usd", "description": "blue mug"})
    big = c.v1.charges.create({"amount": 12000, "currency": "eur", "description": "red lamp"})
    with pytest.raises(stripe.CardError):
        c.v1.charges.create({"amount": 900, "currency": "usd", "source": "tok_chargeDeclined"})
    failed = c.v1.charges.list({"limit": 1}).data[0]
    url = f"/api/models/{orders.public_id}/records"
    for key, charge in (("1", paid.id), ("2", big.id), ("3", failed.id), ("4", "ch_none")):
        api.post(url, json={"id": key, "amount": int(key) * 10, "stripe_charge_id": charge})
    integ = connect(api)
    add_task(api, integ["id"], orders.public_id)

    def ids(params):
        resp = api.get(url, params)
        assert resp.status_code == 200, resp.content
        return [r["id"] for r in resp.json()["data"]]

    assert ids({"filter[stripe_charge.status]": "failed"}) == ["3"]
    assert ids({"filter[stripe_charge.amount][gte]": "7500", "sort": "stripe_charge.amount"}) == [
        "1",
        "2",
    ]
    assert ids({"sort": "-stripe_charge.amount"})[:3] == ["2", "1", "3"]
    assert ids({"filter[stripe_charge.paid]": "true", "sort": "id"}) == ["1", "2"]
    assert ids({"q": "red lamp"}) == ["2"]
    assert sorted(ids({"filter[stripe_charge.currency]": "usd"})) == ["1", "3"]
