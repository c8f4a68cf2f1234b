"""The query compiler against a plain-Python reference evaluation (hypothesis).

Both databases run this file (the suite runs once per database): every generated query
must return exactly the records the reference returns, in the same order, also when
read page by page through cursors. Records link to a parent model (``p_id`` -> link
``parent``), so filters and sorts over ``parent.<field>`` are checked too, with parents
missing, dangling and empty.
"""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gather.query.engine import record_query
from gather.query.indexes import index_ensure, search_index_ensure
from gather.query.spec import Condition, Group, QuerySpec, SortKey
from gather.records.fields import DATETIME_RE, NUMBER_RE
from gather.records.models import Record
from gather.records.services import field_set_type, record_upsert_batch
from tests.factories import make_model, make_team

MISSING = object()
TEXT = st.text(alphabet="abAB %_x", max_size=4)
CHOICES = {
    "s": ["", "a", "A", "ab", "b%", "x_", "AB a", "%", "_", "ba", "bA", "a\\b", 'x"b', "Äbx"],
    "n": [0, 7, -3, 50, "7", "075", "-3.5", "12.0", "1e2", "abc", "", 7.5, True],
    "b": [True, False, "true", "FALSE", "True", "yes", "", 1],
    "d": ["2026-01-01", "2026-01-01T10:00:00Z", "2026-01-01T09:00:00-02:00",
          "2025-12-31 23:59", "2026-02-30", "soon", "", "2026-01-01T11:00:00.5+00:00"],
}  # fmt: skip


def seeded_records(n: int, seed: int = 20261128, parents: int = 0) -> list[dict]:
    """Deterministic records mixing types, text numbers, nulls, missing and junk; with
    ``parents``, a ``p_id`` naming one of them, a parent that does not exist, or none."""
    import random

    rng = random.Random(seed)
    out = []
    for _ in range(n):
        data = {}
        for name, choices in CHOICES.items():
            roll = rng.random()
            if roll < 0.15:
                continue  # missing
            data[name] = None if roll < 0.25 else rng.choice(choices)
        if parents:
            roll = rng.random()
            if roll < 0.1:
                data["p_id"] = None
            elif roll < 0.9:
                data["p_id"] = f"p{rng.randrange(parents + parents // 4):03d}"
        out.append(data)
    return out


TYPES = {"s": "string", "n": "number", "b": "boolean", "d": "datetime"}
PATHS = [*TYPES, *(f"parent.{name}" for name in TYPES)]  # own fields, the linked parent's
PARENTS = 16
# Parents' rollups over their things: how many link to them, and the sum of their "n".
ROLLUPS = {"kids": "number", "total": "number"}
PARENT_PATHS = [*TYPES, *(f"rollups.{name}" for name in ROLLUPS)]


def kind_of(path: str) -> str:
    name = path.rpartition(".")[2]
    return ROLLUPS[name] if path.startswith("rollups.") else TYPES[name]


def typed(kind, value):
    """The reference reading of a stored value: None means empty."""
    if value is MISSING or value is None:
        return None
    if kind == "string":
        return value if isinstance(value, str) and value != "" else None
    if kind == "number":
        if isinstance(value, bool):
            return None
        if isinstance(value, int | float):
            return Decimal(str(value))
        return Decimal(value) if NUMBER_RE.match(value) else None
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if not isinstance(value, str):
            return None
        return {"true": True, "false": False}.get(value.lower())
    if not DATETIME_RE.match(value):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


OPS_BY_TYPE = {
    "string": ["eq", "ne", "contains", "ncontains", "startswith", "in", "empty", "gt", "lt"],
    "number": ["eq", "ne", "gt", "gte", "lt", "lte", "in", "empty"],
    "boolean": ["eq", "ne", "empty"],
    "datetime": ["gt", "lt", "gte", "lte", "empty"],
}
VALUES = {
    "string": TEXT.filter(bool),
    "number": st.integers(-50, 50).map(str),
    "boolean": st.sampled_from(["true", "false"]),
    "datetime": st.sampled_from(["2026-01-01", "2026-01-01T11:00:00Z", "2025-12-31T23:59:00Z"]),
}


