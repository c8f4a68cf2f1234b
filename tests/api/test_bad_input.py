"""Bad input from issue 9: each answers the contract's error, stores nothing wrong, never 500s."""

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
