"""The records API of the contract, through real URLs with a real key."""

from urllib.parse import urlencode

import orjson
import pytest

from gather.records.models import Record


def url(model, suffix=""):
    return f"/api/models/{model.public_id}/records{suffix}"


def test_record_upsert_json_creates_then_merges(api, orders):
    first = api.post(url(orders), json={"id": 1234, "amount": 75, "meta": {"plan": "pro"}})
    assert first.status_code == 201
    assert first.json()["id"] == "1234"
    second = api.post(url(orders), json={"id": "1234", "status": "paid"})
    assert second.status_code == 200
    assert second.json()["data"] == {
        "id": "1234",
        "amount": 75,
        "meta": {"plan": "pro"},
        "status": "paid",
    }


def test_record_upsert_form_bracket_keys_nest(api, orders):
    body = urlencode([("id", "7"), ("meta[plan]", "pro"), ("tags[]", "a"), ("tags[]", "b")])
    resp = api.post(url(orders), data=body)
    assert resp.status_code == 201, resp.content
    assert resp.json()["data"] == {"id": "7", "meta": {"plan": "pro"}, "tags": ["a", "b"]}


def test_record_merge_nested_object_replaced_whole_and_null_stored(api, orders):
    api.post(url(orders), json={"id": "m", "a": 1, "n": {"x": 1, "y": 2}, "z": 5})
    api.post(url(orders), json={"id": "m", "n": {"x": 9}, "z": None})
    stored = api.get(url(orders, "/m")).json()["data"]
    assert stored == {"id": "m", "a": 1, "n": {"x": 9}, "z": None}
    assert Record.objects.get(model=orders, key="m").data == stored


def test_record_form_amount_sorts_and_filters_as_number(api, orders):
    for amount in ("75", "100", "9"):
        resp = api.post(url(orders), data=urlencode({"id": f"o{amount}", "amount": amount}))
        assert resp.status_code == 201
    page = api.get(url(orders), {"sort": "amount"}).json()
    assert [r["data"]["amount"] for r in page["data"]] == ["9", "75", "100"]
    page = api.get(url(orders), {"filter[amount][gt]": "50"}).json()
    assert sorted(r["data"]["amount"] for r in page["data"]) == ["100", "75"]
    fields = {
        f["name"]: f["type"] for f in api.get(f"/api/models/{orders.public_id}").json()["fields"]
    }
    assert fields == {"id": "string", "amount": "number"}
    assert {r["id"] for r in page["data"]} == {"o75", "o100"}


def test_record_field_type_edit_changes_sorting(api, orders):
    for amount in ("75", "100", "9"):
        api.post(url(orders), data=urlencode({"id": f"o{amount}", "amount": amount}))
    resp = api.patch(f"/api/models/{orders.public_id}", {"fields": {"amount": "string"}})
    assert resp.status_code == 200
    assert {"name": "amount", "type": "string"} in resp.json()["fields"]
    page = api.get(url(orders), {"sort": "amount"}).json()
    assert [r["data"]["amount"] for r in page["data"]] == ["100", "75", "9"]
    # A later numeric value does not undo the user's choice.
    api.post(url(orders), data="id=o5&amount=5")
    fields = api.get(f"/api/models/{orders.public_id}").json()["fields"]
    assert {"name": "amount", "type": "string"} in fields


def test_record_field_type_edit_rejects_unknown_type_and_id_field(api, orders):
    api.post(url(orders), json={"id": "1", "amount": 3})
    bad = api.patch(f"/api/models/{orders.public_id}", {"fields": {"amount": "money"}})
    assert bad.status_code == 422
    assert bad.json()["error"]["field"] == "type"
    key = api.patch(f"/api/models/{orders.public_id}", {"fields": {"id": "number"}})
    assert key.status_code == 422


def test_record_get_and_delete(api, orders):
    api.post(url(orders), json={"id": "g1", "a": 1})
    got = api.get(url(orders, "/g1"))
    assert got.status_code == 200
    assert got.json()["data"] == {"id": "g1", "a": 1}
    assert api.delete(url(orders, "/g1")).status_code == 204
    missing = api.get(url(orders, "/g1"))
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "record_not_found"
    assert api.delete(url(orders, "/g1")).status_code == 404


def test_record_list_cursor_pagination_visits_every_record_once(api, orders):
    items = [{"id": str(i), "n": i} for i in range(7)]
    assert api.post(url(orders, "/batch"), json=items).status_code == 200
    seen, cursor = [], None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = api.get(url(orders), params).json()
        seen += [r["id"] for r in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen, key=int) == [str(i) for i in range(7)]


def test_record_list_bad_cursor_is_400(api, orders):
    resp = api.get(url(orders), {"cursor": "!!not-a-cursor"})
    assert resp.status_code in (400, 422)
    assert "error" in resp.json()


# -- bad input: the contract's JSON error, never a 500 ------------------------------------


@pytest.mark.parametrize("value", ["", "   ", None, True, {"a": 1}, [1], 1.5], ids=repr)
def test_record_id_field_empty_or_not_scalar_is_400(api, orders, value):
    resp = api.post(url(orders), json={"id": value, "amount": 1})
    assert resp.status_code == 400, resp.content
    assert resp.json()["error"]["code"] == "id_field_invalid"
    assert resp.json()["error"]["field"] == "id"
    assert not Record.objects.filter(model=orders).exists()


def test_record_form_empty_id_is_400(api, orders):
    resp = api.post(url(orders), data="id=&amount=3")
    assert resp.status_code == 400
    assert resp.json()["error"]["field"] == "id"