@st.composite
def conditions(draw, paths=PATHS):
    name = draw(st.sampled_from(paths))
    kind = kind_of(name)
    op = draw(st.sampled_from(OPS_BY_TYPE[kind]))
    if op == "empty":
        value = draw(st.sampled_from(["true", "false"]))
    elif op == "in":
        value = ",".join(draw(st.lists(VALUES[kind], min_size=1, max_size=3)))
        if kind == "string" and "," in value.replace(",", ""):
            value = value
    else:
        value = draw(VALUES[kind])
    return Condition(name, op, value)


def matches(cond: Condition, data: dict) -> bool:
    """``data``: the record's own values, and its parent's as ``parent.<field>``."""
    kind = kind_of(cond.field)
    raw = data.get(cond.field, MISSING)
    v = typed(kind, raw)
    op, value = cond.op, cond.value
    if op == "empty":
        return (v is None) == (value == "true")
    if op in ("contains", "ncontains", "startswith"):
        text = v.lower() if v is not None else None
        needle = value.lower()
        if op == "contains":
            return text is not None and needle in text
        if op == "ncontains":
            return text is None or needle not in text
        return text is not None and text.startswith(needle)
    if op == "in":
        # items of a comma list are trimmed: "paid, refunded"
        return v is not None and v in {typed(kind, x.strip()) for x in value.split(",")}
    target = typed(kind, value)
    if op == "eq":
        return v is not None and v == target
    if op == "ne":
        return v is None or v != target
    if v is None:
        return False
    return {
        "gt": v > target, "gte": v >= target, "lt": v < target, "lte": v <= target
    }[op]  # fmt: skip


def leaf_texts(value) -> list[str]:
    if isinstance(value, dict):
        return [t for v in value.values() for t in leaf_texts(v)]
    if value is None:
        return []
    if isinstance(value, bool):
        return ["true" if value else "false"]
    return [value if isinstance(value, str) else str(value)]


def searched(q, data) -> bool:
    return q is None or any(q.lower() in t.lower() for t in leaf_texts(data))


def reference(rows, where, sort, q=None):
    """rows: (pk, key, data, with the parent's values) in insertion order; returns keys
    in the expected order. ``q`` searches the record's own values (decision 023)."""
    hits = [r for r in rows if all(matches(c, r[3]) for c in where) and searched(q, r[2])]
    hits.sort(key=lambda r: r[0], reverse=True)  # tie-break: newest first
    for key in reversed(sort):
        kind = kind_of(key.field)
        value = lambda r, f=key.field, k=kind: typed(k, r[3].get(f, MISSING))  # noqa: E731
        filled = [r for r in hits if value(r) is not None]
        empty = [r for r in hits if value(r) is None]
        hits = sorted(filled, key=value, reverse=key.desc) + empty
    return [r[1] for r in hits]


