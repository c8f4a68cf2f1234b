"""SQL functions the query compiler uses on PostgreSQL (SQLite registers the same ones
in Python on each connection: gather/records/dialects/sqlite.py)."""

from django.db import migrations

FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION gather_num(t text) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN t ~ '^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$' THEN t::numeric END
$$;

CREATE OR REPLACE FUNCTION gather_bool(t text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE lower(t) WHEN 'true' THEN true WHEN 'false' THEN false END
$$;

-- PARALLEL UNSAFE: its exception block (for dates like 2026-02-30) needs a
-- subtransaction, which no process may start while a parallel plan runs.
CREATE OR REPLACE FUNCTION gather_ts(t text) RETURNS double precision
LANGUAGE plpgsql IMMUTABLE PARALLEL UNSAFE AS $$
BEGIN
  IF t IS NULL OR t !~ ('^[0-9]{4}-[0-9]{2}-[0-9]{2}'
      '([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?(Z|[+-][0-9]{2}:?[0-9]{2})?)?$') THEN
    RETURN NULL;
  END IF;
  IF t !~ '(Z|[+-][0-9]{2}:?[0-9]{2})$' THEN
    t := t || '+00';
  END IF;
  RETURN extract(epoch FROM t::timestamptz)::double precision;
EXCEPTION WHEN others THEN
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION gather_search(d jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT lower(string_agg(v #>> '{}', E'\n'))
  FROM jsonb_path_query(d, 'strict $.**') AS v
  WHERE jsonb_typeof(v) NOT IN ('object', 'array', 'null')
$$;
"""

DROP = """
DROP FUNCTION IF EXISTS gather_search(jsonb);
DROP FUNCTION IF EXISTS gather_ts(text);
DROP FUNCTION IF EXISTS gather_bool(text);
DROP FUNCTION IF EXISTS gather_num(text);
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTIONS)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("records", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
