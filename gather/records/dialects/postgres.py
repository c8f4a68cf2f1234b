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

# New catalogue fields in one statement, in the order given ([[name, type], ...]).
FIELDS_INSERT = """
INSERT INTO gather_field (model_id, name, type, type_locked, created_at, updated_at)
SELECT %s, e->>0, e->>1, false, now(), now()
  FROM jsonb_array_elements(%s::jsonb) WITH ORDINALITY AS t(e, n) ORDER BY n
ON CONFLICT (model_id, name) DO NOTHING
"""


class PostgresDialect:
    vendor = "postgresql"

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
