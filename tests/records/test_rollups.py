"""Rollups: aggregates over linking records, exact after every write, on both databases."""

import contextlib
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import make_model


def post(api, model, **data):
    resp = api.post(f"/api/models/{model}/records", json=data)
    assert resp.status_code in (200, 201), resp.content
    return resp.json()


def rollups_of(api, key):
    resp = api.get(f"/api/models/account/records/{key}")
    assert resp.status_code == 200, resp.content
    return resp.json()["rollups"]


@pytest.fixture
def setup(api, orders):
    resp = api.patch(f"/api/models/{orders.slug}", {"links": {"account_id": {"model": "account"}}})
    assert resp.status_code == 200
    resp = api.patch(
        "/api/models/account",
        {
            "rollups": {
                "orders": {"model": orders.slug, "link": "account", "fn": "count"},
                "revenue": {
                    "model": orders.slug,
                    "link": "account",
                    "fn": "sum",
                    "field": "amount",
                },
                "biggest": {
                    "model": orders.slug,
                    "link": "account",
                    "fn": "max",
                    "field": "amount",
                },
                "average": {
                    "model": orders.slug,
                    "link": "account",
                    "fn": "avg",
                    "field": "amount",
                },
                "smallest": {
                    "model": orders.slug,
                    "link": "account",
                    "fn": "min",
                    "field": "amount",
                },
            }
        },
    )
    assert resp.status_code == 200, resp.content
    return orders


def test_rollups_listed_and_removed(api, setup):
    got = api.get("/api/models/account").json()["rollups"]
    assert got[0] == {
        "name": "orders", "model": setup.public_id, "link": "account", "fn": "count", "field": None
    }  # fmt: skip
    assert got[1]["field"] == "amount" and got[1]["fn"] == "sum"
    resp = api.patch("/api/models/account", {"rollups": {"smallest": None, "average": None}})
    assert [r["name"] for r in resp.json()["rollups"]] == ["orders", "revenue", "biggest"]
    post(api, "account", id="a")
    assert rollups_of(api, "a") == {"orders": 0, "revenue": None, "biggest": None}


def test_rollups_reject_bad_definitions(api, setup, other_api):
    url = "/api/models/account"
    cases = [
        ({"x": {"model": setup.slug, "link": "nope", "fn": "count"}}, "rollups.x.link"),
        (
            {"x": {"model": setup.slug, "link": "account", "fn": "median", "field": "a"}},
            "rollups.x.fn",
        ),
        ({"x": {"model": setup.slug, "link": "account", "fn": "sum"}}, "rollups.x.field"),
        (
            {"x": {"model": setup.slug, "link": "account", "fn": "count", "field": "a"}},
            "rollups.x.field",
        ),
        ({"x": {"model": "user", "link": "account", "fn": "count"}}, None),  # user's link is ok
        ({"x": 5}, "rollups.x"),
        ({"a.b": {"model": setup.slug, "link": "account", "fn": "count"}}, "rollups.a.b"),
    ]
    for body, field in cases:
        resp = api.patch(url, {"rollups": body})
        if field is None:
            assert resp.status_code == 200
            continue
        assert resp.status_code == 422, body
        assert resp.json()["error"]["field"] == field
    # A rollup on the wrong model: Orders has no link to User.
    resp = api.patch(
        "/api/models/user",
        {"rollups": {"x": {"model": setup.slug, "link": "account", "fn": "count"}}},
    )
    assert resp.status_code == 422
    theirs = other_api.post("/api/models", json={"name": "Theirs"}).json()["id"]
    resp = api.patch(url, {"rollups": {"x": {"model": theirs, "link": "account", "fn": "count"}}})
    assert resp.status_code == 404 and resp.json()["error"]["code"] == "model_not_found"


