import orjson
import pytest

from gather.records.models import Record


def batch_url(model):
    return f"/api/models/{model.public_id}/records/batch"


def test_batch_json_array_reports_each_item(api, orders):
    api.post(f"/api/models/{orders.public_id}/records", json={"id": "1", "keep": "yes"})
    resp = api.post(
        batch_url(orders),
        json=[{"id": "1", "amount": 75}, {"id": "2", "amount": 20}, {"amount": 5}],
    )
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert (body["created"], body["updated"], body["failed"]) == (1, 1, 1)
    assert body["data"][0] == {"index": 0, "result": "updated", "id": "1", "error": None}
    assert body["data"][1] == {"index": 1, "result": "created", "id": "2", "error": None}
    assert body["data"][2]["result"] == "error"
    assert body["data"][2]["error"]["code"] == "id_field_missing"
    assert body["data"][2]["error"]["field"] == "id"
    assert Record.objects.get(model=orders, key="1").data == {
        "id": "1",
        "keep": "yes",
        "amount": 75,
    }
    assert Record.objects.get(model=orders, key="2").data == {"id": "2", "amount": 20}


def test_batch_ndjson_bad_line_does_not_sink_the_others(api, orders):
    body = b'{"id": "a", "x": 1}\n{not json\n\n{"id": "b", "x": 2}\n[1,2]\n'
    resp = api.post(batch_url(orders), data=body, content_type="application/x-ndjson")
    assert resp.status_code == 200, resp.content
    results = resp.json()["data"]
    assert [r["result"] for r in results] == ["created", "error", "created", "error"]
    assert results[1]["error"]["code"] == "invalid_json"
    assert results[3]["error"]["code"] == "invalid_record"
    assert set(Record.objects.filter(model=orders).values_list("key", flat=True)) == {"a", "b"}


def test_batch_same_id_applies_in_order(api, orders):
    items = [
        {"id": "7", "a": 1, "n": {"x": 1, "y": 2}, "z": 5},
        {"id": "7", "a": 2, "n": {"x": 9}},
        {"id": "7", "z": None},
    ]
    resp = api.post(batch_url(orders), json=items)
    assert resp.status_code == 200, resp.content
    assert [r["result"] for r in resp.json()["data"]] == ["created", "updated", "updated"]
    rec = api.get(f"/api/models/{orders.public_id}/records/7").json()
    assert rec["data"] == {"id": "7", "a": 2, "n": {"x": 9}, "z": None}


def test_batch_merges_into_existing_like_single_upsert(api, orders):
    url = f"/api/models/{orders.public_id}/records"
    api.post(url, json={"id": "1", "a": 1, "n": {"x": 1, "y": 2}, "z": 5})
    api.post(batch_url(orders), json=[{"id": "1", "n": {"x": 9}, "z": None}])
    assert api.get(f"{url}/1").json()["data"] == {"id": "1", "a": 1, "n": {"x": 9}, "z": None}


def test_batch_of_ten_thousand_is_accepted(api, orders):
    items = [{"id": str(i), "amount": i} for i in range(10_000)]
    resp = api.post(batch_url(orders), json=items)
    assert resp.status_code == 200
    assert resp.json()["created"] == 10_000
    assert Record.objects.filter(model=orders).count() == 10_000


def test_batch_over_ten_thousand_is_413(api, orders):
    resp = api.post(batch_url(orders), json=[{"id": str(i)} for i in range(10_001)])
    assert resp.status_code == 413
    assert resp.json()["error"]["code"] == "too_many_records"
    lines = b"\n".join(orjson.dumps({"id": str(i)}) for i in range(10_001))
    resp = api.post(batch_url(orders), data=lines, content_type="application/x-ndjson")
    assert resp.status_code == 413
    assert Record.objects.filter(model=orders).count() == 0


def test_batch_body_over_16_mib_is_413(api, orders):
    big = [{"id": str(i), "blob": "x" * 1_000_000} for i in range(17)]
    resp = api.post(batch_url(orders), json=big)
    assert resp.status_code == 413
    assert resp.json()["error"]["code"] == "too_large"


@pytest.mark.parametrize(
    "body,content_type,status,code",
    [
        (b'{"id": "1"}', "application/json", 400, "invalid_batch"),
        (b"[{", "application/json", 400, "invalid_json"),
        (b"id=1", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
        (b"[]", "text/plain", 415, "unsupported_media_type"),
    ],
)
def test_batch_rejects_bad_bodies(api, orders, body, content_type, status, code):
    resp = api.post(batch_url(orders), data=body, content_type=content_type)
    assert resp.status_code == status
    assert resp.json()["error"]["code"] == code


def test_batch_empty_array_is_ok(api, orders):
    resp = api.post(batch_url(orders), json=[])
    assert resp.status_code == 200
    assert resp.json() == {"created": 0, "updated": 0, "failed": 0, "data": []}


def test_batch_unknown_model_is_404(api):
    resp = api.post("/api/models/mdl_nope/records/batch", json=[{"id": "1"}])
    assert resp.status_code == 404
    assert resp.json()["error"]["code"] == "model_not_found"


def test_batch_infers_field_types(api, orders):
    api.post(batch_url(orders), json=[{"id": "1", "amount": "75", "paid": "true"}])
    fields = api.get(f"/api/models/{orders.public_id}").json()["fields"]
    assert {f["name"]: f["type"] for f in fields} == {
        "id": "string",
        "amount": "number",
        "paid": "boolean",
    }
