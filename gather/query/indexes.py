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
import secrets
import time

from django.db import DatabaseError, connection, transaction

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
    with_stats = connection.vendor == "postgresql" and field.name != model.id_field
    if _exists(name, model) and (not with_stats or _stats_exist(stats)):
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
    columns = f"({sql.order_term(f'({expr})', desc)}, id DESC)"
    # PostgreSQL: statistics on the field's expression. The planner ignores those of
    # partial indexes, and without any it guesses 0.5 % for a range on the field, then
    # walks another field's sort index for a narrow range (measured at 1M records:
    # 270 ms, against 11 ms with them).
    prepare = (
        f"CREATE STATISTICS IF NOT EXISTS {stats} ON (({value})) FROM gather_record"
        if with_stats
        else ""
    )
    _create(name, model, columns, prepare=prepare)
    log.info("built index %s for %s.%s", name, model.name, field.name)
    return name


def _create(name: str, model, columns: str, prepare: str = "") -> None:
    """``CREATE INDEX <name> ON gather_record <columns> WHERE model_id = <model>`` under
    the build lock (after ``prepare``, an idempotent statement such as CREATE STATISTICS
    IF NOT EXISTS), replacing an invalid leftover, then refresh statistics."""
    # CONCURRENTLY keeps writers going on PostgreSQL; it is impossible inside a transaction.
    concurrent = connection.vendor == "postgresql" and not connection.in_atomic_block
    concurrently = "CONCURRENTLY " if concurrent else ""
    with connection.cursor() as cur:
        if concurrent and not _lock(cur):
            raise IndexBuildBusy(f"another index build is running; {name} waits")
        try:
            if prepare:
                cur.execute(prepare)  # idempotent (IF NOT EXISTS)
            built = False
            if not _exists(name, model):
                cur.execute(f"DROP INDEX {concurrently}IF EXISTS {name}")  # a failed build's
                cur.execute(
                    f"CREATE INDEX {concurrently}IF NOT EXISTS {name} ON gather_record "
                    f"{columns} WHERE model_id = {int(model.pk)}"
                )
                built = True
            if (built or prepare) and connection.vendor == "postgresql":
                # Fill the statistics the planner needs for the new index's conditions.
                cur.execute("ANALYZE gather_record")
        finally:
            if concurrent:
                cur.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])


# -- search (q): a text index per model (docs/decisions/008-search-index.md) ----------

SEARCH_FILL_CHUNK = 5000  # records per transaction while SQLite fills its text table
# SQLite: a term with at least this many candidates in the text table is searched by
# walking the page's order instead (a common term fills a page within a few hundred
# records; fetching and sorting all its candidates costs more).
SEARCH_RARE_LIMIT = 1000
SEARCH_STATS = "gather_record_search_text"  # PostgreSQL: statistics on the expression
_warned: set[str] = set()


def search_index_name(model_pk: int) -> str:
    return f"gather_ix_m{int(model_pk)}_search"


def search_wanted(model) -> None:
    """The model was searched: ask for its text index (once per process)."""
    from gather.tasks import query_search_index_ensure

    key = f"{model.pk}:{model.public_id}:q"
    if key in _known:
        return
    _known.add(key)
    query_search_index_ensure(model.pk)


def search_index(model) -> str | None:
    """The model's text index if it is built and complete."""
    name = search_index_name(model.pk)
    if (name, model.public_id) in _built:
        return name
    if connection.vendor == "postgresql":
        return name if _exists(name, model) else None
    with connection.cursor() as cur:
        cur.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = %s", [name])
        if cur.fetchone() is None:
            return None
    _built.add((name, model.public_id))
    return name


def search_candidates(model, term: str) -> tuple[str, str] | None:
    """SQLite: (text table, MATCH phrase) when the lower-cased term is better searched
    through the model's text table than by walking the page's order; else None.

    Trigrams need three characters; a term with many candidates is left to the walk,
    which stops as soon as the page is full."""
    if connection.vendor != "sqlite" or len(term) < 3 or "\x00" in term:
        return None
    name = search_index(model)
    if name is None:
        return None
    phrase = '"' + term.replace('"', '""') + '"'
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {name} WHERE {name} MATCH %s LIMIT %s)",
            [phrase, SEARCH_RARE_LIMIT],
        )
        if cur.fetchone()[0] >= SEARCH_RARE_LIMIT:
            return None
    return name, phrase


