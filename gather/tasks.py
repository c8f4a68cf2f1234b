"""Huey entry points only: look up, call a service, decide whether to retry."""

import logging

from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task

log = logging.getLogger(__name__)


@db_task()
def integration_task_backfill(task_pk: int, busy_retries: int = 4) -> None:
    """Run or resume an integration task's backfill (checkpointed; lease-protected)."""
    from gather.integrations.runner import LeaseBusy, task_backfill

    try:
        delay = task_backfill(task_pk=task_pk)
    except LeaseBusy as busy:
        # Another runner holds the lease (alive, or dead and not yet expired): look again
        # when it would expire, a bounded number of times (the minute tick covers the rest).
        if busy_retries > 0:
            integration_task_backfill.schedule((task_pk, busy_retries - 1), delay=busy.delay)
        return
    if delay is not None:
        integration_task_backfill.schedule((task_pk,), delay=delay)
    else:
        integration_task_catch_up(task_pk)


@db_task()
def integration_event_process(event_pk: int) -> None:
    """Act on one stored webhook event (re-fetch, upsert); retried on transient errors."""
    from gather.integrations.services import inbox_process

    delay = inbox_process(event_pk=event_pk)
    if delay is not None:
        integration_event_process.schedule((event_pk,), delay=delay)


@db_task()
def integration_task_catch_up(task_pk: int) -> None:
    """After a backfill or a resume: events left in the inbox, then the provider's list."""
    from gather.integrations.models import IntegrationTask, TaskStatus
    from gather.integrations.services import inbox_pending, inbox_process, task_poll

    task = IntegrationTask.objects.filter(pk=task_pk, status=TaskStatus.LIVE).first()
    if task is None:
        return
    for event_pk in inbox_pending(integration_id=task.integration_id):
        inbox_process(event_pk=event_pk)
    task_poll(task_pk=task_pk)


@db_task()
def integration_endpoints_refresh(public_url: str, task_pk: int | None = None) -> None:
    """Point webhook endpoints at the public URL the web server runs with (passed in:
    a worker's own environment may not have it)."""
    from gather.integrations.services import endpoints_refresh

    endpoints_refresh(public_url=public_url, task_pk=task_pk)


@db_periodic_task(crontab(minute="*"))
def integrations_tick() -> None:
    """Every minute: resume backfills whose worker died; poll live tasks' event lists."""
    from gather.integrations.models import IntegrationTask, TaskStatus
    from gather.integrations.runner import stale_backfills

    for task_pk in stale_backfills():
        integration_task_backfill(task_pk)
    for task_pk in IntegrationTask.objects.filter(status=TaskStatus.LIVE).values_list(
        "pk", flat=True
    ):
        integration_task_catch_up(task_pk)


@HUEY.on_startup()
def _resume_after_restart() -> None:
    """A consumer that starts picks up backfills a dead worker left behind, at once."""
    from django.db import close_old_connections

    from gather.integrations.runner import active_backfills

    try:
        for task_pk in active_backfills():
            integration_task_backfill(task_pk)
    except Exception:
        log.exception("could not look for interrupted backfills")
    finally:
        close_old_connections()


@db_task(retries=2, retry_delay=5)
def query_index_ensure(model_pk: int, field_name: str, desc: bool) -> None:
    """Build the index a list query could use (queries run meanwhile, just slower)."""
    from gather.query.indexes import index_ensure

    index_ensure(model_pk=model_pk, field_name=field_name, desc=desc)


# More patient than field indexes: on SQLite a field index build holds the write lock
# for up to half a minute at a million records, and this build waits behind it.
@db_task(retries=5, retry_delay=10)
def query_search_index_ensure(model_pk: int) -> None:
    """Build the model's text index for search (searches run meanwhile, as scans)."""
    from gather.query.indexes import search_index_ensure

    search_index_ensure(model_pk=model_pk)
