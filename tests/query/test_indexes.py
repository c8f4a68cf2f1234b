import pytest
from django.db import connection

from gather.query.engine import record_query
from gather.query.indexes import index_ensure, indexes_for_model
from gather.query.spec import spec_from_params
from gather.query.sql import PostgresSql, SqliteSql
from gather.records.services import model_delete


@pytest.mark.django_db(transaction=True)
def test_query_index_is_built_for_a_sorted_field_and_used_by_the_compiler(api, team, orders):
    url = f"/api/models/{orders.public_id}/records"
    for i in range(30):
        api.post(url, data=f"id={i}&amount={i * 7 % 13}")
    name = index_ensure(model_pk=orders.pk, field_name="amount", desc=True)
    assert name in indexes_for_model(model_pk=orders.pk)
    # the index's expression is the compiler's: the database picks it for the sort
    spec = spec_from_params({"sort": ["-amount"], "limit": ["5"]})
    page = record_query(team=team, model=orders, spec=spec)
    assert [r["data"]["amount"] for r in page["data"]] == ["12", "12", "11", "11", "10"]
    sql = PostgresSql() if connection.vendor == "postgresql" else SqliteSql()
    expr = sql.number("r.data", ("amount",))
    explain = "EXPLAIN" if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN"
    hint = f"INDEXED BY {name}" if connection.vendor == "sqlite" else ""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SET enable_seqscan = off")  # 30 rows: make the choice visible
        cur.execute(
            f"{explain} SELECT r.id FROM gather_record r {hint} WHERE r.model_id = {orders.pk} "
            f"ORDER BY {sql.order_term(expr, True)}, r.id DESC LIMIT 5"
        )
        plan = " ".join(str(row) for row in cur.fetchall())
    assert name in plan
    pk = orders.pk
    model_delete(team=team, model=orders)
    assert indexes_for_model(model_pk=pk) == []
