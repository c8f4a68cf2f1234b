import pytest

from gather.records.services import record_upsert

ORDERS = [
    {"id": "1001", "amount": 75, "status": "paid", "customer": "Ada Lovelace",
     "meta": {"plan": "pro"}},
    {"id": "1002", "amount": 250, "status": "paid", "customer": "Alan Turing",
     "meta": {"plan": "free"}},
    {"id": "1003", "amount": 990, "status": "refunded", "customer": "Grace Hopper"},
    {"id": "1004", "amount": 15, "status": "failed", "customer": "Edsger Dijkstra"},
    {"id": "1005", "amount": 500, "status": "paid", "customer": "Barbara Liskov"},
]  # fmt: skip


@pytest.fixture
def orders_with_records(team, orders):
    for payload in ORDERS:
        record_upsert(team=team, model=orders, payload=dict(payload))
    return orders
