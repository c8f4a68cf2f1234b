"""A view of a model with joined integration data: the Stripe charge beside each order.

The join is declared the way connectors declare it (a ``JoinSpec`` provider) over a
table of charges created for the test, so the grid is exercised without the connector.
"""

import csv
import io

import orjson
import pytest
from django.db import connection
from django.test import Client

from gather.query.joins import JOIN_PROVIDERS, JoinSpec
from gather.records.services import record_upsert
from gather.views.services import view_create
from tests.factories import make_user

TABLE = "views_test_charge"
FIELDS = {"amount": "number", "currency": "string", "status": "string", "created": "datetime"}
CHARGES = {
    "ch_1": {"amount": 1999, "currency": "usd", "status": "succeeded", "created": 1764000000},
    "ch_2": {"amount": 50000, "currency": "jpy", "status": "failed", "created": 1764100000},
}


@pytest.fixture
def charges_joined(team, orders):
    data_type = "jsonb" if connection.vendor == "postgresql" else "text"
    with connection.cursor() as cur:
        cur.execute(f"CREATE TABLE {TABLE} (scope integer, charge_id text, data {data_type})")
        for key, data in CHARGES.items():
            cur.execute(
                f"INSERT INTO {TABLE} (scope, charge_id, data) VALUES (%s, %s, %s)",
                [1, key, orjson.dumps(data).decode()],
            )

    def provider(model):
        if model.pk != orders.pk:
            return None
        return JoinSpec(
            name="stripe_charge",
            table=TABLE,
            scope_column="scope",
            scope_value=1,
            key_column="charge_id",
            data_column="data",
            record_field="stripe_charge_id",
            fields=FIELDS,
        )

    JOIN_PROVIDERS.append(provider)
    for payload in (
        {"id": "1234", "amount": "75", "stripe_charge_id": "ch_1"},
        {"id": "1235", "amount": "20", "stripe_charge_id": "ch_2"},
        {"id": "1236", "amount": "5"},
    ):
        record_upsert(team=team, model=orders, payload=payload)
    yield orders
    JOIN_PROVIDERS.remove(provider)


@pytest.fixture
def client_in(team):
    client = Client()
    client.force_login(make_user(team))
    return client


def test_grid_shows_joined_charge_columns_with_money(client_in, team, charges_joined):
    view = view_create(
        team=team, name="Orders", model=charges_joined, sort=[{"field": "id", "dir": "asc"}]
    )
    resp = client_in.get(f"/views/{view.public_id}")
    html = resp.content.decode()
    heads = [h["path"] for h in resp.context["headers"]]
    assert heads[0] == "id"
    assert heads[-4:] == [
        "stripe_charge.amount",
        "stripe_charge.currency",
        "stripe_charge.status",
        "stripe_charge.created",
    ]
    assert '<span class="ns">Stripe charge · </span>Amount' in html  # no label: its name
    cells = [[c["html"] for c in row["cells"]] for row in resp.context["rows"]]
    amount = heads.index("stripe_charge.amount")
    assert [str(row[amount]) for row in cells] == ["$19.99", "¥50,000", ""]
    created = heads.index("stripe_charge.created")
    assert str(cells[0][created]) == "2025-11-24 16:00"


def test_grid_filters_sorts_and_searches_joined_fields(client_in, team, charges_joined):
    view = view_create(team=team, name="Orders", model=charges_joined)
    url = f"/views/{view.public_id}"
    resp = client_in.get(url + "?edit=1&ff=stripe_charge.status&fo=eq&fv=failed&fg=0")
    assert [r["id"] for r in resp.context["rows"]] == ["1235"]
    resp = client_in.get(url + "?edit=1&sort=-stripe_charge.amount")
    assert [r["id"] for r in resp.context["rows"]] == ["1235", "1234", "1236"]  # empty last
    resp = client_in.get(url + "?edit=1&q=SUCCEEDED")
    assert [r["id"] for r in resp.context["rows"]] == ["1234"]
    assert "<mark>succeeded</mark>" in resp.content.decode()


def test_record_page_shows_the_joined_charge(client_in, team, charges_joined):
    view = view_create(team=team, name="Orders", model=charges_joined)
    html = client_in.get(f"/views/{view.public_id}/records/1234").content.decode()
    assert "Stripe charge" in html
    assert "<strong>$19.99</strong>" in html
    html = client_in.get(f"/views/{view.public_id}/records/1236").content.decode()
    assert "Nothing joined to this record." in html


def test_export_has_joined_columns_as_raw_values_and_amounts_formatted(
    client_in, team, charges_joined
):
    view = view_create(
        team=team,
        name="Orders",
        model=charges_joined,
        sort=[{"field": "id", "dir": "asc"}],
        columns=["id", "stripe_charge.amount", "stripe_charge.currency"],
    )
    resp = client_in.get(f"/views/{view.public_id}/export.csv")
    text = b"".join(resp.streaming_content).decode()
    assert list(csv.reader(io.StringIO(text))) == [
        ["id", "stripe_charge.amount", "stripe_charge.amount (formatted)",
         "stripe_charge.currency"],
        ["1234", "1999", "19.99 USD", "usd"],
        ["1235", "50000", "50,000 JPY", "jpy"],
        ["1236", "", "", ""],
    ]  # fmt: skip
