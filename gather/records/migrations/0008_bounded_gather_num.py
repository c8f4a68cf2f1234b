"""gather_num reads a text as a number only within bounds PostgreSQL's numeric always
accepts: '1e999999999' sent form-encoded made every filter and sort on its field fail with
'value overflows numeric format'. The bounds are gather/records/fields.py's
is_number_text (at most 1,400 characters, an exponent of at most 3 digits);
a text outside them was either an error before or is far beyond any double, so no index
entry built with the old function changes."""

from django.db import migrations

BOUNDED = r"""
CREATE OR REPLACE FUNCTION gather_num(t text) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN length(t) <= 1400
    AND t ~ '^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]{1,3})?$' THEN t::numeric END
$$;
"""

UNBOUNDED = r"""
CREATE OR REPLACE FUNCTION gather_num(t text) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN t ~ '^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$' THEN t::numeric END
$$;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BOUNDED)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNBOUNDED)


class Migration(migrations.Migration):
    dependencies = [("records", "0007_rollups")]
    operations = [migrations.RunPython(forwards, backwards)]
