import orjson


def test_record_batch_reports_each_item_and_skips_only_bad_ones(api, orders):
    url = f"/api/models/{orders.public_id}/records"
    api.post(url, json={"id": "1", "keep": "me"})
    items = [
        {"id": "1", "amount": 5},
        {"amount": 7},  # no ID
        {"id": "2", "amount": 9},
        {"id": "2", "status": "paid"},  # same ID: applies after the one above
        {"id": {"x": 1}},
        "not an object",
    ]
    resp = api.post(url + "/batch", json=items)
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert (body["created"], body["updated"], body["failed"]) == (1, 2, 3)
    statuses = [(r["index"], r["status"]) for r in body["results"]]
    assert statuses == [(0, 200), (1, 400), (2, 201), (3, 200), (4, 400), (5, 400)]
    assert body["results"][1]["error"]["field"] == "id"
    assert api.get(url + "/1").json()["data"] == {"id": "1", "keep": "me", "amount": 5}
    assert api.get(url + "/2").json()["data"] == {"id": "2", "amount": 9, "status": "paid"}


def test_record_batch_accepts_ndjson_with_a_broken_line(api, orders):
    url = f"/api/models/{orders.public_id}/records/batch"
    body = b'{"id": "a", "n": 1}\n{broken\n\n{"id": "b", "n": 2}\n'
    resp = api.post(url, data=body, content_type="application/x-ndjson")
    assert resp.status_code == 200, resp.content
    results = resp.json()["results"]
    assert [r["status"] for r in results] == [201, 400, 201]
    assert "Line 2" in results[1]["error"]["message"]


def test_record_batch_over_10000_records_is_413_and_stores_nothing(api, orders):
    url = f"/api/models/{orders.public_id}/records"
    items = [{"id": str(i)} for i in range(10_001)]
    resp = api.post(url + "/batch", data=orjson.dumps(items), content_type="application/json")
    assert resp.status_code == 413
    assert resp.json()["error"]["code"] == "too_large"
    assert api.get(url, {"count": "true"}).json()["total"] == 0


def test_record_batch_of_10000_is_stored(api, orders):
    url = f"/api/models/{orders.public_id}/records"
    items = [{"id": str(i), "amount": i} for i in range(10_000)]
    resp = api.post(url + "/batch", data=orjson.dumps(items), content_type="application/json")
    assert resp.status_code == 200
    assert resp.json()["created"] == 10_000
    assert api.get(url, {"count": "true", "limit": 1}).json()["total"] == 10_000


def test_record_batch_wrong_media_type_is_415(api, orders):
    resp = api.post(
        f"/api/models/{orders.public_id}/records/batch", data="x", content_type="text/csv"
    )
    assert resp.status_code == 415
    assert resp.json()["error"]["code"] == "unsupported_media_type"


def test_record_batch_not_an_array_is_400(api, orders):
    resp = api.post(f"/api/models/{orders.public_id}/records/batch", json={"id": "1"})
    assert resp.status_code == 400


def test_record_batch_other_team_is_404(other_api, orders):
    resp = other_api.post(f"/api/models/{orders.public_id}/records/batch", json=[{"id": "1"}])
    assert resp.status_code == 404