@pytest.mark.parametrize("account_first", [True, False])
def test_rollups_exact_after_every_write(api, setup, account_first):
    if account_first:
        post(api, "account", id="a", name="A")
    post(api, setup.slug, id="1", amount=100, account_id="a")
    post(api, setup.slug, id="2", amount="50.5", account_id="a")
    if not account_first:
        post(api, "account", id="a", name="A")
    post(api, "account", id="b", name="B")
    assert rollups_of(api, "a") == {
        "orders": 2, "revenue": 150.5, "biggest": 100, "average": 75.25, "smallest": 50.5
    }  # fmt: skip
    assert rollups_of(api, "b")["orders"] == 0 and rollups_of(api, "b")["revenue"] is None
    # A batch: new orders, one moved from a to b, one changed amount.
    resp = api.post(
        f"/api/models/{setup.slug}/records/batch",
        json=[
            {"id": "3", "amount": 10, "account_id": "b"},
            {"id": "1", "account_id": "b"},
            {"id": "2", "amount": 60},
        ],
    )
    assert resp.json()["failed"] == 0
    assert rollups_of(api, "a") == {
        "orders": 1, "revenue": 60, "biggest": 60, "average": 60, "smallest": 60
    }  # fmt: skip
    assert rollups_of(api, "b")["orders"] == 2 and rollups_of(api, "b")["revenue"] == 110
    # A single write moving an order; emptying a link; deleting an order.
    post(api, setup.slug, id="3", account_id="a")
    assert (rollups_of(api, "a")["orders"], rollups_of(api, "b")["orders"]) == (2, 1)
    post(api, setup.slug, id="2", account_id=None)
    assert rollups_of(api, "a")["revenue"] == 10
    assert api.delete(f"/api/models/{setup.slug}/records/3").status_code == 204
    assert rollups_of(api, "a") == {
        "orders": 0, "revenue": None, "biggest": None, "average": None, "smallest": None
    }  # fmt: skip
    # Deleting and re-creating the account: its orders still count.
    assert api.delete("/api/models/account/records/b").status_code == 204
    post(api, "account", id="b")
    assert rollups_of(api, "b")["orders"] == 1


