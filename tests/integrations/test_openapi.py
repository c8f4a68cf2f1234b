from django.test import Client


def test_openapi_lists_integration_endpoints_and_their_errors(db):
    spec = Client().get("/api/openapi.json").json()
    paths = spec["paths"]
    assert "/api/integrations" in paths
    tasks = paths["/api/integrations/{integration}/tasks/{task}"]
    assert set(tasks) == {"get", "delete"}
    connect = paths["/api/integrations"]["post"]["responses"]
    assert {"201", "401", "422", "502"} <= set(connect)
