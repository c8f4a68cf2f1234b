"""Keys: team A's key sees nothing of team B (404 everywhere), and bad keys get 401."""

import pytest
from django.test import Client

from gather.accounts.models import ApiKey
from gather.accounts.services import apikey_revoke
from gather.records.models import DataModel, Record
from tests.factories import make_key


def matrix(model_ref: str):
    """Every model and record endpoint: (method, path, json body)."""
    base = f"/api/models/{model_ref}"
    return [
        ("get", base, None),
        ("patch", base, {"name": "Stolen"}),
        ("delete", base, None),
        ("post", f"{base}/records", {"id": "1", "amount": 1}),
        ("post", f"{base}/records/batch", [{"id": "1", "amount": 1}]),
        ("get", f"{base}/records", None),
        ("post", f"{base}/records/query", {"filter": []}),
        ("get", f"{base}/records/1", None),
        ("delete", f"{base}/records/1", None),
    ]


def call(client, method, path, body):
    if method == "get":
        return client.get(path)
    if method == "delete":
        return client.delete(path)
    if method == "patch":
        return client.patch(path, body)
    return client.post(path, json=body)


@pytest.fixture
def theirs(other_team):
    """Team B's model with one record, addressed by Model ID and by slug."""
    from gather.records.services import record_upsert
    from tests.factories import make_model

    model = make_model(other_team, "Invoices", "id")
    record_upsert(team=other_team, model=model, payload={"id": "1", "secret": "b"})
    return model


@pytest.mark.parametrize("by", ["public_id", "slug"])
@pytest.mark.parametrize("index", range(9))
def test_tenancy_other_teams_model_and_records_are_404(api, theirs, by, index):
    method, path, body = matrix(getattr(theirs, by))[index]
    resp = call(api, method, path, body)
    assert resp.status_code == 404, (method, path, resp.content)
    assert resp.json()["error"]["code"] in ("model_not_found", "not_found")
    theirs.refresh_from_db()
    assert theirs.name == "Invoices"
    assert Record.objects.get(model=theirs, key="1").data == {"id": "1", "secret": "b"}
    assert Record.objects.filter(model=theirs).count() == 1


def test_tenancy_model_list_shows_only_own_models(api, orders, theirs):
    names = [m["name"] for m in api.get("/api/models").json()["data"]]
    assert names == ["Account", "User", "Orders"]  # the standard models first


def test_tenancy_same_slug_in_two_teams_resolves_to_own(api, other_api, orders, other_team):
    from tests.factories import make_model

    mine = api.post(f"/api/models/{orders.slug}/records", json={"id": "1", "team": "a"})
    twin = make_model(other_team, "Orders", "id")
    assert twin.slug == orders.slug
    other_api.post(f"/api/models/{twin.slug}/records", json={"id": "1", "team": "b"})
    assert mine.status_code == 201
    assert api.get(f"/api/models/{orders.slug}/records/1").json()["data"]["team"] == "a"
    assert other_api.get(f"/api/models/{twin.slug}/records/1").json()["data"]["team"] == "b"


AUTH_CASES = {
    "missing": None,
    "empty": "",
    "scheme only": "Token",
    "wrong key": "Token gth_not-a-real-key",
    "basic": "Basic dXNlcjpwYXNz",
    "huge": "Token " + "x" * 5000,
}


@pytest.mark.parametrize("header", AUTH_CASES.values(), ids=AUTH_CASES.keys())
@pytest.mark.parametrize("index", range(9))
def test_auth_missing_or_invalid_key_is_401(orders, header, index):
    method, path, body = matrix(orders.public_id)[index]
    client = Client()
    headers = {"authorization": header} if header is not None else {}
    if method == "get":
        resp = client.get(path, headers=headers)
    elif method == "delete":
        resp = client.delete(path, headers=headers)
    else:
        resp = getattr(client, method)(
            path, b"{}", content_type="application/json", headers=headers
        )
    assert resp.status_code == 401
    assert resp.json()["error"]["code"] == "unauthorized"
    assert DataModel.objects.filter(pk=orders.pk, name="Orders").exists()


def test_auth_bearer_scheme_works(team, orders):
    key = make_key(team)
    resp = Client().get("/api/models", headers={"authorization": f"Bearer {key}"})
    assert resp.status_code == 200


def test_auth_revoked_key_is_401_at_once(api, team, orders):
    assert api.get(f"/api/models/{orders.public_id}").status_code == 200
    key = ApiKey.objects.get(team=team)
    apikey_revoke(team=team, key_id=key.pk)
    resp = api.post(f"/api/models/{orders.public_id}/records", json={"id": "1"})
    assert resp.status_code == 401
    assert not Record.objects.filter(model=orders).exists()
    assert api.get(f"/api/models/{orders.public_id}").status_code == 401


def test_auth_last_used_at_is_written_at_most_once_a_minute(api, team, orders):
    from datetime import timedelta

    api.get(f"/api/models/{orders.public_id}")
    first = ApiKey.objects.get(team=team).last_used_at
    assert first is not None
    api.get(f"/api/models/{orders.public_id}")
    assert ApiKey.objects.get(team=team).last_used_at == first
    ApiKey.objects.filter(team=team).update(last_used_at=first - timedelta(minutes=5))
    api.get(f"/api/models/{orders.public_id}")
    assert ApiKey.objects.get(team=team).last_used_at > first
