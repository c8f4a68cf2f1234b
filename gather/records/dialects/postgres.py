"""PostgreSQL: one statement per upsert; ``||`` is exactly the contract's shallow merge."""

import orjson
from django.db import connection

from gather.core.db import hot_cursor

from .base import UpsertedRow

UPSERT_ONE = """
INSERT INTO gather_record (model_id, key, data, created_at, updated_at)
VALUES (%s, %s, %s::jsonb, now(), now())
ON CONFLICT (model_id, key) DO UPDATE
   SET data = gather_record.data || EXCLUDED.data, updated_at = now()
RETURNING id, data::text, created_at, updated_at, (xmax = 0)
"""

# One statement for a whole batch: the API's items go in as one JSON array
# ([[key, data], ...]), the fastest merge-upsert measured on PostgreSQL.
UPSERT_MANY = """
INSERT INTO gather_record (model_id, key, data, created_at, updated_at)
SELECT %s, e->>0, e->1, now(), now() FROM jsonb_array_elements(%s::jsonb) AS e
ON CONFLICT (model_id, key) DO UPDATE
   SET data = gather_record.data || EXCLUDED.data, updated_at = now()
RETURNING key, (xmax = 0)
"""

ROWS_FOR_WRITE = """
SELECT key, data::text, created_at, updated_at FROM gather_record
 WHERE model_id = %s AND key = ANY(%s) ORDER BY key FOR UPDATE
"""

# New catalogue fields in one statement, in the order given ([[name, type], ...]).
FIELDS_INSERT = """
INSERT INTO gather_field (model_id, name, type, type_locked, created_at, updated_at)
SELECT %s, e->>0, e->>1, false, now(), now()
  FROM jsonb_array_elements(%s::jsonb) WITH ORDINALITY AS t(e, n) ORDER BY n
ON CONFLICT (model_id, name) DO NOTHING
"""


# Rollup values: each write merges the names it recomputed into the record's object.
MERGE_ROLLUPS = """
INSERT INTO gather_rollup_value (model_id, key, data)
SELECT %s, e->>0, e->1 FROM jsonb_array_elements(%s::jsonb) AS e
ON CONFLICT (model_id, key) DO UPDATE SET data = gather_rollup_value.data || EXCLUDED.data
"""
# Namespace of the transaction-scoped advisory locks that serialise a rollup source's
# writes (the second key is the model's primary key).
ROLLUP_LOCK = 0x67617468


class PostgresDialect:
    vendor = "postgresql"

    def lock_model_writes(self, *, model_id: int) -> None:
        """Until the transaction ends, other writers of the model wait here: each then
        reads the rows as the one before left them (needed to keep rollups exact)."""
        with hot_cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s, %s)", [ROLLUP_LOCK, model_id])

    def datas(self, *, table: str, model_id: int, keys: list[str]) -> dict[str, dict]:
        """key -> data of the rows of ``table`` (gather_record, gather_rollup_value) with
        these keys: one statement, the keys as one array parameter."""
        if not keys:
            return {}
        with hot_cursor() as cur:
            cur.execute(
                f"SELECT key, data::text FROM {table} WHERE model_id = %s AND key = ANY(%s)",
                [model_id, keys],
            )
            return {key: orjson.loads(text) for key, text in cur.fetchall()}

    def merge_rollup_values(self, *, model_id: int, rows: list[tuple[str, dict]]) -> None:
        if rows:
            with hot_cursor() as cur:
                cur.execute(MERGE_ROLLUPS, [model_id, orjson.dumps(rows).decode()])

    def rows_for_write(self, *, model_id: int, keys: list[str]) -> dict[str, tuple]:
        """key -> (data, created_at, updated_at) of the stored records with these keys,
        locked (in key order, as batches write them) until the transaction ends."""
        if not keys:
            return {}
        with hot_cursor() as cur:
            cur.execute(ROWS_FOR_WRITE, [model_id, keys])
            return {key: (orjson.loads(text), c, u) for key, text, c, u in cur.fetchall()}

    def upsert_one(self, *, model_id: int, key: str, data: dict) -> UpsertedRow:
        with hot_cursor() as cur:
            cur.execute(UPSERT_ONE, [model_id, key, orjson.dumps(data).decode()])
            pk, text, created_at, updated_at, created = cur.fetchone()
        return UpsertedRow(pk, key, orjson.loads(text), created_at, updated_at, created)

    def upsert_many(self, *, model_id: int, items: list[tuple[str, dict]]) -> dict[str, bool]:
        """Upsert items whose keys are unique; returns key -> created."""
        if not items:
            return {}
        with hot_cursor() as cur:
            cur.execute(UPSERT_MANY, [model_id, orjson.dumps(items).decode()])
            return dict(cur.fetchall())

    def fields_insert(self, *, model_id: int, fields: list[tuple[str, str]]) -> None:
        """Add catalogue fields (name, type) in one statement; names present are kept."""
        with connection.cursor() as cur:
            cur.execute(FIELDS_INSERT, [model_id, orjson.dumps(fields).decode()])
