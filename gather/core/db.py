"""Cursors for the statements every API request runs."""

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from django.db import connection


@contextmanager
def hot_cursor() -> Iterator:
    """A cursor on Django's connection (same transaction) for per-request statements.

    On PostgreSQL it is psycopg's own cursor, which binds parameters server-side: psycopg
    prepares a statement once it repeats, halving the server's CPU for the API key and
    model lookups, and large JSON parameters travel as plain text instead of being quoted
    in Python (Django's cursors bind client-side). Errors come out as Django's, as from
    any Django cursor. On SQLite it is Django's cursor.
    """
    if connection.vendor != "postgresql":
        with connection.cursor() as cur:
            yield cur
        return
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cur:
        yield cur