def _warn_once(key: str, message: str, *args) -> None:
    if key not in _warned:
        _warned.add(key)
        log.warning(message, *args)


def search_index_ensure(*, model_pk: int) -> str | None:
    """Build the model's text index if it does not exist; None when the database cannot
    (no pg_trgm, no FTS5): search then keeps scanning, as it did before the index."""
    model = DataModel.objects.filter(pk=model_pk).first()
    if model is None:
        return None
    name = search_index_name(model.pk)
    if search_index(model):
        return name
    if connection.vendor == "postgresql":
        if not _trigram_ready():
            return None
        raw = PostgresSql().raw_text("data")
        # The planner ignores a partial index's statistics, and without statistics it
        # takes every term of four or more characters for a rare one, so a common term
        # would read all its matches through the index instead of stopping after a page
        # on the newest-first index. Statistics on the expression itself (one object
        # for the table, shared by every model's search) give it the term's frequency.
        stats = f"CREATE STATISTICS IF NOT EXISTS {SEARCH_STATS} ON ({raw}) FROM gather_record"
        columns = f"USING gin (({raw}) gin_trgm_ops) WITH (fastupdate = on)"
        _create(name, model, columns, prepare=stats)
    elif not _sqlite_search_build(model, name):
        return None
    _built.add((name, model.public_id))
    log.info("built search index %s for %s", name, model.name)
    return name


def _trigram_ready() -> bool:
    """pg_trgm is there or can be created (it is a trusted extension: a role with CREATE
    on the database may create it)."""
    with connection.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        if cur.fetchone():
            return True
        try:
            with transaction.atomic():
                cur.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except DatabaseError as exc:
            _warn_once(
                "pg_trgm",
                "search stays a scan: the pg_trgm extension cannot be created (%s)",
                str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__,
            )
            return False
    return True


def _sqlite_search_build(model, name: str) -> bool:
    """An FTS5 trigram table of gather_search(data) by record id, kept current by
    triggers on this model's records. Filled in chunks (writers wait for one chunk at a
    time, not for the whole model) under a working name of its own, renamed when
    complete: SQLite rewrites the triggers' references, and queries only ever see a
    complete table. A build that starts drops any other's working table: a dead one's
    leftovers, or a live one's, which then stops (the newest build finishes)."""
    pk = int(model.pk)
    fill = f"{_fill_prefix(pk)}{secrets.token_hex(4)}"
    with connection.cursor() as cur:
        with transaction.atomic():
            _sqlite_search_drop(cur, pk)
            try:
                cur.execute(
                    f"CREATE VIRTUAL TABLE {fill} USING "
                    "fts5(body, tokenize = 'trigram case_sensitive 1')"
                )
            except DatabaseError as exc:
                _warn_once("fts5", "search stays a scan: no FTS5 trigram tables (%s)", exc)
                return False
            when = f"WHEN NEW.model_id = {pk}"
            cur.execute(
                f"CREATE TRIGGER {name}_ai AFTER INSERT ON gather_record {when} BEGIN "
                f"INSERT INTO {fill}(rowid, body) VALUES (NEW.id, gather_search(NEW.data)); END"
            )
            cur.execute(
                f"CREATE TRIGGER {name}_au AFTER UPDATE OF data ON gather_record "
                f"{when} AND NEW.data IS NOT OLD.data BEGIN "
                f"DELETE FROM {fill} WHERE rowid = OLD.id; "
                f"INSERT INTO {fill}(rowid, body) VALUES (NEW.id, gather_search(NEW.data)); END"
            )
            cur.execute(
                f"CREATE TRIGGER {name}_ad AFTER DELETE ON gather_record "
                f"WHEN OLD.model_id = {pk} BEGIN DELETE FROM {fill} WHERE rowid = OLD.id; END"
            )
        last = 0
        while True:
            with transaction.atomic():
                if fill not in _sqlite_search_tables(cur, pk):
                    log.info("search index build %s replaced by a newer one", fill)
                    return False
                cur.execute(
                    f"SELECT max(id) FROM (SELECT id FROM gather_record WHERE model_id = {pk}"
                    f" AND id > %s ORDER BY id LIMIT {SEARCH_FILL_CHUNK})",
                    [last],
                )
                upto = cur.fetchone()[0]
                if upto is None:
                    cur.execute(f"ALTER TABLE {fill} RENAME TO {name}")
                    return True
                # Records written since the triggers exist are in already.
                cur.execute(
                    f"INSERT INTO {fill}(rowid, body) SELECT r.id, gather_search(r.data)"
                    f" FROM gather_record r WHERE r.model_id = {pk} AND r.id > %s"
                    f" AND r.id <= %s AND NOT EXISTS (SELECT 1 FROM {fill} f"
                    " WHERE f.rowid = r.id)",
                    [last, upto],
                )
            last = upto


