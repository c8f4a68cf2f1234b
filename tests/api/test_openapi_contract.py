"""The OpenAPI document matches the server: schemathesis drives every models/records
operation through the WSGI app with generated (bounded) inputs and checks there is never
a 5xx, and that status codes, content types and bodies conform to the document."""

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

from gather.wsgi import application
from tests.factories import make_key, make_model, make_team

# The batch endpoint's NDJSON body is text (the document types it as a string).
schemathesis.serializer.alias("application/x-ndjson", "text/plain")

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application).include(
    path_regex=r"^/api/models"
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def tenant(db):
    # Requests go through the WSGI app in this process, inside the test's transaction:
    # keep Django from closing the connection at the end of each request (as its own
    # test client does).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    team = make_team("Contract")
    yield make_key(team), make_model(team, "Orders", "id")
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_openapi_document_lists_every_records_endpoint(client):
    doc = client.get("/api/openapi.json").json()
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


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_openapi_contract(case, tenant):
    key, model = tenant
    if "model" in (case.path_parameters or {}):
        # Aim most requests at a real model so they reach the handlers, not only 404.
        case.path_parameters["model"] = model.public_id
    case.call_and_validate(headers={"Authorization": f"Token {key}"}, checks=CHECKS)
