"""Bad input from issue 9: each answers the contract's error, stores nothing wrong, never 500s."""

import json
from decimal import Decimal

from gather.records.models import Record


def records_url(model):
    return f"/api/models/{model.public_id}/records"


def assert_error(resp, status, code=None, field=None):
    assert resp.status_code == status, resp.content
    error = resp.json()["error"]
    assert error["message"]
    if code:
        assert error["code"] == code
    if field:
        assert error["field"] == field
    return error


# -- form bodies that are not UTF-8 after percent-decoding (issue 9 item 27) ---------------


def test_form_percent_encoded_invalid_utf8_is_400(api, orders):
    resp = api.post(records_url(orders), data="id=1&name=%ff%fe")
    error = assert_error(resp, 400, "invalid")
    assert "UTF-8" in error["message"]
    assert not Record.objects.filter(model=orders).exists()


def test_form_percent_encoded_invalid_utf8_in_a_name_is_400(api, orders):
    resp = api.post(records_url(orders), data="id=1&%ff=x")
    assert_error(resp, 400, "invalid")
    assert not Record.objects.filter(model=orders).exists()


def test_form_percent_encoded_utf8_is_stored(api, orders):
    resp = api.post(records_url(orders), data="id=1&name=%C3%A9t%C3%A9+%E2%82%AC")
    assert resp.status_code == 201, resp.content
    assert resp.json()["data"]["name"] == "été €"


# -- JSON labelled form-encoded, as `curl -d '{"id": 1}'` sends it (issue 9 item 10) --------


def test_json_body_labelled_form_encoded_is_415_with_a_hint(api, orders):
    for body in ('{"id": 1}', ' [{"id": 1}]\n', '{"id": 1, "note": "a=b&c"}'):
        resp = api.post(records_url(orders), data=body)
        error = assert_error(resp, 415, "unsupported_media_type")
        assert "Content-Type: application/json" in error["message"]
    assert not Record.objects.filter(model=orders).exists()


def test_the_same_json_body_labelled_json_is_stored(api, orders):
    resp = api.post(records_url(orders), data='{"id": 1}', content_type="application/json")
    assert resp.status_code == 201, resp.content


# -- models from form-encoded input; the type as the app shows it (issue 9 item 15) --------


def test_model_create_accepts_form_encoded_input(api):
    resp = api.post("/api/models", data="name=Orders&type=Custom&id_field=order_id")
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert (body["name"], body["type"], body["id_field"]) == ("Orders", "custom", "order_id")
    assert api.get(f"/api/models/{body['id']}").json()["type"] == "custom"


def test_model_create_type_is_case_insensitive(api):
    for type_ in ("Custom", "CUSTOM", " custom "):
        resp = api.post("/api/models", json={"name": f"Orders {type_}", "type": type_})
        assert resp.status_code == 201, resp.content
        assert resp.json()["type"] == "custom"
    assert_error(api.post("/api/models", json={"name": "X", "type": "Stripe"}), 422, field="type")


def test_model_create_form_errors_use_the_contract(api):
    assert_error(api.post("/api/models", data="type=custom"), 422, "validation_failed", "name")
    assert_error(api.post("/api/models", data="name=%ff"), 400, "invalid")
    assert_error(api.post("/api/models", data='{"name": "Orders"}'), 415)


def test_model_create_form_encoded_is_in_the_openapi_document(api):
    doc = api.get("/api/openapi.json").json()
    content = doc["paths"]["/api/models"]["post"]["requestBody"]["content"]
    assert {"application/json", "application/x-www-form-urlencoded"} <= set(content)


# -- a lone surrogate anywhere in JSON (issue 9 item 17) -----------------------------------

LONE = "\\ud800"  # the JSON escape of a lone (unpaired) surrogate, as text in the body


def post_json_text(api, url, text: str):
    return api.post(url, data=text.encode(), content_type="application/json")


