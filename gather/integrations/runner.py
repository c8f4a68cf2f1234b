"""Runs a task's backfill with a lease, checkpoints and readable errors.

One worker at a time holds a task's lease (``runner`` + ``lease_until``), renewed with
every checkpoint. A worker that dies stops renewing it; the next run (queued at worker
start-up and by the periodic tick) takes the task over once the lease has expired and
continues from the last checkpoint, because the page and the cursor that follows it are
committed in one transaction.
"""

from __future__ import annotations

import logging
import time
import uuid
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from . import registry
from .models import IntegrationTask, TaskStatus
from .registry import SyncError

log = logging.getLogger(__name__)

LEASE_SECONDS = 15
MAX_ATTEMPTS = 8


class LeaseBusy(Exception):
    """Another runner holds the task's lease; ``delay`` is when it would expire."""

    def __init__(self, delay: float):
        super().__init__(delay)
        self.delay = delay


class LeaseLost(Exception):
    """Another runner owns the task now, or it was paused, re-synced or deleted."""


def retry_delay(attempts: int) -> float:
    return min(300.0, 2.0 * 2 ** max(0, attempts - 1))


class RunContext:
    def __init__(self, task: IntegrationTask, token: str):
        self.task = task
        self.token = token
        self.generation = task.generation
        self.state: dict = dict(task.state or {})
        self.progress: dict = dict(task.progress or {})
        self.started = time.monotonic()
        self.synced_this_run = 0

    def _owned(self):
        return IntegrationTask.objects.filter(
            pk=self.task.pk,
            runner=self.token,
            generation=self.generation,
            status=TaskStatus.BACKFILLING,
        )

    def checkpoint(self, *, state: dict, synced: int, write=None) -> None:
        """Commit ``write()`` (the page) and the new cursor together, renewing the lease."""
        now = timezone.now()
        self.synced_this_run += synced
        elapsed = max(time.monotonic() - self.started, 1e-6)
        self.progress["synced"] = int(self.progress.get("synced", 0)) + synced
        self.progress["rate"] = round(self.synced_this_run / elapsed, 1)
        with transaction.atomic():
            if write is not None:
                write()
            rows = self._owned().update(
                state=state,
                progress=self.progress,
                last_synced_at=now,
                lease_until=now + timedelta(seconds=LEASE_SECONDS),
                error="",
                attempts=0,
                updated_at=now,
            )
            if rows != 1:
                raise LeaseLost
        self.state = state

    def heartbeat(self) -> None:
        now = timezone.now()
        if self._owned().update(lease_until=now + timedelta(seconds=LEASE_SECONDS)) != 1:
            raise LeaseLost


def _claim(task: IntegrationTask, token: str) -> bool:
    now = timezone.now()
    rows = (
        IntegrationTask.objects.filter(
            pk=task.pk,
            generation=task.generation,
            status__in=[TaskStatus.PENDING, TaskStatus.BACKFILLING],
        )
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now) | Q(runner=""))
        .update(
            runner=token,
            lease_until=now + timedelta(seconds=LEASE_SECONDS),
            status=TaskStatus.BACKFILLING,
            updated_at=now,
        )
    )
    return rows == 1


def task_backfill(*, task_pk: int) -> float | None:
    """Run or resume a task's backfill. Returns a delay in seconds to run again, or None."""
    task = IntegrationTask.objects.select_related("integration").filter(pk=task_pk).first()
    if task is None or task.status not in (TaskStatus.PENDING, TaskStatus.BACKFILLING):
        return None
    task_type = registry.task_type(task.type)
    if task_type is None:
        return None
    token = uuid.uuid4().hex
    if not _claim(task, token):
        task.refresh_from_db(fields=["lease_until", "status"])
        if task.status not in (TaskStatus.PENDING, TaskStatus.BACKFILLING):
            return None
        left = (task.lease_until - timezone.now()).total_seconds() if task.lease_until else 0
        raise LeaseBusy(max(1.0, left + 0.5))
    task.refresh_from_db()
    ctx = RunContext(task, token)
    if not ctx.progress.get("started_at"):
        ctx.progress["started_at"] = timezone.now().isoformat()
    try:
        task_type.backfill(ctx)
    except LeaseLost:
        return None
    except SyncError as exc:
        return _failed(task, token, exc)
    except Exception as exc:  # a bug or an unexpected provider answer: shown, retried
        log.exception("task %s failed", task.public_id)
        return _failed(task, token, SyncError(f"Unexpected error: {exc}"))
    now = timezone.now()
    IntegrationTask.objects.filter(pk=task.pk, runner=token, generation=ctx.generation).update(
        status=TaskStatus.LIVE,
        runner="",
        lease_until=None,
        error="",
        attempts=0,
        last_synced_at=now,
        progress={**ctx.progress, "finished_at": now.isoformat(), "phase": "live"},
        updated_at=now,
    )
    return None


def _failed(task: IntegrationTask, token: str, exc: SyncError) -> float | None:
    task.refresh_from_db(fields=["attempts"])
    attempts = task.attempts + 1
    permanent = exc.permanent or attempts >= MAX_ATTEMPTS
    fields = {"error": exc.message, "attempts": attempts, "runner": "", "lease_until": None}
    if permanent:
        fields["status"] = TaskStatus.ERROR
        if not exc.permanent:
            fields["error"] = f"{exc.message} (gave up after {attempts} attempts)"
    else:
        delay = retry_delay(attempts)
        fields["error"] = f"{exc.message} Retrying in {int(delay)} s (attempt {attempts})."
    IntegrationTask.objects.filter(pk=task.pk, runner=token).update(**fields)
    return None if permanent else retry_delay(attempts)


def active_backfills() -> list[int]:
    return list(
        IntegrationTask.objects.filter(
            status__in=[TaskStatus.PENDING, TaskStatus.BACKFILLING]
        ).values_list("pk", flat=True)
    )


def stale_backfills() -> list[int]:
    """Tasks that should be backfilling but whose runner is gone (or never started)."""
    now = timezone.now()
    return list(
        IntegrationTask.objects.filter(status__in=[TaskStatus.PENDING, TaskStatus.BACKFILLING])
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .values_list("pk", flat=True)
    )
