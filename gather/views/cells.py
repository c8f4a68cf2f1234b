"""Reading a column path out of record JSON, and showing the value as text.

A path is a field of the record's data (``amount``), a nested path into it
(``meta.plan``) or a joined field (``stripe_charge.status``), as ``columns_for_model``
and the query language name them.
"""

from typing import Any

import orjson

RECORD_KEYS = ("id", "data", "created_at", "updated_at")
MISSING = object()


def _walk(value: Any, parts: list[str]) -> Any:
    for part in parts:
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def cell_value(record: dict, path: str) -> Any:
    """The value at ``path`` in one record's JSON, or None when absent."""
    data = record.get("data") or {}
    if path in data:
        return data[path]
    head, _, rest = path.partition(".")
    if rest and head not in RECORD_KEYS and head in record:
        return _walk(record[head], rest.split("."))
    if path in ("created_at", "updated_at") and path not in data:
        return record.get(path)
    return _walk(data, path.split("."))


def cell_text(value: Any) -> str:
    """The plain text of a value: nested values as compact JSON, null as empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    return str(value)