def test_lone_surrogate_in_a_record_is_400_naming_the_field(api, orders):
    url = records_url(orders)
    for text, field in (
        (f'{{"id": "1", "name": "{LONE}"}}', "name"),
        (f'{{"id": "1", "meta": {{"tags": ["ok", "a{LONE}b"]}}}}', "meta.tags.1"),
    ):
        error = assert_error(post_json_text(api, url, text), 400, "invalid_text", field)
        assert "surrogate" in error["message"]
    assert_error(post_json_text(api, url, f'{{"id": "1", "k{LONE}": 1}}'), 400, "invalid_text")
    assert_error(post_json_text(api, url, f'{{"id": "{LONE}"}}'), 400, "invalid_text", "id")
    assert not Record.objects.filter(model=orders).exists()


def test_surrogate_pairs_are_fine(api, orders):
    resp = post_json_text(api, records_url(orders), '{"id": "1", "emoji": "\\ud83d\\ude00"}')
    assert resp.status_code == 201, resp.content
    assert resp.json()["data"]["emoji"] == "\U0001f600"


def test_lone_surrogate_in_a_batch_fails_that_item_only(api, orders):
    url = f"{records_url(orders)}/batch"
    text = f'[{{"id": "1"}}, {{"id": "2", "name": "{LONE}"}}, {{"id": "3", "n": 1}}]'
    resp = post_json_text(api, url, text)
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert (body["created"], body["failed"]) == (2, 1)
    assert body["results"][1]["status"] == 400
    assert body["results"][1]["error"]["code"] == "invalid_text"
    assert body["results"][1]["error"]["field"] == "name"
    assert set(Record.objects.filter(model=orders).values_list("key", flat=True)) == {"1", "3"}


def test_lone_surrogate_in_an_ndjson_line_fails_that_line_only(api, orders):
    url = f"{records_url(orders)}/batch"
    text = f'{{"id": "1"}}\n{{"id": "2", "name": "{LONE}"}}\n{{"id": "3"}}\n'
    resp = api.post(url, data=text.encode(), content_type="application/x-ndjson")
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert [r["status"] for r in body["results"]] == [201, 400, 201]
    assert body["results"][1]["error"]["code"] == "invalid_text"
    assert set(Record.objects.filter(model=orders).values_list("key", flat=True)) == {"1", "3"}


def test_lone_surrogate_in_model_and_view_names_is_400(api, orders):
    assert_error(post_json_text(api, "/api/models", f'{{"name": "O{LONE}"}}'), 400, "invalid_text")
    resp = api.client.patch(
        f"/api/models/{orders.public_id}",
        f'{{"name": "O{LONE}"}}'.encode(),
        content_type="application/json",
        headers={"authorization": f"Token {api.key}"},
    )
    assert_error(resp, 400, "invalid_text", "name")
    view = f'{{"name": "V{LONE}", "model": "{orders.public_id}"}}'
    assert_error(post_json_text(api, "/api/views", view), 400, "invalid_text", "name")
    orders.refresh_from_db()
    assert orders.name == "Orders"


def test_lone_surrogate_in_a_filter_or_q_is_400(api, orders):
    api.post(records_url(orders), json={"id": "1", "status": "paid"})
    url = f"{records_url(orders)}/query"
    text = f'{{"filter": [{{"field": "status", "op": "eq", "value": "{LONE}"}}]}}'
    assert_error(post_json_text(api, url, text), 400, "invalid_text", "filter.0.value")
    assert_error(post_json_text(api, url, f'{{"q": "{LONE}"}}'), 400, "invalid_text", "q")
    view = f'{{"name": "V", "model": "{orders.public_id}", "q": "{LONE}"}}'
    assert_error(post_json_text(api, "/api/views", view), 400, "invalid_text", "q")


# -- numbers a double or a 64-bit integer cannot hold (issue 9 item 18) --------------------

OUT_OF_RANGE = [
    "123456789012345678901234567890",
    str(-(2**63) - 1),
    str(2**63),
    str(2**64 - 1),
    "1e-400",
    "-0.5e-330",
    "0." + "0" * 400 + "1",
    "1e999",
]


