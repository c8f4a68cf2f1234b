"""The OpenAPI document matches what the server does: schemathesis drives the WSGI app
with requests generated from the spec (models and records endpoints, bounded examples)."""

import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from gather.records.models import DataModel
from gather.records.services import record_upsert
from gather.wsgi import application
from tests.factories import make_key, make_model, make_team

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def wsgi_in_test_transaction(db):
    # As Django's test client does: the WSGI app must not close the test transaction's
    # connection at the end of each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schemathesis.serializer("application/x-ndjson")
def ndjson(ctx, value):
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, list):
        return b"\n".join(json.dumps(item, default=str).encode() for item in value)
    return json.dumps(value, default=str).encode()


@pytest.fixture
def team(db):
    return make_team("Schema Team")


@pytest.fixture
def key(team):
    return make_key(team)


def ensure_orders(team) -> None:
    """A model with a record, so generated requests reach records (a DELETE may drop it)."""
    if not DataModel.objects.filter(team=team, slug="orders").exists():
        model = make_model(team, "Orders", "id")
        record_upsert(team=team, model=model, payload={"id": "1234", "amount": "75"})


# Serving the document needs no database, so it loads at collection time.
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application).include(
    path_regex="^/api/models"
)


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_openapi_models_and_records_conform(case, team, key, wsgi_in_test_transaction):
    ensure_orders(team)
    if case.path_parameters and "model" in case.path_parameters:
        case.path_parameters["model"] = "orders"
    case.call_and_validate(headers={"Authorization": f"Token {key}"}, checks=CHECKS)


def test_openapi_documents_every_records_endpoint_with_examples_and_errors(db):
    from django.test import Client

    client = Client()
    assert client.get("/api/docs").status_code == 200
    paths = client.get("/api/openapi.json").json()["paths"]
    records = "/api/models/{model}/records"
    upsert = paths[records]["post"]
    assert {"200", "201", "400", "401", "404", "413", "415"} <= set(upsert["responses"])
    body = upsert["requestBody"]["content"]
    assert body["application/x-www-form-urlencoded"]["example"]["id"] == "1234"
    assert "example" in body["application/json"]
    batch = paths[records + "/batch"]["post"]
    assert {"200", "400", "401", "404", "413", "415"} <= set(batch["responses"])
    assert set(batch["requestBody"]["content"]) == {"application/json", "application/x-ndjson"}
    one = paths[records + "/{record_id}"]
    assert {"200", "401", "404"} <= set(one["get"]["responses"])
    assert {"204", "401", "404"} <= set(one["delete"]["responses"])
    assert {"get", "patch", "delete"} <= set(paths["/api/models/{model}"])
