"""Search (q) through the model's text index (docs/decisions/008-search-index.md).

PostgreSQL: a partial pg_trgm GIN index on the prefilter's own expression. SQLite: an
FTS5 trigram table per model, kept current by triggers. Results must not change.
"""

import logging

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from huey.contrib.djhuey import HUEY

from gather.query import indexes
from gather.query.indexes import indexes_for_model, search_index_ensure, search_index_name
from gather.records.services import model_delete, record_upsert, record_upsert_batch
from tests.factories import make_model

RECORDS = [
    {"id": "1", "note": "50% off today", "tags": ["Snake_Case", "x"]},
    {"id": "2", "note": 'back\\slash and "quotes"', "n": 12345},
    {"id": "3", "note": "Ünïcode STRASSE", "city": "Zürich"},
    {"id": "4", "meta": {"plan": "Zyxwvut pro", "deep": {"flag": True}}},
    {"id": "5", "zyxwvut_key": "value only", "amount": 7.5, "code": "hexcode"},
    {"id": "6", "note": None, "other": "off-line 50"},
]
CASES = {  # q -> ids, newest first
    "zyxwvut": ["4"],  # record 5 has it in a key only
    "ZYXWVUT": ["4"],
    "50%": ["1"],  # a literal %, not "50 and anything" (record 6)
    "e_c": ["1"],  # a literal _, not "e, any character, c" (hexcode)
    "snake_case": ["1"],
    "k\\s": ["2"],
    '"quotes"': ["2"],
    "2345": ["2"],
    "ünï": ["3"],
    "ÜNÏCODE": ["3"],
    "zürich": ["3"],
    "true": ["4"],
    "7.5": ["5"],
    "value only": ["5"],
    "off": ["6", "1"],
    "of": ["6", "1"],  # too short for trigrams
    "5": ["6", "5", "2", "1"],
    "null": [],  # a null is no text
    "note": [],  # keys are not searched
    "nothing like it": [],
}


def _ids(api, model, q, **params) -> list[str]:
    resp = api.get(f"/api/models/{model.public_id}/records", {"q": q, **params})
    assert resp.status_code == 200, resp.content
    return [r["id"] for r in resp.json()["data"]]


def _plan(sql: str) -> str:
    explain = "EXPLAIN" if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN"
    with connection.cursor() as cur:
        cur.execute(f"{explain} {sql}")
        return " ".join(str(row) for row in cur.fetchall())


def _page_sql(api, model, q, **params) -> str:
    """The records query the API ran for ``q`` (parameters interpolated)."""
    with CaptureQueriesContext(connection) as ctx:
        _ids(api, model, q, **params)
    return next(x["sql"] for x in ctx.captured_queries if "FROM gather_record r" in x["sql"])


@pytest.fixture
def immediate_tasks():
    HUEY.immediate = True
    yield
    HUEY.immediate = False


