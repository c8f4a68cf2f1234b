import pytest
from django.http import QueryDict

from gather.core.errors import InvalidInput
from gather.views.filters import filter_clean
from gather.web.view_state import GridState, Row, state_from_params, state_from_view

TYPES = {
    "id": "string",
    "amount": "number",
    "paid": "boolean",
    "created": "datetime",
    "status": "string",
}


class StoredView:
    def __init__(self, filter, sort=(), q="", columns=()):
        self.filter, self.sort, self.q, self.columns = filter, list(sort), q, list(columns)


def test_view_state_rows_become_the_stored_filter():
    state = GridState(
        rows=[
            Row("amount", "between", "10", "20"),
            Row("paid", "true"),
            Row("created", "within", "7"),
            Row("status", "eq", "paid", group=1),
            Row("status", "in", "new, open", group=1),
            Row("id", "notempty"),
        ]
    )
    assert state.filter(TYPES) == [
        {"field": "amount", "op": "between", "value": ["10", "20"]},
        {"field": "paid", "op": "eq", "value": True},
        {"field": "created", "op": "within_days", "value": "7"},
        {"field": "id", "op": "empty", "value": False},
        {"or": [
            {"field": "status", "op": "eq", "value": "paid"},
            {"field": "status", "op": "in", "value": ["new", "open"]},
        ]},
    ]  # fmt: skip


def test_view_state_round_trips_through_the_stored_filter():
    stored = filter_clean(
        [
            {"field": "created", "op": "lt", "value": "2026-01-01"},
            {"field": "paid", "op": "eq", "value": False},
            {"field": "amount", "op": "gte", "value": 5},
            {"or": [{"field": "status", "op": "empty", "value": True},
                    {"field": "status", "op": "startswith", "value": "re"}]},
        ]
    )  # fmt: skip
    state = state_from_view(StoredView(stored), TYPES)
    assert [(r.field, r.op, r.value, r.group) for r in state.rows] == [
        ("created", "before", "2026-01-01", 0),
        ("paid", "false", "", 0),
        ("amount", "gte", "5", 0),
        ("status", "empty", "", 1),
        ("status", "startswith", "re", 1),
    ]
    assert state.filter(TYPES) == [
        {**c, "value": str(c["value"])} if c.get("op") == "gte" else c for c in stored
    ]


def test_view_state_keeps_conditions_the_editor_cannot_show():
    nested = {"or": [{"and": [{"field": "a", "op": "eq", "value": 1}]}]}
    state = state_from_view(StoredView([nested]), TYPES)
    assert state.rows == []
    assert state.filter(TYPES) == [nested]
    again = state_from_params(QueryDict(_qs(state)), TYPES)
    assert again.filter(TYPES) == [nested]


def _qs(state):
    from urllib.parse import urlencode

    return urlencode(state.params())


def test_view_state_from_params_skips_unfinished_rows_and_renumbers_groups():
    params = QueryDict(
        "edit=1&ff=status&fo=eq&fv=&fv2=&fg=0"  # no value yet: skipped
        "&ff=amount&fo=gt&fv=3&fv2=&fg=4"
        "&ff=&fo=eq&fv=x&fv2=&fg=0"  # no field: skipped
        "&ff=paid&fo=true&fv=&fv2=&fg=7"
        "&sort=-amount,nope,id&col=amount&col=nope&col=id&q=+ada+"
    )
    state = state_from_params(params, TYPES)
    assert [(r.field, r.op, r.group) for r in state.rows] == [
        ("amount", "gt", 1),
        ("paid", "true", 2),
    ]
    assert state.sort == [{"field": "amount", "dir": "desc"}, {"field": "id", "dir": "asc"}]
    assert state.columns == ["amount", "id"]
    assert state.q == "ada"


def test_view_state_operator_not_offered_for_the_type_falls_back():
    state = state_from_params(QueryDict("ff=paid&fo=contains&fv=x&fg=0"), TYPES)
    assert state.rows[0].op == "true"


@pytest.mark.parametrize(
    ("filter", "field"),
    [
        ("amount", "filter"),
        ([{"op": "eq"}], "filter[0].field"),
        ([{"field": "a", "op": "between", "value": 3}], "filter[0].value"),
        ([{"field": "a", "op": "within_days", "value": "soon"}], "filter[0].value"),
        ([{"or": [{"field": "a", "op": "nope"}]}], "filter[0].or[0].op"),
    ],
)
def test_filter_clean_names_the_bad_part(filter, field):
    with pytest.raises(InvalidInput) as err:
        filter_clean(filter)
    assert err.value.field == field


def test_view_state_money_rows_store_the_amount_as_shown():
    types = {**TYPES, "stripe_charge.amount": "number"}
    state = GridState(rows=[Row("stripe_charge.amount", "gte", "19.99")])
    stored = state.filter(types)
    assert stored == [
        {"field": "stripe_charge.amount", "op": "gte", "value": "19.99", "unit": "major"}
    ]
    again = state_from_view(StoredView(stored), types)
    assert again.rows == [Row("stripe_charge.amount", "gte", "19.99")] and again.extra == []
    # A minor-unit condition from the API is kept as it is, not turned into a row.
    minor = {"field": "stripe_charge.amount", "op": "gte", "value": "1999"}
    kept = state_from_view(StoredView([minor]), types)
    assert kept.rows == [] and kept.extra == [minor]
    assert kept.filter(types) == [minor]
