"""Links between models: the linked record joined under the link's name, everywhere."""

import csv
import io

import pytest

from tests.factories import make_model


@pytest.fixture
def linked(api, orders):
    """Orders.account_id linked to the team's Account model."""
    resp = api.patch(
        f"/api/models/{orders.public_id}", {"links": {"account_id": {"model": "account"}}}
    )
    assert resp.status_code == 200, resp.content
    return orders


def post(api, model, **data):
    resp = api.post(f"/api/models/{model}/records", json=data)
    assert resp.status_code in (200, 201), resp.content
    return resp.json()


def test_link_set_lists_and_removes(api, orders):
    account = api.get("/api/models/account").json()["id"]
    resp = api.patch(
        f"/api/models/{orders.public_id}", {"links": {"account_id": {"model": account}}}
    )
    assert resp.status_code == 200
    assert resp.json()["links"] == [{"field": "account_id", "model": account, "name": "account"}]
    assert "account_id" in [f["name"] for f in resp.json()["fields"]]
    got = api.get(f"/api/models/{orders.slug}").json()
    assert got["links"] == [{"field": "account_id", "model": account, "name": "account"}]
    resp = api.patch(f"/api/models/{orders.slug}", {"links": {"account_id": None}})
    assert resp.status_code == 200 and resp.json()["links"] == []
    assert "account" not in post(api, orders.slug, id="1", account_id="acme")


def test_user_links_to_account_out_of_the_box(api):
    user = api.get("/api/models/user").json()
    account = api.get("/api/models/account").json()
    assert user["links"] == [{"field": "account_id", "model": account["id"], "name": "account"}]
    post(api, "account", id="acme", name="Acme Corp")
    rec = post(api, "user", id="u1", email="a@acme.test", account_id="acme")
    assert rec["account"] == {"id": "acme", "name": "Acme Corp"}


def test_link_name_defaults_and_rules(api, orders):
    url = f"/api/models/{orders.public_id}"
    resp = api.patch(url, {"links": {"owner": {"model": "user"}}})
    assert resp.json()["links"][0]["name"] == "owner"
    for name in (
        "id",
        "data",
        "created_at",
        "updated_at",
        "rollups",
        "activity",
        "owner",
        "a.b",
        "",
    ):
        resp = api.patch(url, {"links": {"account_id": {"model": "account", "name": name}}})
        assert resp.status_code == 422, name
        assert resp.json()["error"]["code"] == "validation_failed"
        assert resp.json()["error"]["field"] == "links.account_id.name"
        if name:
            assert repr(name) in resp.json()["error"]["message"]
    for bad in ([1], {"account_id": "account"}, {"account_id": {"name": "x"}}):
        assert api.patch(url, {"links": bad}).status_code == 422
    # Two links may swap names in one request.
    api.patch(url, {"links": {"account_id": {"model": "account", "name": "acct"}}})
    resp = api.patch(
        url,
        {
            "links": {
                "account_id": {"model": "account", "name": "owner"},
                "owner": {"model": "user", "name": "acct"},
            }
        },
    )
    assert resp.status_code == 200
    assert {x["field"]: x["name"] for x in resp.json()["links"]} == {
        "account_id": "owner",
        "owner": "acct",
    }


def test_link_to_another_teams_model_is_not_found(api, other_api, orders):
    theirs = other_api.get("/api/models/account").json()["id"]
    resp = api.patch(
        f"/api/models/{orders.public_id}", {"links": {"account_id": {"model": theirs}}}
    )
    assert resp.status_code == 404
    assert resp.json()["error"]["code"] == "model_not_found"
    assert api.get(f"/api/models/{orders.public_id}").json()["links"] == []
    # And another team cannot set links on this team's model.
    resp = other_api.patch(
        f"/api/models/{orders.public_id}", {"links": {"x_id": {"model": "account"}}}
    )
    assert resp.status_code == 404


@pytest.mark.parametrize("account_first", [True, False])
def test_record_shows_linked_data_in_either_arrival_order(api, linked, account_first):
    if account_first:
        post(api, "account", id="acme", name="Acme", plan="pro")
    rec = post(api, linked.slug, id="o1", amount=75, account_id="acme")
    if not account_first:
        assert rec["account"] is None
        post(api, "account", id="acme", name="Acme", plan="pro")
    want = {"id": "acme", "name": "Acme", "plan": "pro"}
    assert api.get(f"/api/models/{linked.slug}/records/o1").json()["account"] == want
    page = api.get(f"/api/models/{linked.slug}/records").json()
    assert page["data"][0]["account"] == want
    # Empty or dangling link fields show null.
    post(api, linked.slug, id="o2", amount=5)
    post(api, linked.slug, id="o3", amount=5, account_id="nobody")
    post(api, linked.slug, id="o4", amount=5, account_id=None)
    rows = {r["id"]: r for r in api.get(f"/api/models/{linked.slug}/records").json()["data"]}
    assert [rows[k]["account"] for k in ("o2", "o3", "o4")] == [None, None, None]