def test_numbers_out_of_range_are_400_naming_the_field(api, orders):
    url = records_url(orders)
    for literal in OUT_OF_RANGE:
        resp = post_json_text(api, url, f'{{"id": "1", "n": {literal}}}')
        error = assert_error(resp, 400, "number_out_of_range", "n")
        assert "as text" in error["message"]
        resp = post_json_text(api, url, f'{{"id": "1", "meta": {{"xs": [1, {literal}]}}}}')
        assert_error(resp, 400, "number_out_of_range", "meta.xs.1")
    assert not Record.objects.filter(model=orders).exists()


def as_decimals(content: bytes):
    return json.loads(content, parse_int=Decimal, parse_float=Decimal)


def test_numbers_in_range_are_stored_as_the_same_number(api, orders):
    # Compared as decimals: PostgreSQL writes a large double back as a long integer
    # (1.5e300 as 15 and 299 zeros), the same number; such a literal is accepted too.
    literals = {
        "max": "9223372036854775807",
        "min": "-9223372036854775808",
        "big": "1234567890123456789",
        "tiny": "1e-300",
        "huge": "1.5e300",
        "huge_as_pg_writes_it": "15" + "0" * 299,
        "pow": "100000000000000000000",
        "zero": "0.0",
        "ezero": "0e-999",
    }
    text = ", ".join(f'"{name}": {literal}' for name, literal in literals.items())
    resp = post_json_text(api, records_url(orders), f'{{"id": "1", {text}}}')
    assert resp.status_code == 201, resp.content
    expected = {name: Decimal(literal) for name, literal in literals.items()}
    data = as_decimals(resp.content)["data"]
    assert {name: data[name] for name in literals} == expected
    stored = as_decimals(api.get(f"{records_url(orders)}/1").content)["data"]
    assert {name: stored[name] for name in literals} == expected


def test_number_out_of_range_in_a_batch_fails_that_item_only(api, orders):
    url = f"{records_url(orders)}/batch"
    text = '[{"id": "1", "n": 1}, {"id": "2", "n": 123456789012345678901234567890}, {"id": "3"}]'
    body = post_json_text(api, url, text).json()
    assert [r["status"] for r in body["results"]] == [201, 400, 201]
    assert body["results"][1]["error"]["code"] == "number_out_of_range"
    assert body["results"][1]["error"]["field"] == "n"
    lines = '{"id": "4"}\n{"id": "5", "n": 1e-400}\n'
    resp = api.post(url, data=lines.encode(), content_type="application/x-ndjson")
    assert [r["status"] for r in resp.json()["results"]] == [201, 400]
    keys = set(Record.objects.filter(model=orders).values_list("key", flat=True))
    assert keys == {"1", "3", "4"}


def test_number_out_of_range_in_a_filter_is_400(api, orders):
    url = f"{records_url(orders)}/query"
    text = '{"filter": [{"field": "n", "op": "gt", "value": 1e-400}]}'
    assert_error(post_json_text(api, url, text), 400, "number_out_of_range", "filter.0.value")
    view = f'{{"name": "V", "model": "{orders.public_id}", '
    view += '"filter": [{"field": "n", "op": "gt", "value": 99999999999999999999}]}'
    assert_error(post_json_text(api, "/api/views", view), 400, "number_out_of_range")


# -- multipart bodies anywhere under /api (issue 9 item 23) --------------------------------


def test_multipart_bodies_are_415_everywhere_under_api(api, orders):
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = records_url(orders)
    paths = [
        url,
        f"{url}/batch",
        f"{url}/query",
        "/api/models",
        "/api/views",
        "/api/integrations",
    ]
    for path in paths:
        for data in ({"id": "1"}, {"id": "1", "f": SimpleUploadedFile("a.txt", b"hi")}):
            resp = api.client.post(path, data, headers={"authorization": f"Token {api.key}"})
            error = assert_error(resp, 415, "unsupported_media_type")
            assert "multipart/form-data" in error["message"]
    assert not Record.objects.filter(model=orders).exists()


# -- at most 1,000 fields a model; new fields registered in one statement (item 26) --------


def wide(key: str, start: int, count: int) -> dict:
    return {"id": key, **{f"f{n}": n for n in range(start, start + count)}}


