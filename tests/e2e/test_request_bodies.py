"""Request bodies as a real server (granian) hands them to Django: chunked uploads
(Transfer-Encoding: chunked, no Content-Length) are read like any other body."""

import httpx
import orjson
import pytest

from gather.records.models import Record
from tests.factories import make_key, make_model, make_team

pytestmark = pytest.mark.slow


def chunks(body: bytes, size: int = 7):
    for start in range(0, len(body), size):
        yield body[start : start + size]


def test_chunked_bodies_are_read(gather_server):
    team = make_team("Acme")
    key = make_key(team)
    orders = make_model(team, "Orders", "id")
    base = f"{gather_server.base}/api/models/{orders.public_id}/records"
    headers = {"Authorization": f"Token {key}", "Content-Type": "application/json"}
    with httpx.Client(timeout=30) as client:
        body = orjson.dumps({"id": "1", "amount": 75, "note": "sent in chunks"})
        request = client.build_request("POST", base, headers=headers, content=chunks(body))
        assert request.headers["transfer-encoding"] == "chunked"
        assert "content-length" not in request.headers
        resp = client.send(request)
        assert resp.status_code == 201, resp.text
        assert resp.json()["data"] == {"id": "1", "amount": 75, "note": "sent in chunks"}

        form = {**headers, "Content-Type": "application/x-www-form-urlencoded"}
        resp = client.post(base, headers=form, content=chunks(b"id=2&amount=5"))
        assert resp.status_code == 201, resp.text

        lines = b'{"id": "3"}\n{"id": "4"}\n'
        ndjson = {**headers, "Content-Type": "application/x-ndjson"}
        resp = client.post(f"{base}/batch", headers=ndjson, content=chunks(lines))
        assert resp.status_code == 200, resp.text
        assert resp.json()["created"] == 2

        # The limits hold without a Content-Length: a record body over 1 MiB is 413.
        big = orjson.dumps({"id": "5", "blob": "x" * (1024 * 1024 + 10)})
        resp = client.post(base, headers=headers, content=chunks(big, 64 * 1024))
        assert resp.status_code == 413, resp.text
        assert resp.json()["error"]["code"] == "too_large"
    assert set(Record.objects.filter(model=orders).values_list("key", flat=True)) == {
        "1",
        "2",
        "3",
        "4",
    }


def test_multipart_bodies_are_415_on_a_real_server(gather_server):
    team = make_team("Acme")
    key = make_key(team)
    orders = make_model(team, "Orders", "id")
    resp = httpx.post(
        f"{gather_server.base}/api/models/{orders.public_id}/records",
        headers={"Authorization": f"Token {key}"},
        files={"file": ("a.txt", b"hello")},
        data={"id": "1"},
        timeout=30,
    )
    assert resp.status_code == 415, resp.text
    assert resp.json()["error"]["code"] == "unsupported_media_type"


def test_concurrent_first_writes_of_the_same_new_fields_all_succeed(gather_server):
    """Writers bringing the same new fields in different orders register them together
    (one statement each, one writer at a time per model): no deadlock, no duplicate, and
    the cap counts what is committed."""
    import random
    import threading

    from gather.records.models import Field

    team = make_team("Acme")
    key = make_key(team)
    orders = make_model(team, "Orders", "id")
    url = f"{gather_server.base}/api/models/{orders.public_id}/records"
    headers = {"Authorization": f"Token {key}"}
    names = [f"f{n}" for n in range(300)]
    barrier = threading.Barrier(6)
    statuses: list[int] = []

    def write(n: int) -> None:
        order = names[:]
        random.Random(n).shuffle(order)
        record = {"id": str(n), **{name: n for name in order}}
        with httpx.Client(timeout=60) as client:
            barrier.wait(timeout=30)
            statuses.append(client.post(url, headers=headers, json=record).status_code)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert statuses == [201] * 6
    assert Field.objects.filter(model=orders).count() == 301
    assert Record.objects.filter(model=orders).count() == 6
