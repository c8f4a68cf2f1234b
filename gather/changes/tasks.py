"""The change log's jobs (registered by the app, which owns them)."""

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

log = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="23"))
def changes_retention() -> None:
    """Hourly: delete history older than each team's retention, in bounded pieces."""
    from .services import retention_sweep

    deleted = retention_sweep()
    if deleted:
        log.info("change log retention: deleted %d changes", deleted)
