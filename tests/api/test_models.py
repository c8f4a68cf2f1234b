"""Models CRUD and the typed field catalogue."""

from gather.records.models import Record


def types_of(api, model_id):
    return {f["name"]: f["type"] for f in api.get(f"/api/models/{model_id}").json()["fields"]}


def test_model_crud(api):
    resp = api.post("/api/models", json={"name": "Orders", "type": "custom", "id_field": "id"})
    assert resp.status_code == 201, resp.content
    model = resp.json()
    assert model["id"].startswith("mdl_")
    assert model["slug"] == "orders"
    assert model["fields"] == [{"name": "id", "type": "string"}]
    assert model["record_count"] == 0
    assert api.get(f"/api/models/{model['id']}").json() == model
    assert api.get("/api/models/orders").json()["id"] == model["id"]
    resp = api.patch(f"/api/models/{model['id']}", {"name": "Sales"})
    assert resp.status_code == 200
    assert resp.json()["name"] == "Sales"
    assert api.delete(f"/api/models/{model['id']}").status_code == 204
    assert api.get(f"/api/models/{model['id']}").status_code == 404


def test_model_create_rejects_bad_input(api):
    assert api.post("/api/models", json={"name": ""}).status_code == 422
    assert api.post("/api/models", json={"name": "X", "type": "stripe"}).status_code == 422
    assert api.post("/api/models", json={"name": "X", "id_field": "a.b"}).status_code == 422
    resp = api.post("/api/models", json={"name": "X", "bogus": 1})
    assert resp.status_code == 422
    assert resp.json()["error"]["code"] == "validation_failed"


def test_model_delete_removes_records(api, orders):
    api.post(f"/api/models/{orders.public_id}/records", json={"id": "1"})
    assert api.delete(f"/api/models/{orders.public_id}").status_code == 204
    assert not Record.objects.filter(model_id=orders.pk).exists()


def test_form_amount_is_number_and_id_stays_text(api, orders):
    url = f"/api/models/{orders.public_id}/records"
    for key, amount in [("10", "75"), ("9", "5"), ("100", "120.5")]:
        assert api.post(url, data=f"id={key}&amount={amount}").status_code == 201
    assert types_of(api, orders.public_id) == {"id": "string", "amount": "number"}
    rec = api.get(f"{url}/10").json()
    assert rec["id"] == "10"
    assert rec["data"] == {"id": "10", "amount": "75"}


def test_conflicting_values_widen_to_string(api, orders):
    url = f"/api/models/{orders.public_id}/records"
    api.post(url, data="id=1&amount=75")
    api.post(url, data="id=2&amount=lots")
    assert types_of(api, orders.public_id)["amount"] == "string"


def test_field_types_are_editable_and_stay_set(api, orders):
    url = f"/api/models/{orders.public_id}/records"
    api.post(url, data="id=1&code=42")
    assert types_of(api, orders.public_id)["code"] == "number"
    resp = api.patch(f"/api/models/{orders.public_id}", {"fields": {"code": "string"}})
    assert resp.status_code == 200, resp.content
    assert {"name": "code", "type": "string"} in resp.json()["fields"]
    api.post(url, data="id=2&code=7")
    assert types_of(api, orders.public_id)["code"] == "string"


def test_field_type_edit_errors(api, orders):
    url = f"/api/models/{orders.public_id}"
    api.post(f"{url}/records", data="id=1&amount=5")
    resp = api.patch(url, {"fields": {"amount": "money"}})
    assert resp.status_code == 422
    assert resp.json()["error"]["field"] == "type"
    assert api.patch(url, {"fields": {"nope": "number"}}).status_code == 404
    assert api.patch(url, {"fields": {"id": "number"}}).status_code == 422


def test_id_field_cannot_change_once_records_exist(api, orders):
    api.post(f"/api/models/{orders.public_id}/records", json={"id": "1"})
    resp = api.patch(f"/api/models/{orders.public_id}", {"id_field": "order_no"})
    assert resp.status_code == 409
    assert resp.json()["error"]["field"] == "id_field"


def test_record_count_in_model(api, orders):
    api.post(f"/api/models/{orders.public_id}/records/batch", json=[{"id": "1"}, {"id": "2"}])
    assert api.get(f"/api/models/{orders.public_id}").json()["record_count"] == 2
    listed = {m["id"]: m for m in api.get("/api/models").json()["data"]}
    assert listed[orders.public_id]["record_count"] == 2


def test_hand_set_type_costs_no_catalogue_query_on_write(api, orders):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = f"/api/models/{orders.public_id}"
    api.post(f"{url}/records", data="id=1&amount=5")
    assert api.patch(url, {"fields": {"amount": "string"}}).status_code == 200
    api.post(f"{url}/records", data="id=2&amount=6")  # the catalogue is read once here
    with CaptureQueriesContext(connection) as queries:
        assert api.post(f"{url}/records", data="id=3&amount=7").status_code == 201
    assert not [q["sql"] for q in queries.captured_queries if "gather_field" in q["sql"]]
    assert types_of(api, orders.public_id)["amount"] == "string"


def test_model_name_with_control_characters_is_422(api):
    for name in ["\u0000", "Or\u0000ders", "a\u0007b"]:
        resp = api.post("/api/models", json={"name": name})
        assert resp.status_code == 422, resp.content
        assert resp.json()["error"]["field"] == "name"
    resp = api.post("/api/models", json={"name": "Orders"})
    assert api.patch(f"/api/models/{resp.json()['id']}", {"name": "x\u0000"}).status_code == 422