@pytest.fixture
def index_scans_only():
    """PostgreSQL: a handful of records is read by a scan; make it use the indexes."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SET enable_seqscan = off")
            cur.execute("SET enable_indexscan = off")  # bitmap scans only
    yield
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("RESET enable_seqscan")
            cur.execute("RESET enable_indexscan")


@pytest.mark.django_db(transaction=True)
def test_search_index_is_built_by_the_first_search_and_dropped_with_the_model(
    api, team, orders, immediate_tasks
):
    record_upsert_batch(team=team, model=orders, items=[dict(r) for r in RECORDS])
    name = search_index_name(orders.pk)
    assert name not in indexes_for_model(model_pk=orders.pk)
    assert _ids(api, orders, "zyxwvut") == ["4"]  # asks for the index (run in-process here)
    assert name in indexes_for_model(model_pk=orders.pk)
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(
                "SELECT i.indisvalid, pg_get_indexdef(i.indexrelid) FROM pg_index i"
                " JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = %s",
                [name],
            )
            valid, definition = cur.fetchone()
            assert valid
            assert "gin_trgm_ops" in definition and f"model_id = {orders.pk}" in definition
        else:
            cur.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s"
                " AND sql LIKE %s",
                ["gather_record", f"%model_id = {orders.pk} %"],
            )
            triggers = sorted(row[0] for row in cur.fetchall())
            assert triggers == [f"{name}_ad", f"{name}_ai", f"{name}_au"]
    pk = orders.pk
    other = make_model(team, "Other", "id")
    model_delete(team=team, model=orders)
    assert indexes_for_model(model_pk=pk) == []
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute("SELECT count(*) FROM sqlite_master WHERE name LIKE %s", [f"{name}%"])
        else:
            cur.execute("SELECT count(*) FROM pg_class WHERE relname = %s", [name])
        assert cur.fetchone()[0] == 0
    record_upsert(team=team, model=other, payload={"id": "a", "note": "zyxwvut"})
    assert _ids(api, other, "zyxwvut") == ["a"]


@pytest.mark.django_db(transaction=True)
def test_search_results_are_the_same_with_and_without_the_text_index(
    api, team, orders, index_scans_only
):
    record_upsert_batch(team=team, model=orders, items=[dict(r) for r in RECORDS])
    assert {q: _ids(api, orders, q) for q in CASES} == CASES  # scans: no index yet
    name = search_index_ensure(model_pk=orders.pk)
    assert name == search_index_name(orders.pk)
    assert {q: _ids(api, orders, q) for q in CASES} == CASES
    if connection.vendor == "sqlite":  # PostgreSQL: the next test, with more records
        assert name in _plan(_page_sql(api, orders, "zyxwvut"))
        assert "MATCH" in _page_sql(api, orders, '"quotes"')
        assert "MATCH" not in _page_sql(api, orders, "of")  # no trigram in it
    # a count goes the same way
    resp = api.get(f"/api/models/{orders.public_id}/records", {"q": "off", "count": "true"})
    assert resp.json()["total"] == 2


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_search_index_chosen_by_postgresql_for_a_rare_term_not_a_common_one(api, team, orders):
    filler = [{"id": f"f{i}", "email": f"user{i}@example.com"} for i in range(5000)]
    record_upsert_batch(team=team, model=orders, items=[dict(r) for r in RECORDS] + filler)
    name = search_index_ensure(model_pk=orders.pk)  # also refreshes the statistics
    assert name in _plan(_page_sql(api, orders, "zyxwvut"))
    assert name not in _plan(_page_sql(api, orders, "example"))  # newest first, one page
    cases = {q: ids for q, ids in CASES.items() if q not in ("2345", "5")}  # filler has them
    assert {q: _ids(api, orders, q) for q in cases} == cases
    assert _ids(api, orders, "user4999@") == ["f4999"]


@pytest.mark.django_db(transaction=True)
def test_search_on_sqlite_walks_the_order_for_a_term_with_many_candidates(
    api, team, orders, monkeypatch
):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite decides between its text table and the walk itself")
    record_upsert_batch(team=team, model=orders, items=[dict(r) for r in RECORDS])
    search_index_ensure(model_pk=orders.pk)
    monkeypatch.setattr(indexes, "SEARCH_RARE_LIMIT", 2)
    assert "MATCH" not in _page_sql(api, orders, "off")  # 2 candidates: a common term
    assert "MATCH" in _page_sql(api, orders, "zyxwvut")
    assert _ids(api, orders, "off") == ["6", "1"]
    assert _ids(api, orders, "zyxwvut") == ["4"]


@pytest.mark.django_db(transaction=True)
def test_sqlite_rare_term_sorted_by_an_indexed_field_reads_candidates_not_the_sort_index(
    api, team, orders, monkeypatch
):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite is told which index to use; PostgreSQL plans by statistics")
    rows = [{"id": str(i), "amount": i, "note": "plain"} for i in range(40)]
    rows[7]["note"] = "zyxwvut here"
    rows[31]["note"] = "and zyxwvut there"
    record_upsert_batch(team=team, model=orders, items=rows)
    search_index_ensure(model_pk=orders.pk)
    sort_index = indexes.index_ensure(model_pk=orders.pk, field_name="amount", desc=True)
    monkeypatch.setattr(indexes, "SEARCH_RARE_LIMIT", 10)  # "plain" (38 records) is common
    assert _ids(api, orders, "zyxwvut", sort="-amount") == ["31", "7"]
    sql = _page_sql(api, orders, "zyxwvut", sort="-amount")
    assert "MATCH" in sql and f"INDEXED BY {sort_index}" not in sql
    # a common term keeps walking the sort index and stops after a page
    assert _ids(api, orders, "plain", sort="-amount", limit=3) == ["39", "38", "37"]
    assert f"INDEXED BY {sort_index}" in _page_sql(api, orders, "plain", sort="-amount", limit=3)


@pytest.mark.django_db(transaction=True)
def test_search_triggers_keep_the_sqlite_text_table_current(api, team, orders):
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL maintains its index itself")
    other = make_model(team, "Other", "id")
    record_upsert_batch(team=team, model=orders, items=[dict(r) for r in RECORDS])
    name = search_index_ensure(model_pk=orders.pk)

    def in_table(term: str) -> list[str]:
        with connection.cursor() as cur:
            cur.execute(
                f"SELECT r.key FROM {name} f JOIN gather_record r ON r.id = f.rowid"
                f" WHERE {name} MATCH %s ORDER BY r.id",
                ['"' + term + '"'],
            )
            return [row[0] for row in cur.fetchall()]

    url = f"/api/models/{orders.public_id}/records"
    assert in_table("zyxwvut") == ["4"]
    assert api.post(url, json={"id": "7", "note": "Quixotic"}).status_code == 201
    assert in_table("quixotic") == ["7"]
    assert _ids(api, orders, "quixotic") == ["7"]
    # a merge replaces the record's text: the old value goes, kept values stay
    assert api.post(url, json={"id": "7", "extra": "pragmatic"}).status_code == 200
    assert api.post(url, json={"id": "4", "meta": "plain"}).status_code == 200
    assert in_table("quixotic") == ["7"] and in_table("pragmatic") == ["7"]
    assert in_table("zyxwvut") == []
    assert _ids(api, orders, "zyxwvut") == []
    batch = [{"id": "8", "note": "batched quixotic"}, {"id": "1", "note": "now quixotic"}]
    assert api.post(f"{url}/batch", json=batch).status_code == 200
    assert in_table("quixotic") == ["1", "7", "8"]
    assert in_table("50% off") == []
    assert api.delete(f"{url}/7").status_code == 204
    assert in_table("quixotic") == ["1", "8"]
    assert _ids(api, orders, "quixotic") == ["8", "1"]
    # another model's records stay out
    record_upsert(team=team, model=other, payload={"id": "x", "note": "quixotic too"})
    assert in_table("quixotic") == ["1", "8"]
    with connection.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {name}")
        indexed = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM gather_record WHERE model_id = %s", [orders.pk])
        assert indexed == cur.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_search_index_build_on_sqlite_starts_over_after_a_dead_build(api, team, orders):
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL rebuilds invalid leftovers (the field index tests)")
    record_upsert_batch(team=team, model=orders, items=[dict(r) for r in RECORDS])
    with connection.cursor() as cur:  # what a build that died half-way leaves behind
        cur.execute(
            f"CREATE VIRTUAL TABLE gather_ix_m{orders.pk}_searchfilldead USING "
            "fts5(body, tokenize = 'trigram case_sensitive 1')"
        )
    assert search_index_ensure(model_pk=orders.pk) == search_index_name(orders.pk)
    assert indexes_for_model(model_pk=orders.pk) == [search_index_name(orders.pk)]
    assert {q: _ids(api, orders, q) for q in CASES} == CASES


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_search_without_pg_trgm_keeps_scanning_and_writes_keep_working(
    api, team, orders, caplog, monkeypatch
):
    monkeypatch.setattr(indexes, "_warned", set())
    with connection.cursor() as cur:
        cur.execute("DROP EXTENSION IF EXISTS pg_trgm CASCADE")
        cur.execute(
            "CREATE FUNCTION gather_test_no_extensions() RETURNS event_trigger"
            " LANGUAGE plpgsql AS $$ BEGIN"
            " RAISE EXCEPTION 'permission denied to create extension'; END $$"
        )
        cur.execute(
            "CREATE EVENT TRIGGER gather_test_no_extensions ON ddl_command_start"
            " WHEN TAG IN ('CREATE EXTENSION') EXECUTE FUNCTION gather_test_no_extensions()"
        )
    try:
        record_upsert_batch(team=team, model=orders, items=[dict(r) for r in RECORDS])
        with caplog.at_level(logging.WARNING, logger="gather.query.indexes"):
            assert search_index_ensure(model_pk=orders.pk) is None
            assert search_index_ensure(model_pk=orders.pk) is None
        warnings = [r for r in caplog.records if "pg_trgm" in r.getMessage()]
        assert len(warnings) == 1
        assert indexes_for_model(model_pk=orders.pk) == []
        assert {q: _ids(api, orders, q) for q in CASES} == CASES
        url = f"/api/models/{orders.public_id}/records"
        assert api.post(url, json={"id": "9", "note": "zyxwvut again"}).status_code == 201
        assert api.post(f"{url}/batch", json=[{"id": "1", "x": "zyxwvut"}]).status_code == 200
        assert _ids(api, orders, "zyxwvut") == ["9", "4", "1"]
    finally:
        with connection.cursor() as cur:
            cur.execute("DROP EVENT TRIGGER IF EXISTS gather_test_no_extensions")
            cur.execute("DROP FUNCTION IF EXISTS gather_test_no_extensions()")