@pytest.fixture(params=["scan", "text index"])
def dataset(db, request):
    """Records stored once for all the examples of the test (hypothesis reuses it);
    once searched by scanning, once with the model's text index for q."""
    if True:
        from gather.records.links import model_links_set
        from gather.records.models import Field
        from gather.records.rollups import model_rollups_set

        team = make_team("Property")
        model = make_model(team, "Things", "id")
        parent = make_model(team, "Parents", "id")
        for name, kind in TYPES.items():
            Field.objects.create(model=model, name=name, type=kind, type_locked=True)
            Field.objects.create(model=parent, name=name, type=kind, type_locked=True)
        parent_datas = seeded_records(PARENTS, seed=7)
        parent_items = [{**d, "id": f"p{i:03d}"} for i, d in enumerate(parent_datas)]
        record_upsert_batch(team=team, model=parent, items=parent_items)
        parents = {item["id"]: item for item in parent_items}
        model_links_set(
            team=team, model=model, links={"p_id": {"model": parent.public_id, "name": "parent"}}
        )
        model_rollups_set(
            team=team,
            model=parent,
            rollups={
                "kids": {"model": model.public_id, "link": "parent", "fn": "count"},
                "total": {"model": model.public_id, "link": "parent", "fn": "sum", "field": "n"},
            },
        )
        datas = seeded_records(60, parents=PARENTS)
        payloads = []
        for i, data in enumerate(datas):
            payload = dict(data)
            payload["id"] = f"r{i:03d}"
            payloads.append(payload)
        record_upsert_batch(team=team, model=model, items=payloads)
        for name, kind in TYPES.items():
            field_set_type(team=team, model=model, name=name, type=kind)
        if connection.vendor == "sqlite":
            # the sort indexes exist, so the compiler's INDEXED BY path is checked too
            for name in TYPES:
                for desc in (False, True):
                    index_ensure(model_pk=model.pk, field_name=name, desc=desc)
        if request.param == "text index":
            if connection.vendor == "postgresql":
                with connection.cursor() as cur:
                    # the test's transaction holds deferred foreign key checks, which
                    # CREATE INDEX refuses to run with
                    cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
            assert search_index_ensure(model_pk=model.pk)
            if connection.vendor == "postgresql":
                with connection.cursor() as cur:  # 60 records: read them through indexes
                    cur.execute("SET LOCAL enable_seqscan = off")
                    cur.execute("SET LOCAL enable_indexscan = off")

        def with_parent(data):
            found = parents.get(data.get("p_id")) or {}
            return {**data, **{f"parent.{name}": value for name, value in found.items()}}

        rows = [
            (pk, key, data, with_parent(data))
            for pk, key, data in Record.objects.filter(model=model)
            .order_by("id")
            .values_list("id", "key", "data")
        ]
        parent_rows = []
        for pk, key, data in parent.records.order_by("id").values_list("id", "key", "data"):
            kids = [r[2] for r in rows if r[2].get("p_id") == key]
            ns = [v for kid in kids if (v := typed("number", kid.get("n", MISSING))) is not None]
            flat = {
                **data,
                "rollups.kids": len(kids),
                "rollups.total": str(sum(ns)) if ns else None,
            }
            parent_rows.append((pk, key, data, flat))
        return team, model, rows, parent, parent_rows


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    where=st.lists(conditions(), max_size=3),
    sort=st.lists(
        st.builds(SortKey, st.sampled_from(PATHS), st.booleans()),
        max_size=2,
        unique_by=lambda k: k.field,
    ),
    limit=st.integers(1, 25),
    q=st.one_of(st.none(), st.text(alphabet='abAB%_x 7.-t\\"Ä', min_size=1, max_size=4)),
)
def test_query_compiler_matches_reference(dataset, where, sort, limit, q):
    team, model, rows = dataset[:3]
    expected = reference(rows, where, sort, q)
    spec = QuerySpec(
        where=Group("and", tuple(where)) if where else None, sort=tuple(sort), limit=limit, q=q
    )
    got, cursor = [], None
    if True:
        for _ in range(len(rows) + 2):
            page = record_query(
                team=team, model=model, spec=QuerySpec(**{**spec.__dict__, "cursor": cursor})
            )
            got += [r["id"] for r in page["data"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        total = record_query(
            team=team, model=model, spec=QuerySpec(**{**spec.__dict__, "count": True})
        )["total"]
    assert got == expected
    assert total == len(expected)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    where=st.lists(conditions(PARENT_PATHS), max_size=3),
    sort=st.lists(
        st.builds(SortKey, st.sampled_from(PARENT_PATHS), st.booleans()),
        max_size=2,
        unique_by=lambda k: k.field,
    ),
    limit=st.integers(1, 10),
)
def test_rollup_queries_match_reference(dataset, where, sort, limit):
    """Filters and sorts over rollups (kept on write) against counts and sums in Python."""
    team, _, _, parent, rows = dataset
    expected = reference(rows, where, sort)
    spec = QuerySpec(
        where=Group("and", tuple(where)) if where else None, sort=tuple(sort), limit=limit
    )
    got, cursor = [], None
    for _ in range(len(rows) + 2):
        page = record_query(
            team=team, model=parent, spec=QuerySpec(**{**spec.__dict__, "cursor": cursor})
        )
        for record in page["data"]:
            flat = next(r[3] for r in rows if r[1] == record["id"])
            assert record["rollups"]["kids"] == flat["rollups.kids"]
            total = flat["rollups.total"]
            assert (record["rollups"]["total"] is None) == (total is None)
            if total is not None:
                assert Decimal(str(record["rollups"]["total"])) == Decimal(total)
        got += [r["id"] for r in page["data"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert got == expected
