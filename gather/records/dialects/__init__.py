"""Database-specific SQL for records. Callers never branch on the vendor themselves."""

from django.db import connection

from .postgres import PostgresDialect
from .sqlite import SqliteDialect

_DIALECTS = {"postgresql": PostgresDialect(), "sqlite": SqliteDialect()}


def current():
    """The dialect of the default database connection."""
    try:
        return _DIALECTS[connection.vendor]
    except KeyError:  # pragma: no cover - settings only produce the two above
        raise RuntimeError(f"unsupported database: {connection.vendor}") from None
