"""Every record ID the API accepts can be read and deleted again: percent-encoded in the
path, an ID may hold slashes, spaces, question marks, dots, any text (issue 9 item 11,
docs/decisions/013-record-ids-in-paths.md)."""

from urllib.parse import quote

import httpx
import pytest

from tests.e2e.conftest import start_server, stop_server
from tests.factories import make_key, make_model, make_team

IDS = [
    "a/b",
    "/leading",
    "trailing/",
    "a//b",
    "a%2Fb",
    "a?b#c&d=e",
    "with space",
    "café ✓",
    "batch",
    "query",
    "batch/x",
    ".",
    "..",
    "a/../b",
]


def encoded(record_id: str) -> str:
    """The ID as one path segment: every byte outside the unreserved set escaped, and the
    dots of "." and ".." too (clients resolve those segments before sending)."""
    if record_id in (".", ".."):
        return "%2E" * len(record_id)
    return quote(record_id, safe="")


@pytest.mark.parametrize("record_id", IDS)
def test_record_ids_with_any_characters_read_and_delete(api, other_api, orders, record_id):
    base = f"/api/models/{orders.public_id}/records"
    created = api.post(base, json={"id": record_id, "amount": 5})
    assert created.status_code == 201, created.content
    assert created.json()["id"] == record_id

    url = f"{base}/{encoded(record_id)}"
    got = api.get(url)
    assert got.status_code == 200, got.content
    assert got.json()["id"] == record_id
    assert got.json()["data"] == {"id": record_id, "amount": 5}
    # Another team's key sees nothing there.
    assert other_api.get(url).json()["error"]["code"] == "model_not_found"

    assert api.delete(url).status_code == 204
    gone = api.get(url)
    assert gone.status_code == 404
    assert gone.json()["error"]["code"] == "record_not_found"


def test_record_id_routes_keep_the_batch_and_query_endpoints(api, orders):
    base = f"/api/models/{orders.public_id}/records"
    batch = api.post(f"{base}/batch", json=[{"id": "batch"}, {"id": "x/y"}])
    assert batch.status_code == 200, batch.content
    assert [r["status"] for r in batch.json()["results"]] == [201, 201]
    query = api.post(f"{base}/query", json={"filter": [{"field": "id", "value": "x/y"}]})
    assert query.status_code == 200, query.content
    assert [r["id"] for r in query.json()["data"]] == ["x/y"]
    assert api.get(f"{base}/batch").json()["id"] == "batch"
    missing = api.get(f"{base}/query")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "record_not_found"


def test_record_ids_with_slashes_over_real_http(transactional_db, tmp_path):
    """Through granian, which decodes %2F before Django routes the path."""
    team = make_team("Slashes")
    key = make_key(team)
    model = make_model(team, "Orders", "id")
    server = start_server(tmp_path)
    try:
        headers = {"Authorization": f"Token {key}"}
        base = f"{server.base}/api/models/{model.public_id}/records"
        with httpx.Client(headers=headers, timeout=10) as client:
            for record_id in ("a/b", "/leading", "trailing/", "a%2Fb", "a?b", "..", "batch"):
                created = client.post(base, json={"id": record_id})
                assert created.status_code == 201, created.text
                url = f"{base}/{encoded(record_id)}"
                got = client.get(url)
                assert got.status_code == 200, (record_id, got.text)
                assert got.json()["id"] == record_id
                assert client.delete(url).status_code == 204, record_id
                assert client.get(url).status_code == 404, record_id
    finally:
        stop_server(server)
