"""Bad input gets the contract's JSON error with a fitting status, never a 500."""

import orjson
import pytest
from django.test import Client

from gather.accounts.models import ApiKey
from gather.accounts.services import apikey_revoke
from gather.records.models import Record
from tests.conftest import ApiClient
from tests.factories import make_key


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


def test_missing_id_field_is_400_naming_it(api, orders):
    assert_error(api.post(records_url(orders), data="amount=5"), 400, "id_field_missing", "id")


@pytest.mark.parametrize("value", ["", "   ", None, True, [1], {"a": 1}, 1.5])
def test_id_field_empty_or_not_scalar_is_400(api, orders, value):
    resp = api.post(records_url(orders), json={"id": value})
    assert_error(resp, 400, "id_field_invalid", "id")
    assert not Record.objects.filter(model=orders).exists()


def test_id_field_empty_form_value_is_400(api, orders):
    assert_error(api.post(records_url(orders), data="id=&a=1"), 400, "id_field_invalid", "id")


def test_malformed_json_record_is_400(api, orders):
    resp = api.post(records_url(orders), data=b'{"id": ', content_type="application/json")
    error = assert_error(resp, 400, "invalid_json")
    assert "not valid JSON" in error["message"]


def test_malformed_json_on_models_endpoint_is_clear(api):
    resp = api.post("/api/models", data=b'{"name": ', content_type="application/json")
    error = assert_error(resp, 400, "invalid_json")
    assert "not valid JSON" in error["message"]


def test_json_record_must_be_an_object(api, orders):
    resp = api.post(records_url(orders), data=b"[1, 2]", content_type="application/json")
    assert_error(resp, 400, "invalid_record")


def test_unsupported_content_type_is_415(api, orders):
    resp = api.post(records_url(orders), data=b"id=1", content_type="text/plain")
    assert_error(resp, 415, "unsupported_media_type")


def test_record_body_over_1_mib_is_413(api, orders):
    resp = api.post(records_url(orders), json={"id": "1", "blob": "x" * (1024 * 1024)})
    assert_error(resp, 413, "too_large")
    assert not Record.objects.filter(model=orders).exists()


def test_unknown_model_is_404(api):
    assert_error(api.post("/api/models/nope/records", json={"id": "1"}), 404, "model_not_found")
    assert_error(api.get("/api/models/nope"), 404, "model_not_found")


def test_unknown_record_is_404(api, orders):
    assert_error(api.get(f"{records_url(orders)}/missing"), 404, "record_not_found")
    assert_error(api.delete(f"{records_url(orders)}/missing"), 404)


@pytest.mark.parametrize(
    "name",
    [
        "it's",
        "'); DROP TABLE gather_record; --",
        "a' || '",
        "\u00e9t\u00e9 \U0001f600",
        "$path",
        "{}",
        "x" * 200,
    ],
)
def test_hostile_field_names_are_stored_verbatim(api, orders, name):
    resp = api.post(records_url(orders), json={"id": "h", name: "v"})
    assert resp.status_code == 201, resp.content
    assert Record.objects.get(model=orders, key="h").data == {"id": "h", name: "v"}
    names = [f["name"] for f in api.get(f"/api/models/{orders.public_id}").json()["fields"]]
    assert name in names


@pytest.mark.parametrize("name", ["", 'say "hi"', "a.b", "x" * 10_000, "bad\x00name", "meta]"])
def test_unstorable_field_names_are_rejected(api, orders, name):
    resp = api.post(records_url(orders), json={"id": "h", name: "v"})
    assert resp.status_code in (400, 422), resp.content
    assert resp.json()["error"]["code"] in ("invalid_field_name", "invalid")
    assert not Record.objects.filter(model=orders).exists()


def test_hostile_record_ids_are_plain_keys(api, orders):
    key = "1' OR '1'='1"
    assert api.post(records_url(orders), json={"id": key}).status_code == 201
    assert api.post(records_url(orders), json={"id": "2"}).status_code == 201
    from urllib.parse import quote

    assert api.get(f"{records_url(orders)}/{quote(key)}").json()["id"] == key
    assert Record.objects.filter(model=orders).count() == 2


def test_missing_key_is_401(orders):
    resp = Client().post(
        records_url(orders), "id=1", content_type="application/x-www-form-urlencoded"
    )
    assert_error(resp, 401, "unauthorized")


@pytest.mark.parametrize(
    "header", ["Token", "Token ", "Bearer gth_wrong", "gth_x", "Token " + "x" * 500]
)
def test_invalid_key_is_401(orders, header):
    resp = Client().get(records_url(orders), headers={"authorization": header})
    assert_error(resp, 401, "unauthorized")


def test_bearer_scheme_is_accepted(team, orders):
    resp = Client().get(records_url(orders), headers={"authorization": f"Bearer {make_key(team)}"})
    assert resp.status_code == 200


def test_revoked_key_is_401_at_once(team, orders):
    secret = make_key(team)
    client = ApiClient(secret)
    assert client.post(records_url(orders), json={"id": "1"}).status_code == 201
    key = ApiKey.objects.get(team=team, prefix=secret[:10])
    apikey_revoke(team=team, key_id=key.pk)
    assert_error(client.post(records_url(orders), json={"id": "2"}), 401, "unauthorized")
    assert_error(client.get(f"{records_url(orders)}/1"), 401, "unauthorized")


def test_form_values_nest_with_brackets(api, orders):
    resp = api.post(records_url(orders), data="id=1&meta[plan]=pro&tags[]=a&tags[]=b")
    assert resp.status_code == 201
    assert resp.json()["data"] == {"id": "1", "meta": {"plan": "pro"}, "tags": ["a", "b"]}


def test_non_finite_numbers_are_rejected(api, orders):
    resp = api.post(
        records_url(orders), data=b'{"id": "1", "a": NaN}', content_type="application/json"
    )
    assert_error(resp, 400)
    assert orjson.loads(resp.content)["error"]["code"] in ("invalid_json", "invalid")
