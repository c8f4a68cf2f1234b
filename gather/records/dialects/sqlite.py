"""SQLite: the same merge as PostgreSQL's ``||``, done by a registered SQL function.

SQLite's own ``json_patch`` is an RFC 7396 deep merge where ``null`` deletes a key, which
is not the contract. ``gather_merge(old, new)`` replaces top-level keys and stores nulls,
inside the one upsert statement, so it is as atomic as on PostgreSQL.
"""

from datetime import UTC, datetime

import orjson
from django.db import connection
from django.utils.dateparse import parse_datetime

from .base import UpsertedRow

UPSERT_ONE = """
INSERT INTO gather_record (model_id, key, data, created_at, updated_at)
VALUES (%s, %s, %s, %s, %s)
ON CONFLICT (model_id, key) DO UPDATE
   SET data = gather_merge(data, excluded.data), updated_at = excluded.updated_at
RETURNING id, data, created_at, updated_at
"""

# One statement for a whole batch, like PostgreSQL: the items go in as one JSON array
# ([[key, data], ...]); a row whose created_at is this statement's stamp is new.
UPSERT_MANY = """
INSERT INTO gather_record (model_id, key, data, created_at, updated_at)
SELECT %s, json_extract(e.value, '$[0]'), json_extract(e.value, '$[1]'), %s, %s
  FROM json_each(%s) AS e WHERE true
ON CONFLICT (model_id, key) DO UPDATE
   SET data = gather_merge(data, excluded.data), updated_at = excluded.updated_at
RETURNING key, created_at
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
        connection.connection.create_function("gather_merge", 2, _merge, deterministic=True)


def _stamp(moment: datetime) -> str:
    return connection.ops.adapt_datetimefield_value(moment)


def _parse(text) -> datetime:
    if isinstance(text, datetime):
        return text if text.tzinfo else text.replace(tzinfo=UTC)
    value = parse_datetime(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class SqliteDialect:
    vendor = "sqlite"

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
        moment = datetime.now(UTC)
        now = _stamp(moment)
        with connection.cursor() as cur:
            cur.execute(UPSERT_MANY, [model_id, now, now, orjson.dumps(items).decode()])
            rows = cur.fetchall()
        return {key: _parse(created_at) == moment for key, created_at in rows}
