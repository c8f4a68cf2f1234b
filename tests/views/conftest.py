import pytest

from gather.query import indexes
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


@pytest.fixture(autouse=True)
def forget_query_indexes():
    """The query engine remembers which indexes it built for the life of the process; a
    test database rolled back (or flushed) by an earlier test may no longer have them, and
    reuses model and field ids. Start each test from what the database really holds."""
    indexes._built.clear()
    indexes._known.clear()


@pytest.fixture
def orders_with_records(team, orders):
    for payload in ORDERS:
        record_upsert(team=team, model=orders, payload=dict(payload))
    return orders
