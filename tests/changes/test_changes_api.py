"""GET …/records/{id}/history and GET /api/changes: shape, paging, tenancy."""

from gather.records import services
from tests.factories import make_model


def url(model):
    return f"/api/models/{model.public_id}/records"


def test_history_newest_first_paged_and_readable_after_delete(api, team, orders):
    api.post(url(orders), json={"id": "r/1", "status": "trial"})
    api.post(url(orders), json={"id": "r/1", "status": "paid"})
    api.post(url(orders), json={"id": "other", "status": "x"})
    api.delete(f"{url(orders)}/r%2F1")
    resp = api.get(f"{url(orders)}/r%2F1/history", {"limit": "2"})
    assert resp.status_code == 200, resp.content
    page = resp.json()
    assert [c["type"] for c in page["data"]] == ["record.deleted", "record.updated"]
    change = page["data"][1]
    assert change["model"] == orders.public_id and change["record"] == "r/1"
    assert change["changed"] == {"status": {"from": "trial", "to": "paid"}}
    assert change["source"]["kind"] == "api_key"
    assert change["id"].startswith("chg_") and change["at"].endswith("Z")
    rest = api.get(f"{url(orders)}/r%2F1/history", {"cursor": page["next_cursor"]}).json()
    assert [c["type"] for c in rest["data"]] == ["record.created"]
    assert rest["next_cursor"] is None


def test_history_and_feed_of_another_team_are_invisible(api, other_api, team, orders):
    api.post(url(orders), json={"id": "1"})
    assert other_api.get(f"{url(orders)}/1/history").status_code == 404
    assert other_api.get("/api/changes").json()["data"] == []
    assert other_api.get("/api/changes", {"model": orders.public_id}).json()["data"] == []
    assert other_api.get("/api/changes", {"model": orders.slug}).status_code == 404
    assert api.get("/api/changes").json()["data"][0]["record"] == "1"


def test_feed_oldest_first_resumable_and_filtered(api, team, orders):
    shops = make_model(team, "Shops", "id")
    for n in range(5):
        api.post(url(orders), json={"id": str(n)})
        api.post(url(shops), json={"id": str(n)})
    seen, after = [], None
    for _ in range(10):
        params = {"limit": "3", **({"after": after} if after else {})}
        page = api.get("/api/changes", params).json()
        if not page["data"]:
            assert page["next_after"] == after
            break
        seen += page["data"]
        after = page["next_after"]
    assert len(seen) == 10
    assert [c["id"] for c in seen] == sorted(c["id"] for c in seen)
    assert [(c["model"], c["record"]) for c in seen[:2]] == [
        (orders.public_id, "0"),
        (shops.public_id, "0"),
    ]
    only = api.get("/api/changes", {"model": shops.slug, "limit": "1000"}).json()["data"]
    assert [c["record"] for c in only] == ["0", "1", "2", "3", "4"]
    # a deleted model's changes stay readable by its Model ID
    ref = shops.public_id
    services.model_delete(team=team, model=shops)
    gone = api.get("/api/changes", {"model": ref}).json()["data"]
    assert len(gone) == 6 and gone[-1]["type"] == "model.deleted" and gone[-1]["record"] is None


def test_feed_and_history_refuse_bad_parameters(api, orders):
    for params in ({"limit": "0"}, {"limit": "1001"}, {"limit": "x"}, {"after": "chg_1"}):
        resp = api.get("/api/changes", params)
        assert resp.status_code == 400, params
        assert resp.json()["error"]["field"] in ("limit", "after")
    resp = api.get(f"{url(orders)}/1/history", {"cursor": "nope"})
    assert resp.status_code == 400 and resp.json()["error"]["field"] == "cursor"
    assert api.get("/api/changes", {"limit": "1000"}).status_code == 200
    assert api.get("/api/changes", {"model": "nope"}).status_code == 404


def test_unknown_query_keys_are_refused(api, orders):
    resp = api.get("/api/changes", {"afterr": "chg_0000000000000001"})
    assert resp.status_code == 400 and resp.json()["error"]["field"] == "afterr"
    resp = api.get(f"{url(orders)}/1/history", {"page": "2"})
    assert resp.status_code == 400 and resp.json()["error"]["field"] == "page"
