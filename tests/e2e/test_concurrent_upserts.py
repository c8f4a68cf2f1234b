"""Merge is atomic: concurrent writers of disjoint fields never lose each other's writes.

Eight client threads, each with its own keep-alive connection, hit a real `gather serve`
(several worker processes, each with its own database connection) at the same time.
"""

import threading

import httpx
import pytest

from gather.records.models import Record
from tests.factories import make_key, make_model, make_team

pytestmark = pytest.mark.slow

WRITERS = 8
RECORDS = 100


def run_writers(target) -> None:
    barrier = threading.Barrier(WRITERS)
    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            target(n)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, errors


def assert_every_field_kept(model) -> None:
    rows = dict(Record.objects.filter(model=model).values_list("key", "data"))
    assert len(rows) == RECORDS
    for i in range(RECORDS):
        expected = {"id": str(i), **{f"w{n}": f"{n}:{i}" for n in range(WRITERS)}}
        assert rows[str(i)] == expected, (i, rows[str(i)])


def test_concurrent_single_upserts_keep_every_field(gather_server):
    team = make_team("Concurrency")
    key = make_key(team)
    model = make_model(team, "Orders", "id")
    url = f"{gather_server.base}/api/models/{model.public_id}/records"

    def write(n: int) -> None:
        with httpx.Client(headers={"Authorization": f"Token {key}"}, timeout=60) as client:
            for i in range(RECORDS):
                resp = client.post(url, data={"id": str(i), f"w{n}": f"{n}:{i}"})
                assert resp.status_code in (200, 201), resp.text

    run_writers(write)
    assert_every_field_kept(model)


def test_concurrent_batches_keep_every_field(gather_server):
    team = make_team("Concurrency batches")
    key = make_key(team)
    model = make_model(team, "Orders", "id")
    url = f"{gather_server.base}/api/models/{model.public_id}/records/batch"

    def write(n: int) -> None:
        with httpx.Client(headers={"Authorization": f"Token {key}"}, timeout=60) as client:
            # several overlapping batches per writer, in a writer-specific order
            for chunk in range(0, RECORDS, 25):
                ids = [(i + n * 13) % RECORDS for i in range(chunk, chunk + 25)]
                items = [{"id": str(i), f"w{n}": f"{n}:{i}"} for i in ids]
                resp = client.post(url, json=items)
                assert resp.status_code == 200, resp.text
                assert resp.json()["failed"] == 0

    run_writers(write)
    assert_every_field_kept(model)


def test_concurrent_batches_in_opposite_orders_never_fail(gather_server):
    """Batches touching the same rows in different orders must not deadlock each other."""
    import random

    team = make_team("Concurrency orders")
    key = make_key(team)
    model = make_model(team, "Orders", "id")
    url = f"{gather_server.base}/api/models/{model.public_id}/records/batch"

    def write(n: int) -> None:
        order = list(range(RECORDS))
        random.Random(n).shuffle(order)
        with httpx.Client(headers={"Authorization": f"Token {key}"}, timeout=60) as client:
            for _ in range(5):
                items = [{"id": str(i), f"w{n}": f"{n}:{i}"} for i in order]
                resp = client.post(url, json=items)
                assert resp.status_code == 200, resp.text
                assert resp.json()["failed"] == 0

    run_writers(write)
    assert_every_field_kept(model)