def _fill_prefix(model_pk: int) -> str:
    return f"gather_ix_m{int(model_pk)}_searchfill"


def _sqlite_search_tables(cur, model_pk: int) -> list[str]:
    """The model's FTS5 tables: the text index and any working table of a build."""
    prefix = _fill_prefix(model_pk).replace("_", "\\_")
    cur.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'"
        " AND sql LIKE 'CREATE VIRTUAL TABLE%%'"
        " AND (name = %s OR name LIKE %s ESCAPE '\\')",
        [search_index_name(model_pk), prefix + "%"],
    )
    return sorted(row[0] for row in cur.fetchall())


def _sqlite_search_drop(cur, model_pk: int) -> None:
    name = search_index_name(model_pk)
    for suffix in ("ai", "au", "ad"):
        cur.execute(f"DROP TRIGGER IF EXISTS {name}_{suffix}")
    for table in _sqlite_search_tables(cur, model_pk):
        cur.execute(f"DROP TABLE IF EXISTS {table}")


def indexes_drop(*, model) -> None:
    """Drop a model's query indexes and statistics (before the model and its records go)."""
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            _sqlite_search_drop(cur, model.pk)
        for name in indexes_for_model(model_pk=model.pk):
            cur.execute(f"DROP INDEX IF EXISTS {name}")
        for name, public_id in list(_built):
            if public_id == model.public_id:
                _built.discard((name, public_id))
        if connection.vendor == "postgresql":
            for name in statistics_for_model(model_pk=model.pk):
                cur.execute(f"DROP STATISTICS IF EXISTS {name}")


def statistics_name(model_pk: int, field_pk: int) -> str:
    return f"gather_st_m{int(model_pk)}_f{int(field_pk)}"


def _stats_exist(name: str) -> bool:
    with connection.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_statistic_ext WHERE stxname = %s", [name])
        return cur.fetchone() is not None


def statistics_for_model(*, model_pk: int) -> list[str]:
    """PostgreSQL: the extended statistics kept on a model's queried fields."""
    pattern = f"gather\\_st\\_m{int(model_pk)}\\_%"  # "_" is a LIKE wildcard
    with connection.cursor() as cur:
        cur.execute(
            "SELECT stxname FROM pg_statistic_ext WHERE stxname LIKE %s ESCAPE '\\'", [pattern]
        )
        return sorted(row[0] for row in cur.fetchall())


def indexes_for_model(*, model_pk: int) -> list[str]:
    """The model's query indexes by name (SQLite's text table included)."""
    # "_" is a LIKE wildcard: unescaped, model 1's pattern would match model 12's indexes.
    pattern = f"gather\\_ix\\_m{int(model_pk)}\\_%"
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(
                "SELECT indexname FROM pg_indexes WHERE indexname LIKE %s ESCAPE '\\'",
                [pattern],
            )
        else:
            cur.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE %s ESCAPE '\\'",
                [pattern],
            )
        names = [row[0] for row in cur.fetchall()]
        if connection.vendor == "sqlite":
            names += _sqlite_search_tables(cur, model_pk)
        return sorted(names)
