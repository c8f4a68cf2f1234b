"""SQLite: the same merge as PostgreSQL's ``||``, done by a registered SQL function.

SQLite's own ``json_patch`` is an RFC 7396 deep merge where ``null`` deletes a key, which
is not the contract. ``gather_merge(old, new)`` replaces top-level keys and stores nulls,
inside the one upsert statement, so it is as atomic as on PostgreSQL.
"""

from datetime import UTC, datetime

import orjson
from django.db import connection, transaction
from django.utils.dateparse import parse_datetime

from ..fields import DATETIME_RE, is_number_text
from .base import UpsertedRow

UPSERT_ONE = """
INSERT INTO gather_record (model_id, key, data, created_at, updated_at)
VALUES (%s, %s, %s, %s, %s)
ON CONFLICT (model_id, key) DO UPDATE
   SET data = gather_merge(data, excluded.data), updated_at = excluded.updated_at
RETURNING id, data, created_at, updated_at
"""

# One statement for a whole batch, as on PostgreSQL: the items go in as one JSON array
# ([[key, data], ...]) read by json_each. ("WHERE true" keeps the parser from taking
# ON CONFLICT for a join constraint.)
UPSERT_MANY = """
INSERT INTO gather_record (model_id, key, data, created_at, updated_at)
SELECT %s, json_extract(value, '$[0]'), json_extract(value, '$[1]'), %s, %s
  FROM json_each(%s) WHERE true
ON CONFLICT (model_id, key) DO UPDATE
   SET data = gather_merge(data, excluded.data), updated_at = excluded.updated_at
"""

# New catalogue fields in one statement, in the order given ([[name, type], ...]).
FIELDS_INSERT = """
INSERT INTO gather_field (model_id, name, type, type_locked, created_at, updated_at)
SELECT %s, json_extract(value, '$[0]'), json_extract(value, '$[1]'), 0, %s, %s
  FROM json_each(%s) WHERE true ORDER BY key
ON CONFLICT (model_id, name) DO NOTHING
"""


def _merge(old: str | None, new: str | None) -> str | None:
    if old is None:
        return new
    if new is None:
        return old
    merged = orjson.loads(old)
    merged.update(orjson.loads(new))
    return orjson.dumps(merged).decode()