def test_rollups_in_lists_and_queries(api, setup):
    for key in ("a", "b", "c"):
        post(api, "account", id=key)
    amounts = {"a": [5, 5, 5], "b": [100], "c": []}
    n = 0
    for key, values in amounts.items():
        for amount in values:
            n += 1
            post(api, setup.slug, id=str(n), amount=amount, account_id=key)
    url = "/api/models/account/records"

    def ids(**params):
        resp = api.get(url, params)
        assert resp.status_code == 200, resp.content
        return [r["id"] for r in resp.json()["data"]]

    assert ids(sort="-rollups.revenue") == ["b", "a", "c"]
    assert ids(sort="-rollups.orders") == ["a", "b", "c"]
    assert ids(**{"filter[rollups.orders][gte]": "2"}) == ["a"]
    assert ids(**{"filter[rollups.orders][lt]": "1"}) == ["c"]  # a count of nothing is 0
    assert ids(**{"filter[rollups.orders]": "0"}) == ["c"]
    assert ids(**{"filter[rollups.revenue][empty]": "true"}) == ["c"]
    assert ids(**{"filter[rollups.revenue][gte]": "10", "sort": "-rollups.orders"}) == ["a", "b"]
    page = api.get(url, {"sort": "rollups.orders"}).json()["data"]
    assert page[0]["rollups"]["orders"] == 0 and page[-1]["rollups"]["orders"] == 3
    # Cursors walk a rollup sort.
    got, cursor = [], None
    for _ in range(5):
        params = {"sort": "-rollups.revenue", "limit": "1"} | ({"cursor": cursor} if cursor else {})
        body = api.get(url, params).json()
        got += [r["id"] for r in body["data"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert got == ["b", "a", "c"]


def test_rollup_follows_link_changes_and_model_deletion(api, setup, team):
    post(api, "account", id="a")
    post(api, setup.slug, id="1", amount=5, account_id="a")
    # Renaming the link keeps the rollups (and their values).
    resp = api.patch(
        f"/api/models/{setup.slug}", {"links": {"account_id": {"model": "account", "name": "acct"}}}
    )
    assert resp.status_code == 200
    assert rollups_of(api, "a")["orders"] == 1
    assert api.get("/api/models/account").json()["rollups"][0]["link"] == "acct"
    # Pointing the link elsewhere drops the rollups over it.
    other = make_model(team, "Companies")
    api.patch(f"/api/models/{setup.slug}", {"links": {"account_id": {"model": other.slug}}})
    assert api.get("/api/models/account").json()["rollups"] == []
    assert "rollups" not in api.get("/api/models/account/records/a").json()
    resp = api.get(url := "/api/models/account/records", {"sort": "rollups.orders"})
    assert resp.status_code in (400, 422)
    # A source model's deletion takes its rollups with it.
    api.patch(
        "/api/models/companies",
        {"rollups": {"n": {"model": setup.slug, "link": "account", "fn": "count"}}},
    )
    post(api, "companies", id="a")
    assert api.get("/api/models/companies/records/a").json()["rollups"] == {"n": 1}
    assert api.delete(f"/api/models/{setup.slug}").status_code == 204
    assert api.get("/api/models/companies").json()["rollups"] == []
    assert "rollups" not in api.get("/api/models/companies/records/a").json()
    assert api.get(url).status_code == 200


def test_rollup_added_later_counts_existing_records(api, orders):
    api.patch(f"/api/models/{orders.slug}", {"links": {"account_id": {"model": "account"}}})
    post(api, "account", id="a")
    for i in range(3):
        post(api, orders.slug, id=str(i), amount=i, account_id="a")
    api.patch(
        "/api/models/account",
        {
            "rollups": {
                "total": {"model": orders.slug, "link": "account", "fn": "sum", "field": "amount"}
            }
        },
    )
    assert rollups_of(api, "a") == {"total": 3}


ACCOUNTS = ["a", "b", "c"]
WRITE = st.fixed_dictionaries(
    {"id": st.sampled_from(["1", "2", "3", "4"])},
    optional={
        "account_id": st.sampled_from([*ACCOUNTS, None, "", 7]),
        "amount": st.sampled_from([1, 2.5, "10", "x", None, -3]),
    },
)
OPS = st.lists(
    st.one_of(
        st.tuples(st.just("upsert"), WRITE),
        st.tuples(st.just("batch"), st.lists(WRITE, min_size=1, max_size=4)),
        st.tuples(st.just("delete"), st.sampled_from(["1", "2", "3", "4"])),
        st.tuples(st.just("rebuild"), st.none()),
    ),
    max_size=8,
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=OPS)
def test_rollups_match_reference_after_any_writes(team, ops):
    """Any sequence of single, batch and delete writes (and rebuilds from scratch, as a
    definition change does) leaves every rollup equal to the aggregate computed in Python
    over the orders as they are."""
    from gather.core.errors import NotFound
    from gather.records.links import model_links_set
    from gather.records.rollups import model_rollups_set, rebuild
    from gather.records.selectors import record_get
    from gather.records.services import record_delete, record_upsert, record_upsert_batch

    accounts = make_model(team, "Accts")
    orders = make_model(team, "Ords")
    model_links_set(team=team, model=orders, links={"account_id": {"model": accounts.public_id}})
    over = {"model": orders.public_id, "link": "account"}
    model_rollups_set(
        team=team,
        model=accounts,
        rollups={
            "n": {**over, "fn": "count"},
            "sum": {**over, "fn": "sum", "field": "amount"},
            "max": {**over, "fn": "max", "field": "amount"},
            "avg": {**over, "fn": "avg", "field": "amount"},
        },
    )
    for key in ACCOUNTS:
        record_upsert(team=team, model=accounts, payload={"id": key})
    state: dict[str, dict] = {}
    for op, arg in ops:
        if op == "upsert":
            record_upsert(team=team, model=orders, payload=dict(arg))
            state.setdefault(arg["id"], {}).update(arg)
        elif op == "batch":
            record_upsert_batch(team=team, model=orders, items=[dict(x) for x in arg])
            for x in arg:
                state.setdefault(x["id"], {}).update(x)
        elif op == "rebuild":
            rebuild(model=accounts)
        else:
            with contextlib.suppress(NotFound):
                record_delete(team=team, model=orders, key=arg)
            state.pop(arg, None)
    for key in ACCOUNTS:
        mine = [d for d in state.values() if d.get("account_id") == key]
        nums = []
        for d in mine:
            v = d.get("amount")
            if isinstance(v, int | float) or (isinstance(v, str) and v.lstrip("-").isdigit()):
                nums.append(Decimal(str(v)))
        want = {
            "n": len(mine),
            "sum": sum(nums) if nums else None,
            "max": max(nums) if nums else None,
            "avg": sum(nums) / len(nums) if nums else None,
        }
        got = record_get(team=team, model=accounts, key=key)["rollups"]
        assert got["n"] == want["n"], (key, got, want)
        for name in ("sum", "max", "avg"):
            if want[name] is None:
                assert got[name] is None, (key, name, got)
            else:
                close = abs(Decimal(str(got[name])) - want[name]) < Decimal("1e-9")
                assert close, (key, name, got, want)


def test_deleting_the_model_with_rollups_leaves_its_sources_writable(api, orders, team):
    companies = make_model(team, "Companies")
    api.patch(f"/api/models/{orders.slug}", {"links": {"company_id": {"model": companies.slug}}})
    over = {"model": orders.slug, "link": "company", "fn": "count"}
    assert api.patch(f"/api/models/{companies.slug}", {"rollups": {"n": over}}).status_code == 200
    post(api, orders.slug, id="1", company_id="c")  # this process caches what orders feed
    assert api.delete(f"/api/models/{companies.slug}").status_code == 204
    assert (
        api.post(
            f"/api/models/{orders.slug}/records", json={"id": "2", "company_id": "c"}
        ).status_code
        == 201
    )
    resp = api.post(
        f"/api/models/{orders.slug}/records/batch", json=[{"id": "3", "company_id": "c"}]
    )
    assert resp.json()["created"] == 1
    assert api.delete(f"/api/models/{orders.slug}/records/1").status_code == 204