@pytest.mark.parametrize(
    "body",
    [b"{", b'{"id": 1,}', b"\xff\xfe", b'{"id": NaN}', b'{"id": "1", "x": Infinity}'],
    ids=repr,
)
def test_record_malformed_json_is_400(api, orders, body):
    resp = api.post(url(orders), data=body, content_type="application/json")
    assert resp.status_code == 400, resp.content
    assert resp.json()["error"]["code"] in ("invalid_json", "invalid")


@pytest.mark.parametrize("body", [b"[]", b'"text"', b"12", b"null"], ids=repr)
def test_record_json_not_an_object_is_400(api, orders, body):
    resp = api.post(url(orders), data=body, content_type="application/json")
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "invalid_record"


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", ""])
def test_record_unsupported_content_type_is_415(api, orders, content_type):
    resp = api.client.post(
        url(orders),
        b'{"id": "1"}',
        content_type=content_type,
        headers={"authorization": f"Token {api.key}"},
    )
    assert resp.status_code == 415
    assert resp.json()["error"]["code"] == "unsupported_media_type"


def test_record_body_over_1_mib_is_413(api, orders):
    body = orjson.dumps({"id": "big", "blob": "x" * (1024 * 1024)})
    resp = api.post(url(orders), data=body, content_type="application/json")
    assert resp.status_code == 413
    assert resp.json()["error"]["code"] == "too_large"
    assert not Record.objects.filter(model=orders).exists()


def test_record_body_just_under_1_mib_is_stored(api, orders):
    body = orjson.dumps({"id": "big", "blob": "x" * (1024 * 1024 - 100)})
    resp = api.post(url(orders), data=body, content_type="application/json")
    assert resp.status_code == 201


def test_record_batch_body_over_16_mib_is_413(api, orders):
    item = {"id": "x", "blob": "y" * 4000}
    items = [dict(item, id=str(i)) for i in range(4300)]  # about 17 MB
    body = orjson.dumps(items)
    assert len(body) > 16 * 1024 * 1024
    resp = api.post(url(orders, "/batch"), data=body, content_type="application/json")
    assert resp.status_code == 413
    assert resp.json()["error"]["code"] == "too_large"
    assert not Record.objects.filter(model=orders).exists()


def test_record_batch_ndjson_over_10000_records_is_413(api, orders):
    body = b"\n".join(orjson.dumps({"id": str(i)}) for i in range(10_001))
    resp = api.post(url(orders, "/batch"), data=body, content_type="application/x-ndjson")
    assert resp.status_code == 413
    assert not Record.objects.filter(model=orders).exists()


def test_record_batch_duplicates_apply_in_order(api, orders):
    items = [
        {"id": "d", "a": 1, "n": {"x": 1}},
        {"id": "d", "a": 2, "b": 1},
        {"id": "d", "n": {"y": 2}, "b": None},
    ]
    resp = api.post(url(orders, "/batch"), json=items)
    assert resp.status_code == 200
    assert [r["status"] for r in resp.json()["results"]] == [201, 200, 200]
    assert api.get(url(orders, "/d")).json()["data"] == {
        "id": "d",
        "a": 2,
        "b": None,
        "n": {"y": 2},
    }


@pytest.mark.parametrize(
    "path",
    [
        "/api/models/nope/records",
        "/api/models/nope/records/batch",
        "/api/models/nope/records/1",
    ],
)
def test_record_unknown_model_is_404(api, path):
    if path.endswith("/1"):
        resp = api.get(path)
    else:
        resp = api.post(path, json=[{"id": "1"}] if path.endswith("batch") else {"id": "1"})
    assert resp.status_code == 404
    assert resp.json()["error"]["code"] == "model_not_found"


HOSTILE_STORED = [
    "it's",
    "'); DROP TABLE gather_record; --",
    "x' OR '1'='1",
    "名前",
    "emoji 🧾",
    "$path",
    "%s%s",
    "?",
    "slash/name",
    " spaced ",
]


@pytest.mark.parametrize("name", HOSTILE_STORED, ids=repr)
def test_record_hostile_field_names_are_stored_verbatim(api, orders, name):
    resp = api.post(url(orders), json={"id": "h", name: "v", "amount": 1})
    assert resp.status_code == 201, resp.content
    assert api.get(url(orders, "/h")).json()["data"][name] == "v"
    # Form-encoded too, and the catalogue lists the name as sent.
    form = api.post(url(orders), data=urlencode({"id": "h2", name: "5"}))
    assert form.status_code == 201, form.content
    names = {f["name"] for f in api.get(f"/api/models/{orders.public_id}").json()["fields"]}
    assert name in names
    assert Record.objects.filter(model=orders).count() == 2


@pytest.mark.parametrize(
    "name",
    ["", "a.b", "$.path", "a[0]", 'say "hi"', "back\\slash", "x" * 10_000, "tab\there", "nul\x00"],
    ids=lambda n: repr(n)[:20],
)
def test_record_unstorable_field_names_are_rejected(api, orders, name):
    resp = api.post(url(orders), json={"id": "h", name: "v"})
    assert resp.status_code in (400, 422), resp.content
    assert resp.json()["error"]["code"] in ("invalid_field_name", "invalid")
    assert not Record.objects.filter(model=orders).exists()


def test_record_hostile_id_values_are_plain_keys(api, orders):
    for key in ["'; DROP TABLE gather_record; --", "a/b", "%", "名前", "x" * 512]:
        resp = api.post(url(orders), json={"id": key})
        assert resp.status_code == 201, resp.content
        assert resp.json()["id"] == key
    assert api.post(url(orders), json={"id": "x" * 513}).status_code == 400
    assert Record.objects.filter(model=orders).count() == 5