def field_names(model) -> set[str]:
    from gather.records.models import Field

    return set(Field.objects.filter(model=model).values_list("name", flat=True))


def test_a_model_holds_at_most_1000_fields(api, orders):
    url = records_url(orders)
    resp = api.post(url, json=wide("big", 0, 5000))
    error = assert_error(resp, 422, "too_many_fields")
    assert "1,000" in error["message"]
    assert field_names(orders) == {"id"}
    assert not Record.objects.filter(model=orders).exists()

    resp = api.post(url, json=wide("a", 0, 999))  # 999 + the ID field: exactly 1,000
    assert resp.status_code == 201, resp.content
    assert len(field_names(orders)) == 1000
    assert_error(api.post(url, json={"id": "b", "one_more": 1}), 422, "too_many_fields")
    resp = api.post(url, json={"id": "b", "f5": "text now", "f998": 1})  # known fields
    assert resp.status_code == 201, resp.content
    assert len(field_names(orders)) == 1000


def test_a_batch_fails_only_the_items_that_would_pass_the_cap(api, orders):
    items = [wide("1", 0, 600), wide("2", 600, 300), wide("3", 900, 200), wide("4", 0, 10)]
    resp = api.post(f"{records_url(orders)}/batch", json=items)
    assert resp.status_code == 200, resp.content
    results = resp.json()["results"]
    assert [r["status"] for r in results] == [201, 201, 422, 201]
    assert results[2]["error"]["code"] == "too_many_fields"
    assert len(field_names(orders)) == 901
    assert set(Record.objects.filter(model=orders).values_list("key", flat=True)) == {
        "1",
        "2",
        "4",
    }


def test_new_fields_are_registered_in_one_statement(api, orders):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        resp = api.post(records_url(orders), json=wide("1", 0, 500))
    assert resp.status_code == 201, resp.content
    inserts = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("INSERT")]
    field_inserts = [sql for sql in inserts if "gather_field" in sql]
    assert len(field_inserts) == 1, len(field_inserts)
    assert len(field_names(orders)) == 501
    types = {
        f["name"]: f["type"] for f in api.get(f"/api/models/{orders.public_id}").json()["fields"]
    }
    assert types["f0"] == "number"


def test_form_text_too_large_for_a_number_stays_text_and_queries_work(api, orders):
    # Form values arrive as text; '1e999999999' was catalogued as a number, and on
    # PostgreSQL every filter and sort on its field then failed with a numeric overflow
    # (500). Beyond what a double holds, a text is text.
    url = records_url(orders)
    for rid, big in (("1", "1e999999999"), ("2", "9" * 400), ("3", "-1e400")):
        assert api.post(url, data=f"id={rid}&big={big}").status_code == 201
    for params in ({"sort": "big"}, {"filter[big][gte]": "1"}, {"filter[big]": "1e999999999"}):
        resp = api.get(url, params)
        assert resp.status_code == 200, (params, resp.content)
    assert api.get(url, {"filter[big]": "1e999999999"}).json()["data"][0]["id"] == "1"
    model = api.get(f"/api/models/{orders.public_id}").json()
    assert {f["name"]: f["type"] for f in model["fields"]}["big"] == "string"
    assert api.get(f"{url}/1").json()["data"]["big"] == "1e999999999"
    # Typed as a number by hand, the field is read through gather_num on PostgreSQL,
    # which overflowed on these texts: now they read as no number.
    assert api.post(url, data="id=4&big=7").status_code == 201
    resp = api.patch(f"/api/models/{orders.public_id}", json={"fields": {"big": "number"}})
    assert resp.status_code == 200, resp.content
    for params in ({"sort": "-big"}, {"filter[big][gte]": "1"}):
        resp = api.get(url, params)
        assert resp.status_code == 200, (params, resp.content)
    found = {r["id"] for r in api.get(url, {"filter[big][gte]": "1"}).json()["data"]}
    # '1e999999999' and '-1e400' read as no number; PostgreSQL's numeric holds the
    # 400-digit integer exactly, SQLite's double does not (documented).
    assert found - {"2"} == {"4"}
