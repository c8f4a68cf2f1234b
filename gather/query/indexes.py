"""Indexes that follow the queries users run (docs/decisions/007-query-indexes.md).

The first time a list query filters or sorts on a catalogued field, Gather asks a
background task to build a partial expression index for that model and field:

    CREATE INDEX ... ON gather_record (<typed expression> ASC|DESC NULLS LAST, id DESC)
    WHERE model_id = <model>

The expression is exactly the one the compiler emits, so both databases match it; the
partial predicate keeps each index to one model's records and lets it go with the model.
Ingest pays only for the fields people actually query.
"""

import logging
import time

from django.db import connection

from gather.records.models import DataModel, Field

from .sql import PostgresSql, SqliteSql

log = logging.getLogger(__name__)

LOCK_KEY = 0x6761746872  # pg_advisory_lock key of index builds
_known: set[str] = set()
_built: set[tuple[str, str]] = set()


class IndexBuildBusy(Exception):
    """Another process is building an index; try again later."""


def _lock(cur, seconds: float = 600) -> bool:
    """One build at a time. Polled with short statements: a session blocked inside
    pg_advisory_lock holds a transaction open, which a concurrent index build waits for
    while holding the lock itself (a deadlock)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        cur.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY])
        if cur.fetchone()[0]:
            return True
        time.sleep(0.5)
    return False


def index_name(model_pk: int, field_pk: int, desc: bool) -> str:
    return f"gather_ix_m{model_pk}_f{field_pk}_{'d' if desc else 'a'}"


def _exists(name: str, model) -> bool:
    """Whether the index is there and usable (a failed concurrent build leaves an invalid
    one behind on PostgreSQL: that counts as absent)."""
    # Remembered per Model ID as well: a primary key can come back after a rollback.
    if (name, model.public_id) in _built:
        return True
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(
                "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
                " WHERE c.relname = %s",
                [name],
            )
        else:
            cur.execute("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = %s", [name])
        row = cur.fetchone()
    found = bool(row and row[0])
    if found:
        _built.add((name, model.public_id))
    return found


def sort_index(model, field_pk: int, desc: bool) -> str | None:
    """The built index that serves a sort on this field, if any (SQLite names it in the
    query: without statistics its planner prefers the model_id index and sorts)."""
    name = index_name(model.pk, field_pk, desc)
    return name if _exists(name, model) else None


def wanted(model, uses: list[tuple[str, bool]]) -> None:
    """Note the top-level fields a query used (name, descending); build missing indexes."""
    from gather.tasks import query_index_ensure

    first: dict[str, bool] = {}
    for name, desc in uses:  # a sort's direction wins over a filter's use of the field
        first.setdefault(name, desc)
    for name, desc in first.items():
        key = f"{model.pk}:{model.public_id}:{name}:{desc}"
        if key in _known:
            continue
        _known.add(key)
        query_index_ensure(model.pk, name, desc)


def index_ensure(*, model_pk: int, field_name: str, desc: bool) -> str | None:
    """Build the index for one model field and direction if it does not exist."""
    model = DataModel.objects.filter(pk=model_pk).first()
    field = Field.objects.filter(model_id=model_pk, name=field_name).first()
    if model is None or field is None:
        return None
    name = index_name(model.pk, field.pk, desc)
    stats = statistics_name(model.pk, field.pk)
    if _exists(name, model) and (
        connection.vendor != "postgresql" or field.name == model.id_field or _stats_exist(stats)
    ):
        return name
    sql = PostgresSql() if connection.vendor == "postgresql" else SqliteSql()
    path = (field.name,)
    if field.name == model.id_field:
        expr = value = "key"
    else:
        expr = value = {
            "number": sql.number,
            "boolean": sql.boolean,
            "datetime": sql.datetime,
        }.get(field.type, sql.text)("data", path)
        if field.type in ("string", "object"):
            expr = sql.sort_text(expr)
    # CONCURRENTLY keeps writers going on PostgreSQL; it is impossible inside a transaction.
    concurrent = connection.vendor == "postgresql" and not connection.in_atomic_block
    concurrently = "CONCURRENTLY " if concurrent else ""
    statement = (
        f"CREATE INDEX {concurrently}IF NOT EXISTS {name} ON gather_record "
        f"({sql.order_term(f'({expr})', desc)}, id DESC) WHERE model_id = {int(model.pk)}"
    )
    with connection.cursor() as cur:
        if concurrent and not _lock(cur):
            raise IndexBuildBusy(f"another index build is running; {name} waits")
        try:
            changed = False
            if not _exists(name, model):
                cur.execute(f"DROP INDEX {concurrently}IF EXISTS {name}")  # a failed build's
                cur.execute(statement)
                changed = True
            if connection.vendor == "postgresql" and value != "key" and not _stats_exist(stats):
                # Statistics on the field's expression: the planner ignores those of
                # partial indexes, and without any it guesses 0.5 % for a range on the
                # field, then walks another field's sort index for a narrow range
                # (measured at 1M records: 270 ms, against 11 ms with them).
                cur.execute(
                    f"CREATE STATISTICS IF NOT EXISTS {stats} ON (({value})) FROM gather_record"
                )
                changed = True
            if changed and connection.vendor == "postgresql":
                cur.execute("ANALYZE gather_record")
        finally:
            if concurrent:
                cur.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])
    log.info("built index %s for %s.%s", name, model.name, field.name)
    return name


def statistics_name(model_pk: int, field_pk: int) -> str:
    return f"gather_st_m{model_pk}_f{field_pk}"


def _stats_exist(name: str) -> bool:
    with connection.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_statistic_ext WHERE stxname = %s", [name])
        return cur.fetchone() is not None


def indexes_drop(*, model) -> None:
    """Drop a model's query indexes and statistics (before the model and its records go)."""
    with connection.cursor() as cur:
        for name in indexes_for_model(model_pk=model.pk):
            cur.execute(f"DROP INDEX IF EXISTS {name}")
            _built.discard((name, model.public_id))
        if connection.vendor == "postgresql":
            for name in statistics_for_model(model_pk=model.pk):
                cur.execute(f"DROP STATISTICS IF EXISTS {name}")


def statistics_for_model(*, model_pk: int) -> list[str]:
    """PostgreSQL: the extended statistics kept on a model's queried fields."""
    with connection.cursor() as cur:
        prefix = f"gather_st_m{int(model_pk)}_"
        cur.execute("SELECT stxname FROM pg_statistic_ext WHERE stxname LIKE %s", [prefix + "%"])
        # "_" is a LIKE wildcard: m1_ would also match m10; the prefix decides
        return sorted(row[0] for row in cur.fetchall() if row[0].startswith(prefix))


def indexes_for_model(*, model_pk: int) -> list[str]:
    with connection.cursor() as cur:
        prefix = f"gather_ix_m{int(model_pk)}_"
        pattern = prefix + "%"
        if connection.vendor == "postgresql":
            cur.execute("SELECT indexname FROM pg_indexes WHERE indexname LIKE %s", [pattern])
        else:
            cur.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE %s",
                [pattern],
            )
        # "_" is a LIKE wildcard: m1_ would also match m10; the prefix decides
        return sorted(row[0] for row in cur.fetchall() if row[0].startswith(prefix))