def test_moving_and_deleting_linked_records(api, linked):
    post(api, "account", id="a", name="A", plan="free")
    post(api, "account", id="b", name="B", plan="pro")
    post(api, linked.slug, id="o1", account_id="a")
    rec = post(api, linked.slug, id="o1", account_id="b")
    assert rec["account"]["name"] == "B"
    assert api.delete("/api/models/account/records/b").status_code == 204
    assert api.get(f"/api/models/{linked.slug}/records/o1").json()["account"] is None
    assert api.delete(f"/api/models/{linked.slug}/records/o1").status_code == 204
    assert api.get("/api/models/account/records/a").status_code == 200


def test_numeric_link_values_join_by_text(api, orders, team):
    customers = make_model(team, "Customers")
    api.patch(
        f"/api/models/{orders.public_id}",
        {"links": {"customer": {"model": customers.public_id, "name": "cust"}}},
    )
    post(api, customers.slug, id=7, tier="gold")
    rec = post(api, orders.slug, id="o1", customer=7)
    assert rec["cust"] == {"id": 7, "tier": "gold"}
    page = api.get(f"/api/models/{orders.slug}/records", {"filter[cust.tier]": "gold"}).json()
    assert [r["id"] for r in page["data"]] == ["o1"]


def test_queries_reach_linked_fields(api, linked):
    post(api, "account", id="a", name="Zeta", plan="pro", seats=10)
    post(api, "account", id="b", name="Alpha", plan="free", seats=2)
    for key, amount, account in [("1", 10, "a"), ("2", 20, "b"), ("3", 30, "a"), ("4", 40, None)]:
        post(api, linked.slug, id=key, amount=amount, account_id=account)
    url = f"/api/models/{linked.slug}/records"

    def ids(**params):
        resp = api.get(url, params)
        assert resp.status_code == 200, resp.content
        return [r["id"] for r in resp.json()["data"]]

    assert ids(**{"filter[account.plan]": "pro", "sort": "amount"}) == ["1", "3"]
    assert ids(**{"filter[account.seats][gte]": "5"}) == ["3", "1"]  # a number, not text
    assert ids(**{"filter[account.plan][empty]": "true"}) == ["4"]
    assert ids(sort="-account.name,amount") == ["1", "3", "2", "4"]
    assert ids(sort="account.name,-amount") == ["2", "3", "1", "4"]
    assert ids(**{"filter[account_id]": "a", "sort": "amount"}) == ["1", "3"]
    resp = api.get(url, {"filter[account.nope]": "x"})
    assert resp.status_code in (400, 422)  # an unknown field, as for the model's own
    body = {
        "filter": [
            {
                "or": [
                    {"field": "account.plan", "op": "eq", "value": "free"},
                    {"field": "amount", "op": "gte", "value": 40},
                ]
            }
        ],
        "sort": [{"field": "amount", "dir": "desc"}],
    }
    resp = api.post(f"{url}/query", json=body)
    assert [r["id"] for r in resp.json()["data"]] == ["4", "2"]
    # A field the linked model gains later is queryable at once.
    post(api, "account", id="a", region="eu")
    assert ids(**{"filter[account.region]": "eu"}) == ["3", "1"]


def test_q_searches_own_values_not_linked_ones(api, linked):
    """Decision 023: ``q`` stays on the record's own (and connector-joined) values."""
    post(api, "account", id="a", name="Wonderland")
    post(api, linked.slug, id="1", account_id="a", note="hello")
    url = f"/api/models/{linked.slug}/records"
    assert [r["id"] for r in api.get(url, {"q": "hello"}).json()["data"]] == ["1"]
    assert api.get(url, {"q": "wonderland"}).json()["data"] == []
    got = api.get(url, {"filter[account.name][contains]": "wonder"}).json()["data"]
    assert [r["id"] for r in got] == ["1"]


def test_views_and_csv_reach_linked_fields(api, linked):
    post(api, "account", id="a", name="Acme", plan="pro")
    post(api, linked.slug, id="1", amount=5, account_id="a")
    post(api, linked.slug, id="2", amount=7)
    resp = api.post(
        "/api/views",
        json={
            "name": "Pro orders",
            "model": linked.public_id,
            "filter": [{"field": "account.plan", "op": "eq", "value": "pro"}],
            "sort": [{"field": "account.name", "dir": "asc"}],
            "columns": ["id", "amount", "account.name"],
        },
    )
    assert resp.status_code == 201, resp.content
    view = resp.json()["id"]
    page = api.get(f"/api/views/{view}/records").json()
    assert [r["id"] for r in page["data"]] == ["1"]
    assert page["data"][0]["account"]["name"] == "Acme"
    text = b"".join(api.get(f"/api/views/{view}/export.csv").streaming_content).decode()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][-1] == "account.name"
    assert rows[1] == ["1", "5", "Acme"]


