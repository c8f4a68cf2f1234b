from urllib.parse import urlencode

import pytest


def test_record_upsert_form_encoded_like_the_guide(api, orders):
    body = urlencode({"id": "1234", "amount": "75", "stripe_charge_id": "ch_4567"})
    resp = api.post(f"/api/models/{orders.public_id}/records", data=body)
    assert resp.status_code == 201, resp.content
    rec = resp.json()
    assert rec["id"] == "1234"
    assert rec["data"] == {"id": "1234", "amount": "75", "stripe_charge_id": "ch_4567"}
    assert rec["created_at"] and rec["updated_at"]


def test_record_upsert_merges_keeping_other_keys(api, orders):
    url = f"/api/models/{orders.public_id}/records"
    api.post(url, json={"id": "1", "a": 1, "n": {"x": 1, "y": 2}, "z": 5})
    resp = api.post(url, json={"id": "1", "n": {"x": 9}, "z": None})
    assert resp.status_code == 200
    assert resp.json()["data"] == {"id": "1", "a": 1, "n": {"x": 9}, "z": None}


def test_record_upsert_infers_number_from_form_text(api, orders):
    url = f"/api/models/{orders.public_id}/records"
    api.post(url, data="id=1&amount=75")
    model = api.get(f"/api/models/{orders.public_id}").json()
    types = {f["name"]: f["type"] for f in model["fields"]}
    assert types == {"id": "string", "amount": "number"}


def test_record_upsert_without_id_field_names_it(api, orders):
    resp = api.post(f"/api/models/{orders.public_id}/records", json={"amount": 5})
    assert resp.status_code == 400
    assert resp.json()["error"]["field"] == "id"
    assert resp.json()["error"]["code"] == "id_field_missing"


def test_record_api_other_team_gets_404(other_api, api, orders):
    api.post(f"/api/models/{orders.public_id}/records", json={"id": "1"})
    assert other_api.get(f"/api/models/{orders.public_id}/records/1").status_code == 404
    resp = other_api.post(f"/api/models/{orders.public_id}/records", json={"id": "1"})
    assert resp.status_code == 404
    assert resp.json()["error"]["code"] == "model_not_found"


@pytest.mark.parametrize("header", [None, "Token nope", "Basic abc"])
def test_record_api_without_valid_key_is_401(orders, header):
    from django.test import Client

    headers = {"authorization": header} if header else {}
    resp = Client().get(f"/api/models/{orders.public_id}/records", headers=headers)
    assert resp.status_code == 401
    assert resp.json()["error"]["code"] == "unauthorized"
