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


def test_records_search_finds_joined_values_when_the_model_has_a_text_index(
    api, orders, stripe_env
):
    from django.db import connection

    from gather.query.indexes import search_index_ensure, search_index_name

    c = stripe.StripeClient("sk_test_emulator", base_addresses={"api": stripe_env.url})
    mug = c.v1.charges.create({"amount": 7500, "currency": "usd", "description": "Blue 50%_mug"})
    url = f"/api/models/{orders.public_id}/records"
    api.post(url, json={"id": "1", "note": "zyxwvut order", "stripe_charge_id": mug.id})
    api.post(url, json={"id": "2", "note": "other", "stripe_charge_id": "ch_none"})

    def ids(q):
        resp = api.get(url, {"q": q})
        assert resp.status_code == 200, resp.content
        return [r["id"] for r in resp.json()["data"]]

    # searched before any join existed: the model has its text index
    assert ids("zyxwvut") == ["1"]
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the test's deferred FK checks
    assert search_index_ensure(model_pk=orders.pk) == search_index_name(orders.pk)
    assert ids("50%_mug") == []
    integ = connect(api)
    add_task(api, integ["id"], orders.public_id)
    assert ids("50%_mug") == ["1"]  # a joined value
    assert ids("BLUE 50") == ["1"]
    assert ids("zyxwvut") == ["1"]  # a value of its own
    assert ids("description") == []  # a joined key is no value
    assert ids("other") == ["2"]