def test_deleting_a_linked_model_drops_the_link(api, orders, team):
    customers = make_model(team, "Customers")
    api.patch(f"/api/models/{orders.slug}", {"links": {"customer_id": {"model": customers.slug}}})
    post(api, orders.slug, id="1", customer_id="c")
    assert api.delete(f"/api/models/{customers.slug}").status_code == 204
    assert api.get(f"/api/models/{orders.slug}").json()["links"] == []
    rec = api.get(f"/api/models/{orders.slug}/records/1").json()
    assert "customer" not in rec
    resp = api.get(f"/api/models/{orders.slug}/records", {"filter[customer.x]": "1"})
    assert resp.status_code in (400, 422)


def test_related_lists_each_incoming_link(api, linked, team):
    post(api, "account", id="acme", name="Acme")
    post(api, "account", id="other", name="Other")
    for i in range(12):
        post(api, linked.slug, id=f"o{i}", amount=i, account_id="acme")
    post(api, linked.slug, id="x", account_id="other")
    post(api, "user", id="u1", account_id="acme", email="a@acme.test")
    resp = api.get("/api/models/account/records/acme/related")
    assert resp.status_code == 200, resp.content
    by_link = {(e["model_name"], e["link"]): e for e in resp.json()["data"]}
    assert set(by_link) == {("User", "account"), ("Orders", "account")}
    orders = by_link[("Orders", "account")]
    assert (orders["model"], orders["field"], orders["total"]) == (
        linked.public_id,
        "account_id",
        12,
    )
    assert [r["id"] for r in orders["records"]] == [f"o{i}" for i in range(11, 1, -1)]
    assert orders["records"][0]["account"]["name"] == "Acme"
    users = by_link[("User", "account")]
    assert users["total"] == 1 and users["records"][0]["id"] == "u1"
    # "All 12" is the list query the entry names.
    page = api.get(
        f"/api/models/{orders['model']}/records", {"filter[account_id]": "acme", "count": "true"}
    ).json()
    assert page["total"] == 12
    # Moving an order to another account moves it in the related lists.
    post(api, linked.slug, id="o11", account_id="other")
    got = api.get("/api/models/account/records/acme/related").json()["data"]
    orders = next(e for e in got if e["model"] == linked.public_id)
    assert orders["total"] == 11 and orders["records"][0]["id"] == "o10"
    # A record nothing links to: every link listed, with none.
    post(api, "account", id="lonely")
    got = api.get("/api/models/account/records/lonely/related").json()["data"]
    assert sorted(e["total"] for e in got) == [0, 0] and all(e["records"] == [] for e in got)


def test_related_for_numeric_keys_and_missing_records(api, orders, team):
    customers = make_model(team, "Customers")
    api.patch(f"/api/models/{orders.slug}", {"links": {"cust_id": {"model": customers.slug}}})
    post(api, customers.slug, id=7)
    post(api, orders.slug, id="1", cust_id=7)
    post(api, orders.slug, id="2", cust_id="7")
    got = api.get(f"/api/models/{customers.slug}/records/7/related").json()["data"]
    assert [(e["total"], [r["id"] for r in e["records"]]) for e in got] == [(2, ["2", "1"])]
    resp = api.get(f"/api/models/{customers.slug}/records/8/related")
    assert resp.status_code == 404
    assert resp.json()["error"]["code"] == "record_not_found"


def test_related_is_scoped_to_the_team(api, other_api, linked):
    post(api, "account", id="acme")
    post(api, linked.slug, id="1", account_id="acme")
    resp = other_api.get(
        f"/api/models/{api.get('/api/models/account').json()['id']}/records/acme/related"
    )
    assert resp.status_code == 404
    assert resp.json()["error"]["code"] == "model_not_found"
    other_api.post("/api/models/account/records", json={"id": "acme"})
    got = other_api.get("/api/models/account/records/acme/related").json()["data"]
    assert [(e["model_name"], e["total"]) for e in got] == [("User", 0)]


def test_related_for_an_id_with_a_slash(api, linked):
    post(api, "account", id="eu/acme")
    post(api, linked.slug, id="1", account_id="eu/acme")
    resp = api.get("/api/models/account/records/eu%2Facme/related")
    assert resp.status_code == 200, resp.content
    got = {e["model"]: e["total"] for e in resp.json()["data"]}
    assert got[linked.public_id] == 1
    assert api.get("/api/models/account/records/eu%2Facme").json()["id"] == "eu/acme"


def test_an_id_ending_in_related_is_read_through_the_list(api, orders):
    post(api, orders.slug, id="x/related", amount=1)
    resp = api.get(f"/api/models/{orders.slug}/records/x%2Frelated")
    assert resp.status_code == 404  # the related list of "x", which does not exist
    page = api.get(f"/api/models/{orders.slug}/records", {"filter[id]": "x/related"}).json()
    assert [r["id"] for r in page["data"]] == ["x/related"]
