"""Rollups stay exact under concurrent writers: orders moved between accounts, changed
and deleted by several clients of a real `gather serve` (several processes, separate
database connections) at once; afterwards every account's rollups equal the aggregates
of the orders as they are."""

import random
import threading
from decimal import Decimal

import httpx
import pytest

from gather.records.links import model_links_set
from gather.records.models import Record
from gather.records.rollups import model_rollups_set
from gather.records.selectors import model_get
from tests.e2e.conftest import start_server, stop_server
from tests.factories import make_key, make_model, make_team

WRITERS = 6
ROUNDS = 25
ORDERS = 12
ACCOUNTS = ["a", "b", "c"]


@pytest.fixture
def live(transactional_db, tmp_path):
    team = make_team("Concurrent rollups")
    orders = make_model(team, "Orders", "id")
    model_links_set(team=team, model=orders, links={"account_id": {"model": "account"}})
    over = {"model": orders.public_id, "link": "account"}
    model_rollups_set(
        team=team,
        model=model_get(team=team, ref="account"),
        rollups={
            "n": {**over, "fn": "count"},
            "revenue": {**over, "fn": "sum", "field": "amount"},
            "top": {**over, "fn": "max", "field": "amount"},
        },
    )
    key = make_key(team)
    server = start_server(tmp_path)
    yield server, orders, key
    stop_server(server)


def writer(base, key, model_id, n, barrier, failures):
    rng = random.Random(n)
    url = f"/api/models/{model_id}/records"
    with httpx.Client(base_url=base, headers={"Authorization": f"Token {key}"}, timeout=60) as c:
        barrier.wait()
        for _ in range(ROUNDS):
            roll = rng.random()
            if roll < 0.5:
                body = {"id": str(rng.randrange(ORDERS)), "account_id": rng.choice(ACCOUNTS)}
                if rng.random() < 0.7:
                    body["amount"] = rng.randrange(1, 100)
                resp = c.post(url, json=body)
                ok = resp.status_code in (200, 201)
            elif roll < 0.85:
                items = [
                    {
                        "id": str(rng.randrange(ORDERS)),
                        "account_id": rng.choice(ACCOUNTS),
                        "amount": rng.randrange(1, 100),
                    }
                    for _ in range(4)
                ]
                resp = c.post(f"{url}/batch", json=items)
                ok = resp.status_code == 200 and not resp.json()["failed"]
            else:
                resp = c.delete(f"{url}/{rng.randrange(ORDERS)}")
                ok = resp.status_code in (204, 404)
            if not ok:
                failures.append((n, resp.status_code, resp.text))


def test_concurrent_writers_keep_rollups_exact(live):
    server, orders, key = live
    barrier = threading.Barrier(WRITERS)
    failures: list = []
    threads = [
        threading.Thread(
            target=writer, args=(server.base, key, orders.public_id, n, barrier, failures)
        )
        for n in range(WRITERS)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not failures, failures[:5]
    stored = [r.data for r in Record.objects.filter(model=orders)]
    with httpx.Client(base_url=server.base, headers={"Authorization": f"Token {key}"}) as c:
        for account in ACCOUNTS:
            c.post("/api/models/account/records", json={"id": account})
            got = c.get(f"/api/models/account/records/{account}").json()["rollups"]
            mine = [d for d in stored if d.get("account_id") == account]
            amounts = [Decimal(d["amount"]) for d in mine if d.get("amount") is not None]
            want = {
                "n": len(mine),
                "revenue": sum(amounts) if amounts else None,
                "top": max(amounts) if amounts else None,
            }
            assert got == want, (account, got, want)
