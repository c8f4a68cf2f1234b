"""Team A's key sees nothing of team B: every model and record endpoint answers 404."""

import pytest

from gather.records.models import DataModel, Record

ENDPOINTS = [
    ("get", "/api/models/{model}", None),
    ("patch", "/api/models/{model}", {"name": "Hijacked"}),
    ("delete", "/api/models/{model}", None),
    ("post", "/api/models/{model}/records", {"id": "1", "x": "hijacked"}),
    ("post", "/api/models/{model}/records/batch", [{"id": "1", "x": "hijacked"}]),
    ("get", "/api/models/{model}/records", None),
    ("get", "/api/models/{model}/records/1", None),
    ("delete", "/api/models/{model}/records/1", None),
]


@pytest.mark.parametrize("ref", ["public_id", "slug"])
@pytest.mark.parametrize("method,path,body", ENDPOINTS)
def test_other_teams_key_gets_404_everywhere(api, other_api, orders, ref, method, path, body):
    assert api.post(f"/api/models/{orders.public_id}/records", json={"id": "1"}).status_code == 201
    url = path.format(model=getattr(orders, ref))
    call = getattr(other_api, method)
    resp = call(url, json=body) if body is not None else call(url)
    assert resp.status_code == 404, (method, url, resp.content)
    assert resp.json()["error"]["code"] in ("model_not_found", "not_found")
    # nothing changed for the owner
    assert DataModel.objects.get(pk=orders.pk).name == "Orders"
    assert Record.objects.get(model=orders, key="1").data == {"id": "1"}


def test_model_list_shows_only_own_models(api, other_api, orders):
    mine = [(m["id"], m["type"]) for m in api.get("/api/models").json()["data"]]
    assert mine[2:] == [(orders.public_id, "custom")]
    theirs = other_api.get("/api/models").json()["data"]
    assert [m["type"] for m in theirs] == ["account", "user"]
    assert not {m["id"] for m in theirs} & {m[0] for m in mine}


def test_same_slug_in_two_teams_resolves_per_team(api, other_api, orders):
    theirs = other_api.post("/api/models", json={"name": "Orders", "id_field": "id"}).json()
    assert theirs["slug"] == orders.slug
    other_api.post("/api/models/orders/records", json={"id": "1", "team": "b"})
    api.post("/api/models/orders/records", json={"id": "1", "team": "a"})
    assert api.get("/api/models/orders/records/1").json()["data"]["team"] == "a"
    assert other_api.get("/api/models/orders/records/1").json()["data"]["team"] == "b"
