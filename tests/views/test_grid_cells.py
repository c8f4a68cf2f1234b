import pytest

from gather.views.cells import cell_text, cell_value
from gather.web.grid import cell, highlight, money, render_tree

RECORD = {
    "id": "1234",
    "data": {"id": "1234", "amount": "75", "meta": {"plan": "pro", "seats": [1, 2]}, "n": None},
    "stripe_charge": {"amount": 1999, "amount_refunded": 0, "currency": "usd", "status": "paid"},
    "created_at": "2026-11-28T10:00:00Z",
    "updated_at": "2026-11-28T10:00:00Z",
}


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("amount", "75"),
        ("meta", {"plan": "pro", "seats": [1, 2]}),
        ("meta.plan", "pro"),
        ("stripe_charge.status", "paid"),
        ("stripe_charge.amount", 1999),
        ("missing", None),
        ("n", None),
    ],
)
def test_cell_value_reads_data_nested_and_joined_paths(path, value):
    assert cell_value(RECORD, path) == value


def test_cell_text_of_nested_values_is_json():
    assert cell_text({"plan": "pro", "seats": [1, 2]}) == '{"plan":"pro","seats":[1,2]}'
    assert cell_text(True) == "true"
    assert cell_text(None) == ""


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        (1999, "usd", "$19.99"),
        (0, "usd", "$0.00"),
        (123456, "eur", "€1,234.56"),
        (500, "jpy", "¥500"),
        (1999, "chf", "19.99 CHF"),
        (1500, "kwd", "1.500 KWD"),
        (-250, "gbp", "-£2.50"),
        ("abc", "usd", None),
    ],
)
def test_money_formats_stripe_minor_units(amount, currency, shown):
    assert money(amount, currency) == shown


def test_cell_formats_joined_stripe_amounts_with_their_currency():
    shown = cell(RECORD, "stripe_charge.amount", "number", "")
    assert str(shown["html"]) == "$19.99"
    assert shown["title"] == "1999"
    assert "money" in shown["css"]
    assert str(cell(RECORD, "stripe_charge.amount_refunded", "number", "")["html"]) == "$0.00"


def test_highlight_escapes_and_marks_case_insensitively():
    assert str(highlight("<b>Ada</b> ada", "ADA")) == (
        "&lt;b&gt;<mark>Ada</mark>&lt;/b&gt; <mark>ada</mark>"
    )


def test_render_tree_shows_nested_objects_as_definition_lists():
    html = str(render_tree({"plan": "pro", "seats": [1, 2], "x": None}))
    assert html == (
        '<dl class="tree"><dt>plan</dt><dd>pro</dd>'
        '<dt>seats</dt><dd><ol class="tree"><li>1</li><li>2</li></ol></dd>'
        '<dt>x</dt><dd><span class="null">null</span></dd></dl>'
    )


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-5", "-5"),
        ("+1.5e3", "+1.5e3"),
        (-5, "-5"),
        ("plain", "plain"),
        ({"a": 1}, '{"a":1}'),
    ],
)
def test_csv_cell_defuses_formulas_but_keeps_numbers(value, text):
    from gather.views.export import csv_cell

    assert csv_cell(value) == text
