"""Appending changes: one statement for the counter and one for all the changes of a write.

Callers append inside the write's transaction, after the write itself: the counter's row
lock is held from there to the commit, so a team's changes commit in the order of their
sequence numbers (decision 025).
"""

from datetime import UTC, datetime

import orjson
from django.db import connection

from gather.core.db import hot_cursor

from . import source
from .models import RETENTION_DAYS_DEFAULT, Change

COUNTER = f"""
INSERT INTO gather_change_team (team_id, last_seq, retention_days)
VALUES (%s, %s, {RETENTION_DAYS_DEFAULT})
ON CONFLICT (team_id) DO UPDATE SET last_seq = gather_change_team.last_seq + excluded.last_seq
RETURNING last_seq
"""

# The changes go in as one JSON array of [type, key, changed].
# PostgreSQL: the counter and the changes in one statement (one round trip).
APPEND_POSTGRES = f"""
WITH counter AS (
  INSERT INTO gather_change_team (team_id, last_seq, retention_days)
  VALUES (%(team)s, %(n)s, {RETENTION_DAYS_DEFAULT})
  ON CONFLICT (team_id) DO UPDATE SET last_seq = gather_change_team.last_seq + excluded.last_seq
  RETURNING last_seq
)
INSERT INTO gather_change (team_id, seq, type, model_ref, key, changed, source_kind, source_id, at)
SELECT %(team)s, counter.last_seq - %(n)s + t.n, t.e->>0, %(model)s, t.e->>1, t.e->2,
       %(kind)s, %(source)s, clock_timestamp()
  FROM counter, jsonb_array_elements(%(body)s::jsonb) WITH ORDINALITY AS t(e, n)
"""
INSERT_SQLITE = """
INSERT INTO gather_change (team_id, seq, type, model_ref, key, changed, source_kind, source_id, at)
SELECT %s, %s + key + 1, json_extract(value, '$[0]'), %s, json_extract(value, '$[1]'),
       json(json_extract(value, '$[2]')), %s, %s, %s
  FROM json_each(%s) WHERE true
"""

_SORTED = orjson.OPT_SORT_KEYS


def same(a, b) -> bool:
    """Whether two JSON values are equal as JSON (1 is not 1.0 nor true; key order aside)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict | list):
        return orjson.dumps(a, option=_SORTED) == orjson.dumps(b, option=_SORTED)
    return a == b


def merge_changed(old: dict | None, payload: dict) -> dict:
    """What merging ``payload`` into ``old`` (None: a new record) changes, by top-level
    field: {field: {"from", "to"}}. Empty when every value sent equals the stored one (an
    absent field reads as null)."""
    if old is None:
        return {name: {"from": None, "to": value} for name, value in payload.items()}
    changed = {}
    for name, value in payload.items():
        before = old.get(name)
        if not same(before, value):
            changed[name] = {"from": before, "to": value}
    return changed


def delete_changed(old: dict) -> dict:
    return {name: {"from": value, "to": None} for name, value in old.items()}


def append(*, team_id: int, model_ref: str, changes: list[tuple[str, str | None, dict]]) -> None:
    """Append (type, record key, changed) entries, numbered in order, from the current
    source: one statement on PostgreSQL, two on SQLite, whatever their number."""
    if not changes:
        return
    kind, source_id = source.current()
    body = orjson.dumps(changes).decode()
    with hot_cursor() as cur:
        if connection.vendor == "postgresql":
            params = {"team": team_id, "n": len(changes), "model": model_ref}
            cur.execute(
                APPEND_POSTGRES, {**params, "kind": kind, "source": source_id, "body": body}
            )
            return
        cur.execute(COUNTER, [team_id, len(changes)])
        first = cur.fetchone()[0] - len(changes)
        now = connection.ops.adapt_datetimefield_value(datetime.now(UTC))
        cur.execute(INSERT_SQLITE, [team_id, first, model_ref, kind, source_id, now, body])


__all__ = ["Change", "append", "delete_changed", "merge_changed", "same"]
