"""Charge amounts in view filters: as shown (unit "major", per charge currency) or as
Stripe's minor units (the API's default); the CSV has both."""

import csv
import io

import pytest

from tests.emulators.fixtures import _emulator_server, stripe_emulator  # noqa: F401
from tests.factories import make_model
from tests.integrations.conftest import immediate_tasks, stripe_env  # noqa: F401
from tests.integrations.helpers import add_task, connect

CHARGES = [  # order id, minor units, currency: as the grid shows it
    ("1001", 96932, "usd"),  # $969.32
    ("1002", 4109, "gbp"),  # £41.09
    ("1003", 500, "jpy"),  # ¥500
    ("1004", 50000, "jpy"),  # ¥50,000
    ("1005", 600000, "bhd"),  # 600.000 BHD
    ("1006", 50000, "usd"),  # $500.00
]


@pytest.fixture
def orders_with_charges(team, api, stripe_env):  # noqa: F811
    orders = make_model(team, "Orders", "id")
    url = f"/api/models/{orders.public_id}/records"
    for key, amount, currency in CHARGES:
        charge = stripe_env.create_charge({"amount": amount, "currency": currency})
        api.post(url, data=f"id={key}&stripe_charge_id={charge['id']}")
    api.post(url, data="id=1007")  # no charge
    add_task(api, connect(api)["id"], orders.public_id)
    return orders


def ids(resp) -> list[str]:
    assert resp.status_code == 200, resp.content
    return sorted(r["id"] for r in resp.json()["data"])


def make_view(api, orders, filter) -> dict:
    resp = api.post("/api/views", json={"name": "Big", "model": orders.public_id, "filter": filter})
    assert resp.status_code == 201, resp.content
    return resp.json()


def test_view_filter_in_major_units_compares_per_charge_currency(api, orders_with_charges):
    cond = {"field": "stripe_charge.amount", "op": "gte", "value": "500", "unit": "major"}
    view = make_view(api, orders_with_charges, [cond])
    assert view["filter"] == [cond]  # stored as given
    # 500 means $500.00, £500.00, ¥500, 500.000 BHD
    assert ids(api.get(f"/api/views/{view['id']}/records")) == [
        "1001", "1003", "1004", "1005", "1006",
    ]  # fmt: skip

    between = {
        "field": "stripe_charge.amount", "op": "between", "value": ["41", "41.10"], "unit": "major",
    }  # fmt: skip
    view = make_view(api, orders_with_charges, [between])
    assert ids(api.get(f"/api/views/{view['id']}/records")) == ["1002"]
    one_of = {"field": "stripe_charge.amount", "op": "in", "value": "969.32,500", "unit": "major"}
    view = make_view(api, orders_with_charges, [one_of])
    assert ids(api.get(f"/api/views/{view['id']}/records")) == ["1001", "1003", "1006"]


def test_api_filters_compare_stripe_minor_units(api, orders_with_charges):
    url = f"/api/models/{orders_with_charges.public_id}/records"
    assert ids(api.get(url, {"filter[stripe_charge.amount][gte]": "50000"})) == [
        "1001", "1004", "1005", "1006",
    ]  # fmt: skip
    minor = {"field": "stripe_charge.amount", "op": "gte", "value": "500"}
    view = make_view(api, orders_with_charges, [minor])
    assert len(ids(api.get(f"/api/views/{view['id']}/records"))) == 6
    # "not one of": the charge-less order has no currency, so it is not one of them
    assert ids(api.get(url, {"filter[stripe_charge.currency][nin]": "usd,jpy"})) == [
        "1002", "1005", "1007",
    ]  # fmt: skip


def test_major_unit_is_refused_where_it_means_nothing(api, orders_with_charges):
    model = orders_with_charges.public_id
    amount = {"field": "stripe_charge.amount", "op": "gte"}
    for cond, field in (
        ({"field": "id", "op": "gte", "value": "5", "unit": "major"}, "filter[0].unit"),
        ({**amount, "value": "5", "unit": "cents"}, "filter[0].unit"),
        ({**amount, "value": "lots", "unit": "major"}, "filter[0]"),
    ):
        resp = api.post("/api/views", json={"name": "x", "model": model, "filter": [cond]})
        assert resp.status_code == 400, resp.content
        assert resp.json()["error"]["field"] == field


def test_csv_export_has_minor_units_and_the_formatted_amount(api, orders_with_charges):
    view = make_view(api, orders_with_charges, [])
    resp = api.client.patch(
        f"/api/views/{view['id']}",
        {"columns": ["id", "stripe_charge.amount", "stripe_charge.currency"]},
        content_type="application/json",
        headers={"authorization": f"Token {api.key}"},
    )
    assert resp.status_code == 200, resp.content
    resp = api.get(f"/api/views/{view['id']}/export.csv")
    rows = list(csv.reader(io.StringIO(b"".join(resp.streaming_content).decode())))
    assert rows[0] == [
        "id", "stripe_charge.amount", "stripe_charge.amount (formatted)", "stripe_charge.currency",
    ]  # fmt: skip
    by_id = {row[0]: row[1:] for row in rows[1:]}
    assert by_id["1001"] == ["96932", "969.32 USD", "usd"]
    assert by_id["1003"] == ["500", "500 JPY", "jpy"]
    assert by_id["1005"] == ["600000", "600.000 BHD", "bhd"]
    assert by_id["1007"] == ["", "", ""]
