"""Where the OpenAPI document and the server once disagreed (issue 9 item 31), each side
now says the same thing; tests/api/test_openapi_schemathesis.py fuzzes the rest."""

import pytest


@pytest.fixture
def doc(client):
    return client.get("/api/openapi.json").json()


def test_openapi_document_lists_every_records_endpoint(doc, client):
    paths = doc["paths"]
    assert set(paths["/api/models/{model}/records"]) >= {"post", "get"}
    assert set(paths["/api/models/{model}/records/batch"]) == {"post"}
    assert set(paths["/api/models/{model}/records/{record_id}"]) == {"get", "delete"}
    batch = paths["/api/models/{model}/records/batch"]["post"]
    assert set(batch["responses"]) >= {"200", "400", "401", "404", "413", "415"}
    assert "application/x-ndjson" in batch["requestBody"]["content"]
    upsert = paths["/api/models/{model}/records"]["post"]
    assert set(upsert["requestBody"]["content"]) >= {
        "application/json",
        "application/x-www-form-urlencoded",
    }
    assert client.get("/api/docs").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/api/models/{model}/records",
        "/api/views/{view_id}/records",
        "/api/views/{view_id}/export.csv",
    ],
)
def test_filter_is_documented_as_one_deep_object_parameter(doc, path):
    params = {p["name"]: p for p in doc["paths"][path]["get"]["parameters"]}
    assert not [name for name in params if "[" in name or "<" in name]
    filter_ = params["filter"]
    assert (filter_["in"], filter_["style"], filter_["explode"]) == ("query", "deepObject", True)
    value = filter_["schema"]["additionalProperties"]
    assert value["type"] == ["string", "object"]
    assert value["additionalProperties"] == {"type": "string"}
    # The operators are named in the description (a schema listing them as properties
    # is one schemathesis cannot negate: decision 014).
    from gather.query.spec import OPS

    assert all(f" {op}" in filter_["description"] for op in OPS)


def test_filter_deep_object_is_what_the_server_reads(api, orders):
    url = f"/api/models/{orders.public_id}/records"
    for row in ({"id": "1", "amount": 5, "status": "paid"}, {"id": "2", "amount": 50}):
        api.post(url, json=row)
    resp = api.get(url, {"filter[amount][gte]": "10"})
    assert [r["id"] for r in resp.json()["data"]] == ["2"]
    resp = api.get(url, {"filter[status]": "paid"})
    assert [r["id"] for r in resp.json()["data"]] == ["1"]
    resp = api.get(url, {"filter[amount][nope]": "1"})
    assert resp.status_code == 400
    assert resp.json()["error"]["field"] == "filter[amount][nope]"


def test_batch_items_may_be_any_json_and_each_non_object_fails_alone(doc, api, orders):
    body = doc["paths"]["/api/models/{model}/records/batch"]["post"]["requestBody"]
    items = body["content"]["application/json"]["schema"]["items"]
    assert "type" not in items  # any JSON value; the description says what happens
    assert "invalid_record" in items["description"]
    resp = api.client.post(
        f"/api/models/{orders.public_id}/records/batch",
        b'[true, false, {"id": "1"}]',
        content_type="application/json",
        headers=api._headers({}),
    )
    assert resp.status_code == 200
    results = resp.json()["results"]
    assert [r["status"] for r in results] == [400, 400, 201]
    assert results[0]["error"]["code"] == "invalid_record"


@pytest.mark.parametrize("body", [b"null", b"[]", b"5", b'"q"', b"true"])
def test_query_body_that_is_not_an_object_is_400(api, orders, body):
    resp = api.client.post(
        f"/api/models/{orders.public_id}/records/query",
        body,
        content_type="application/json",
        headers=api._headers({}),
    )
    assert resp.status_code == 400, resp.content
    assert resp.json()["error"]["code"] == "invalid"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"limit": "5"}, "limit"),
        ({"limit": 2.0}, "limit"),
        ({"limit": True}, "limit"),
        ({"count": "true"}, "count"),
        ({"count": 1}, "count"),
        ({"sort": [{"field": "id", "order": "desc"}]}, "sort[0]"),
        ({"nope": 1}, "nope"),
    ],
)
def test_query_body_with_values_the_document_refuses_is_400(api, orders, body, field):
    resp = api.post(f"/api/models/{orders.public_id}/records/query", json=body)
    assert resp.status_code == 400, resp.content
    assert resp.json()["error"]["field"] == field


def test_query_body_schema_names_its_keys(doc):
    post = doc["paths"]["/api/models/{model}/records/query"]["post"]
    schema = post["requestBody"]["content"]["application/json"]["schema"]
    assert schema["additionalProperties"] is False
    assert set(schema["properties"]) == {"filter", "sort", "q", "limit", "cursor", "count"}
    # null keys count as not given, and the document says so
    assert "null" in schema["properties"]["limit"]["type"]
