"""Filters on Stripe amounts take them as the grid shows them; stored in minor units."""

from gather.web.grid import cell, money_to_minor
from gather.web.view_state import Row, condition_to_row, row_to_condition


def test_money_typed_as_shown_becomes_minor_units():
    assert money_to_minor("19.99") == "1999"
    assert money_to_minor("$19.99") == "1999"
    assert money_to_minor("1,000.50 EUR") == "100050"
    assert money_to_minor("¥500") == "500"
    assert money_to_minor("500 JPY") == "500"
    assert money_to_minor("1.234 KWD") == "1234"
    assert money_to_minor("-5") == "-500"
    # Not an amount (or finer than the currency's unit): left for the query's clear 400.
    assert money_to_minor("lots") == "lots"
    assert money_to_minor("1.999") == "1.999"


def test_money_filter_rows_round_trip_for_customer_and_charge_amounts():
    for path in ("stripe_customer.mrr", "stripe_customer.amount_due", "stripe_charge.amount"):
        cond = row_to_condition(Row(path, "gte", "50.00"), "number")
        assert cond == {"field": path, "op": "gte", "value": "5000"}
        assert condition_to_row(cond, "number", 0) == Row(path, "gte", "50.00")
    between = row_to_condition(Row("stripe_customer.mrr", "between", "10", "$20.50"), "number")
    assert between["value"] == ["1000", "2050"]
    listed = row_to_condition(Row("stripe_customer.mrr", "in", "10, 20"), "number")
    assert listed["value"] == ["1000", "2000"]
    # Other numbers and the customer's plain counts are not money.
    assert row_to_condition(Row("amount", "gte", "50"), "number")["value"] == "50"
    counted = row_to_condition(Row("stripe_customer.open_invoices", "gt", "1"), "number")
    assert counted["value"] == "1"


def test_customer_cells_show_money_and_status():
    record = {
        "id": "1",
        "data": {},
        "stripe_customer": {"mrr": 123456, "currency": "jpy", "subscription_status": "past_due"},
    }
    assert str(cell(record, "stripe_customer.mrr", "number", "")["html"]) == "¥123,456"
    status = cell(record, "stripe_customer.subscription_status", "string", "")
    assert "sub-status-past_due" in status["css"]