def register_functions(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        for name, (arity, fn) in FUNCTIONS.items():
            connection.connection.create_function(name, arity, fn, deterministic=True)


def _stamp(moment: datetime) -> str:
    return connection.ops.adapt_datetimefield_value(moment)


def _parse(text) -> datetime:
    if isinstance(text, datetime):
        return text if text.tzinfo else text.replace(tzinfo=UTC)
    value = parse_datetime(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


MERGE_ROLLUPS = """
INSERT INTO gather_rollup_value (model_id, key, data)
SELECT %s, json_extract(e.value, '$[0]'), json(json_extract(e.value, '$[1]'))
FROM json_each(%s) AS e WHERE true
ON CONFLICT (model_id, key) DO UPDATE SET data = json_patch(gather_rollup_value.data, excluded.data)
"""


class SqliteDialect:
    vendor = "sqlite"

    def lock_model_writes(self, *, model_id: int) -> None:
        """Nothing to do: write transactions begin IMMEDIATE, one writer at a time."""

    def datas(self, *, table: str, model_id: int, keys: list[str]) -> dict[str, dict]:
        """key -> data of the rows of ``table`` (gather_record, gather_rollup_value) with
        these keys: one statement, the keys as one JSON parameter."""
        if not keys:
            return {}
        with connection.cursor() as cur:
            cur.execute(
                f"SELECT key, data FROM {table} WHERE model_id = %s"
                " AND key IN (SELECT value FROM json_each(%s))",
                [model_id, orjson.dumps(keys).decode()],
            )
            return {key: orjson.loads(text) for key, text in cur.fetchall()}

    def merge_rollup_values(self, *, model_id: int, rows: list[tuple[str, dict]]) -> None:
        # json_patch drops the names set to null: they read as null (absent) anyway.
        if rows:
            with connection.cursor() as cur:
                cur.execute(MERGE_ROLLUPS, [model_id, orjson.dumps(rows).decode()])

    def rows_for_write(self, *, model_id: int, keys: list[str]) -> dict[str, tuple]:
        """key -> (data, created_at, updated_at) of the stored records with these keys
        (write transactions begin IMMEDIATE: nobody else writes until this one ends)."""
        if not keys:
            return {}
        with connection.cursor() as cur:
            cur.execute(
                "SELECT key, data, created_at, updated_at FROM gather_record WHERE model_id = %s"
                " AND key IN (SELECT value FROM json_each(%s))",
                [model_id, orjson.dumps(keys).decode()],
            )
            rows = cur.fetchall()
        return {key: (orjson.loads(text), _parse(c), _parse(u)) for key, text, c, u in rows}

    def upsert_one(self, *, model_id: int, key: str, data: dict) -> UpsertedRow:
        moment = datetime.now(UTC)
        now = _stamp(moment)
        with connection.cursor() as cur:
            cur.execute(UPSERT_ONE, [model_id, key, orjson.dumps(data).decode(), now, now])
            pk, text, created_at, updated_at = cur.fetchone()
        created_at = _parse(created_at)
        # A new row carries this statement's timestamp; a merged one keeps its old one.
        return UpsertedRow(
            pk, key, orjson.loads(text), created_at, _parse(updated_at), created_at == moment
        )

    def upsert_many(self, *, model_id: int, items: list[tuple[str, dict]]) -> dict[str, bool]:
        """Upsert items whose keys are unique; returns key -> created."""
        if not items:
            return {}
        now = _stamp(datetime.now(UTC))
        keys = [key for key, _ in items]
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(
                "SELECT key FROM gather_record WHERE model_id = %s"
                " AND key IN (SELECT value FROM json_each(%s))",
                [model_id, orjson.dumps(keys).decode()],
            )
            existing = {row[0] for row in cur.fetchall()}
            cur.execute(UPSERT_MANY, [model_id, now, now, orjson.dumps(items).decode()])
        return {key: key not in existing for key in keys}

    def fields_insert(self, *, model_id: int, fields: list[tuple[str, str]]) -> None:
        """Add catalogue fields (name, type) in one statement; names present are kept."""
        now = _stamp(datetime.now(UTC))
        with connection.cursor() as cur:
            cur.execute(FIELDS_INSERT, [model_id, now, now, orjson.dumps(fields).decode()])


# Typed readings of JSON values used by the query compiler (gather/query/sql.py). They
# mirror the PostgreSQL functions of migration records/0002 exactly.


def _num(json_type, value):
    if json_type in ("integer", "real"):
        return float(value)
    if json_type == "text" and is_number_text(value):
        return float(value)
    return None


def _bool(json_type, value):
    if json_type == "true":
        return 1
    if json_type == "false":
        return 0
    if json_type == "text":
        text = value.lower()
        if text == "true":
            return 1
        if text == "false":
            return 0
    return None


def _ts(value):
    if not isinstance(value, str) or not DATETIME_RE.match(value):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _lower(value):
    return value.lower() if isinstance(value, str) else value


def _leaves(value, out: list) -> None:
    if isinstance(value, dict):
        for v in value.values():
            _leaves(v, out)
    elif isinstance(value, list):
        for v in value:
            _leaves(v, out)
    elif value is None:
        return
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(value)
    else:
        out.append(orjson.dumps(value).decode())


def search_text(data) -> str | None:
    """Every leaf value of a record, lower-cased, one per line (keys excluded)."""
    if data is None:
        return None
    out: list[str] = []
    _leaves(orjson.loads(data) if isinstance(data, str | bytes) else data, out)
    return "\n".join(out).lower()


FUNCTIONS = {
    "gather_merge": (2, _merge),
    "gather_num": (2, _num),
    "gather_bool": (2, _bool),
    "gather_ts": (1, _ts),
    "gather_lower": (1, _lower),
    "gather_search": (1, search_text),
}
