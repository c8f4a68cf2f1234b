"""The field catalogue's type inference.

Values sent form-encoded arrive as text, so text that reads as a number, a boolean or
an ISO 8601 date/time is catalogued as that type; the query compiler then compares and
sorts the field as that type. The stored value is never rewritten.
"""

import math
import re
from functools import lru_cache

from .models import FieldType

NUMBER_RE = re.compile(r"^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$")
# What text counts as a stored number: JSON number syntax within bounds that PostgreSQL's
# numeric always accepts (gather_num, migration records/0008), and finite as a double
# (SQLite and rollups read it as one). '1e999999999' sent form-encoded stays text.
STORED_NUMBER_RE = re.compile(r"^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]{1,3})?$")
STORED_NUMBER_MAX_LENGTH = 1400


def is_number_text(text: str) -> bool:
    """True when a text value is read as a number by filters, sorts and rollups."""
    return (
        len(text) <= STORED_NUMBER_MAX_LENGTH
        and bool(STORED_NUMBER_RE.match(text))
        and math.isfinite(float(text))
    )


DATETIME_RE = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,9})?)?(?:Z|[+-][0-9]{2}:?[0-9]{2})?)?$"
)
BOOLEAN_TEXT = {"true", "false"}
MAX_FIELD_NAME = 200


def value_type(value) -> str | None:
    """The type a single value suggests, or None for null (which suggests nothing)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return FieldType.BOOLEAN
    if isinstance(value, int | float):
        return FieldType.NUMBER
    if isinstance(value, dict | list):
        return FieldType.OBJECT
    text = str(value)
    if is_number_text(text):
        return FieldType.NUMBER
    if text.lower() in BOOLEAN_TEXT:
        return FieldType.BOOLEAN
    if DATETIME_RE.match(text):
        return FieldType.DATETIME
    return FieldType.STRING


def combine(current: str | None, seen: str | None) -> str | None:
    """The catalogue type after seeing a value: disagreement widens to string."""
    if seen is None:
        return current
    if current is None or current == seen:
        return seen
    return FieldType.STRING


@lru_cache(maxsize=65536)
def field_name_problem(name: str) -> str | None:
    """Why a top-level field name cannot be stored, or None when it is fine."""
    if not name:
        return "Field names cannot be empty."
    if len(name) > MAX_FIELD_NAME:
        return f"Field names are at most {MAX_FIELD_NAME} characters."
    if any(ch in name for ch in ".[]"):
        return "Field names cannot contain '.', '[' or ']' (they address nested values)."
    if any(ch in name for ch in '"\\'):
        return "Field names cannot contain double quotes or backslashes."
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        return "Field names cannot contain control characters."
    return None
