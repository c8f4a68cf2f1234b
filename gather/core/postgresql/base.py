"""Django's PostgreSQL backend with a health check that costs no round trip.

With ``CONN_HEALTH_CHECKS`` Django checks a reused connection at the start of every
request with ``SELECT 1``: a whole round trip on each records API call. A connection the
server has closed (restart, ``pg_terminate_backend``, idle timeout) announces it by
making its socket readable while it sits idle, so the check here looks at the socket
first and runs Django's query only when something has arrived.
"""

import select

from django.db.backends.postgresql import base
from psycopg import pq


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        conn = self.connection
        if conn is None or conn.closed or conn.broken:
            return False
        if conn.info.transaction_status != pq.TransactionStatus.IDLE:
            return super().is_usable()
        try:
            readable, _, _ = select.select([conn.fileno()], [], [], 0)
        except (OSError, ValueError):
            return False
        # Nothing pending on an idle connection: the server has not closed it.
        return True if not readable else super().is_usable()
