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


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("desc", [False, True])
def test_cursor_pages_follow_the_sort_with_empties_last_and_seek_the_index(api, team, orders, desc):
    from django.test.utils import CaptureQueriesContext

    url = f"/api/models/{orders.public_id}/records"
    amounts = {}
    for i in range(40):
        amount = None if i % 5 == 0 else i * 7 % 11  # ties, and empty values
        amounts[str(i)] = amount
        api.post(url, json={"id": str(i)} if amount is None else {"id": str(i), "amount": amount})
    index_ensure(model_pk=orders.pk, field_name="amount", desc=desc)
    present = sorted(
        (k for k, v in amounts.items() if v is not None),
        key=lambda k: (-amounts[k] if desc else amounts[k], -int(k)),
    )
    expected = present + sorted((k for k, v in amounts.items() if v is None), key=lambda k: -int(k))

    seen, cursor, pages = [], None, 0
    with CaptureQueriesContext(connection) as queries:
        while True:
            params = {"sort": ["-amount" if desc else "amount"], "limit": ["3"]}
            if cursor:
                params["cursor"] = [cursor]
            page = record_query(team=team, model=orders, spec=spec_from_params(params))
            seen += [r["id"] for r in page["data"]]
            cursor, pages = page["next_cursor"], pages + 1
            if not cursor:
                break
            assert pages < 30
    assert seen == expected

    if connection.vendor == "postgresql":
        # A page after a cursor with a value seeks the sort index from that value.
        sql = next(q["sql"] for q in queries.captured_queries if "UNION ALL" in q["sql"])
        with connection.cursor() as cur:
            cur.execute("SET enable_seqscan = off")  # 40 rows: make the choice visible
            cur.execute("SET enable_bitmapscan = off")
            cur.execute(f"EXPLAIN {sql}")
            plan = "\n".join(row[0] for row in cur.fetchall())
        bound = "<=" if desc else ">="
        assert any("Index Cond" in line and bound in line for line in plan.splitlines()), plan


@pytest.mark.django_db(transaction=True)
def test_model_delete_drops_only_its_own_indexes_and_statistics(api, team, orders):
    url = f"/api/models/{orders.public_id}/records"
    for i in range(20):
        api.post(url, json={"id": str(i), "amount": i})
    name = index_ensure(model_pk=orders.pk, field_name="amount", desc=False)
    # An index of the model whose key is ten times this one's: "_" is a LIKE wildcard.
    neighbour = f"gather_ix_m{orders.pk}0_f1_a"
    with connection.cursor() as cur:
        cur.execute(f"CREATE INDEX {neighbour} ON gather_record (id) WHERE model_id = -1")
    assert indexes_for_model(model_pk=orders.pk) == [name]
    if connection.vendor == "postgresql":
        from gather.query.indexes import statistics_for_model

        stats = statistics_for_model(model_pk=orders.pk)
        assert len(stats) == 1
        with connection.cursor() as cur:
            # ANALYZE filled them: the planner now knows the field's distribution
            cur.execute("SELECT count(*) FROM pg_stats_ext_exprs WHERE statistics_name = %s", stats)
            assert cur.fetchone()[0] == 1
    pk = orders.pk
    model_delete(team=team, model=orders)
    assert indexes_for_model(model_pk=pk) == []
    assert indexes_for_model(model_pk=int(f"{pk}0")) == [neighbour]
    if connection.vendor == "postgresql":
        assert statistics_for_model(model_pk=pk) == []
    with connection.cursor() as cur:
        cur.execute(f"DROP INDEX {neighbour}")


@pytest.mark.django_db(transaction=True)
def test_sqlite_walks_a_narrow_filters_index_and_a_wide_filters_sort_index(
    api, team, orders, monkeypatch
):
    from django.test.utils import CaptureQueriesContext

    from gather.query import engine

    url = f"/api/models/{orders.public_id}/records"
    rows = [
        {"id": str(i), "amount": i % 100, "created": f"2026-01-{1 + i % 28:02d}"}
        for i in range(300)
    ]
    api.post(url + "/batch", json=rows)
    amount = index_ensure(model_pk=orders.pk, field_name="amount", desc=False)
    created = index_ensure(model_pk=orders.pk, field_name="created", desc=True)
    monkeypatch.setattr(engine, "SEEK_PROBE_LIMIT", 20)

    def run(params):
        spec = spec_from_params({**params, "sort": ["-created"], "limit": ["5"]})
        with CaptureQueriesContext(connection) as queries:
            page = record_query(team=team, model=orders, spec=spec)
        sql = next(q["sql"] for q in queries.captured_queries if "LIMIT 6" in q["sql"])
        # ties on created: newest record first; a batch is written in key order
        expected = sorted(
            (r for r in rows if eval_filter(r)), key=lambda r: (r["created"], r["id"]), reverse=True
        )[:5]
        assert [r["id"] for r in page["data"]] == [r["id"] for r in expected]
        return sql

    eval_filter = lambda r: 7 <= r["amount"] <= 8  # noqa: E731 — 6 records: narrow
    sql = run({"filter[amount][between]": ["7,8"]})
    if connection.vendor == "sqlite":
        assert f"INDEXED BY {amount}" in sql

    # two conditions, each wide alone (over 20 records), narrow together
    eval_filter = lambda r: 40 <= r["amount"] < 42  # noqa: E731
    sql = run({"filter[amount][gte]": ["40"], "filter[amount][lt]": ["42"]})
    if connection.vendor == "sqlite":
        assert f"INDEXED BY {amount}" in sql

    eval_filter = lambda r: r["amount"] >= 10  # noqa: E731 — 270 records: wide
    sql = run({"filter[amount][gte]": ["10"]})
    if connection.vendor == "sqlite":
        assert f"INDEXED BY {created}" in sql


@pytest.mark.django_db(transaction=True)
def test_sqlite_counts_a_filter_from_its_fields_index(api, team, orders):
    from gather.query.engine import record_count

    url = f"/api/models/{orders.public_id}/records"
    rows = [{"id": str(i), "status": ("paid", "failed", "")[i % 3]} for i in range(60)]
    api.post(url + "/batch", json=rows)
    index = index_ensure(model_pk=orders.pk, field_name="status", desc=False)
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        spec = spec_from_params({"filter[status]": ["paid"]})
        assert record_count(team=team, model=orders, spec=spec) == 20
    spec = spec_from_params({"filter[status][in]": ["paid,failed"]})
    assert record_count(team=team, model=orders, spec=spec) == 40
    if connection.vendor == "sqlite":
        sql = next(q["sql"] for q in queries.captured_queries if "count(*)" in q["sql"])
        with connection.cursor() as cur:
            cur.execute(f"EXPLAIN QUERY PLAN {sql}")
            plan = " ".join(str(row) for row in cur.fetchall())
        assert f"COVERING INDEX {index}" in plan or f"USING INDEX {index}" in plan, plan
