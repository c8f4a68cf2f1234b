"""Timestamps as the API writes them: RFC 3339 in UTC with "Z", exactly as
``datetime.isoformat`` writes the time (no fraction when it is zero)."""

from datetime import UTC, datetime

from django.utils.dateparse import parse_datetime


def rfc3339(value: datetime | str | None) -> str | None:
    """An aware datetime, or UTC text as list queries read it ("YYYY-MM-DD
    HH:MM:SS[.ffffff]" as SQLite stores it, "YYYY-MM-DDTHH:MM:SS.ffffff" from PostgreSQL's
    ``to_char``), in the API's form; None stays None."""
    if value is None:
        return None
    if type(value) is str:
        if len(value) in (19, 26) and value[10] in " T":
            text = f"{value[:10]}T{value[11:]}"
            return (text[:-7] if text.endswith(".000000") else text) + "Z"
        value = parse_datetime(value)  # any other form: read it
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.isoformat().replace("+00:00", "Z")
