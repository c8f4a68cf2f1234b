"""Merge is atomic: concurrent writers of disjoint fields never lose each other's writes.

Eight clients, each with its own keep-alive connection, hammer the same 100 records of a
real `gather serve` (granian, several processes, so separate database
connections) at the same moment; afterwards every field of every write is in place.
"""

import random
import threading

import httpx
import pytest

from gather.records.models import Record
from tests.e2e.conftest import start_server, stop_server
from tests.factories import make_key, make_model, make_team

WRITERS = 8
RECORDS = 100


@pytest.fixture
def live(transactional_db, tmp_path):
    team = make_team("Concurrent")
    model = make_model(team, "Orders", "id")
    key = make_key(team)
    server = start_server(tmp_path)
    yield server, model, key
    stop_server(server)


def writer(base, key, model_id, n, barrier, failures):
    keys = list(range(RECORDS))
    random.Random(n).shuffle(keys)
    headers = {"Authorization": f"Token {key}"}
    url = f"/api/models/{model_id}/records"
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
        barrier.wait()
        if n % 2 == 0:
            # single upserts, form-encoded like the guide
            for k in keys:
                resp = client.post(url, data={"id": str(k), f"w{n}": f"{n}-{k}"})
                if resp.status_code not in (200, 201):
                    failures.append((n, k, resp.status_code, resp.text))
        else:
            # batches of 10, each item a partial record
            for start in range(0, RECORDS, 10):
                items = [{"id": str(k), f"w{n}": f"{n}-{k}"} for k in keys[start : start + 10]]
                resp = client.post(url + "/batch", json=items)
                if resp.status_code != 200 or resp.json()["failed"]:
                    failures.append((n, start, resp.status_code, resp.text))


def test_concurrent_writers_of_disjoint_fields_lose_nothing(live):
    server, model, key = live
    barrier = threading.Barrier(WRITERS)
    failures: list = []
    threads = [
        threading.Thread(
            target=writer, args=(server.base, key, model.public_id, n, barrier, failures)
        )
        for n in range(WRITERS)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not failures, failures[:5]
    stored = {r.key: r.data for r in Record.objects.filter(model=model)}
    assert len(stored) == RECORDS
    for k in range(RECORDS):
        expected = {"id": str(k), **{f"w{n}": f"{n}-{k}" for n in range(WRITERS)}}
        assert stored[str(k)] == expected, (k, stored[str(k)])
    # What the server acknowledged is what a fresh read returns.
    with httpx.Client(base_url=server.base, headers={"Authorization": f"Token {key}"}) as c:
        assert c.get(f"/api/models/{model.public_id}/records/7").json()["data"] == {
            "id": "7",
            **{f"w{n}": f"{n}-7" for n in range(WRITERS)},
        }
