"""Writes: connect/disconnect integrations, manage their tasks, take in events."""

from __future__ import annotations

import logging
import time

import orjson
from django.db import IntegrityError, transaction
from django.utils import timezone

from gather.accounts.models import Team
from gather.core.crypto import encrypt
from gather.core.errors import Conflict, InvalidInput, NotFound, ValidationFailed
from gather.records.services import model_touch

from . import registry
from .models import InboxEvent, Integration, IntegrationTask, TaskStatus
from .registry import SyncError
from .runner import MAX_ATTEMPTS, retry_delay

log = logging.getLogger(__name__)

POLL_OVERLAP = 60  # seconds of events re-read before the task's creation (catch-up slack)
WEBHOOK_GRACE = 120  # seconds Stripe gets to deliver an event before it counts as missed
EVENT_ID_MAX = InboxEvent._meta.get_field("event_id").max_length
EVENT_TYPE_MAX = InboxEvent._meta.get_field("type").max_length


def _enqueue_backfill(task: IntegrationTask) -> None:
    from gather import tasks

    transaction.on_commit(lambda: tasks.integration_task_backfill(task.pk))


def _connector(key: str):
    connector = registry.connector(key)
    if connector is None:
        known = ", ".join(sorted(c.type for c in registry.connectors()))
        raise ValidationFailed(
            f"Unknown integration type {key!r}; use one of: {known}.", field="type"
        )
    return connector


def integration_connect(*, team: Team, type: str, secret_key: str) -> Integration:
    """Check the key with the provider at once, then store it encrypted."""
    connector = _connector(type)
    if not isinstance(secret_key, str) or not secret_key.strip():
        raise ValidationFailed("A secret key is required.", field="secret_key")
    checked = connector.check(secret_key=secret_key)
    return Integration.objects.create(
        team=team,
        type=connector.type,
        secret_encrypted=encrypt(checked["secret_key"]),
        key_hint=checked["key_hint"],
        account=checked.get("account", ""),
    )


def integration_update(
    *, team: Team, integration: Integration, webhook_secret=None, secret_key=None
) -> Integration:
    if secret_key is not None:
        checked = _connector(integration.type).check(secret_key=secret_key)
        integration.secret_encrypted = encrypt(checked["secret_key"])
        integration.key_hint = checked["key_hint"]
    if webhook_secret is not None:
        if not isinstance(webhook_secret, str):
            raise ValidationFailed("webhook_secret must be text.", field="webhook_secret")
        webhook_secret = webhook_secret.strip()
        if webhook_secret and not webhook_secret.startswith("whsec_"):
            raise ValidationFailed(
                "A Stripe signing secret starts with whsec_ (Developers → Webhooks → your "
                "endpoint → Signing secret).",
                field="webhook_secret",
            )
        integration.webhook_secret_encrypted = encrypt(webhook_secret) if webhook_secret else ""
    integration.save()
    return integration


def integration_delete(*, team: Team, integration: Integration) -> None:
    for task in list(integration.tasks.all()):
        task_delete(team=team, task=task)
    integration.delete()


def task_create(*, team: Team, integration: Integration, type: str, options) -> IntegrationTask:
    connector = _connector(integration.type)
    task_type = connector.task_type(type)
    if task_type is None:
        known = ", ".join(t.type for t in connector.task_types)
        raise ValidationFailed(
            f"Unknown task type {type!r} for {connector.label}; use one of: {known}.",
            field="type",
        )
    cleaned, model = task_type.clean_options(team=team, options=options)
    if integration.tasks.filter(type=task_type.type).exists():
        raise Conflict(
            f"This integration already has a {task_type.label} task; delete it first.",
            field="type",
        )
    if (
        model is not None
        and IntegrationTask.objects.filter(model=model, type=task_type.type).exists()
    ):
        raise Conflict(
            f"Model {model.name!r} is already the target of a {task_type.label} task.",
            field="options.model",
        )
    with transaction.atomic():
        task = IntegrationTask.objects.create(
            integration=integration,
            type=task_type.type,
            options=cleaned,
            model=model,
            status=TaskStatus.PENDING,
            state=task_type.reset_state(),
            poll_state={"since": int(time.time()) - POLL_OVERLAP},
        )
    task.integration = integration
    if model is not None:
        model_touch(model)  # its records now join this task's data
    task_type.on_create(task)
    _enqueue_backfill(task)
    return task


def task_delete(*, team: Team, task: IntegrationTask) -> None:
    task_type = registry.task_type(task.type)
    if task_type is not None:
        task_type.on_delete(task)
    task.delete()
    if task.model_id is not None:
        model_touch(task.model)


def task_pause(*, team: Team, task: IntegrationTask) -> IntegrationTask:
    if task.status == TaskStatus.PAUSED:
        return task
    task.progress = {**task.progress, "paused_from": task.status}
    task.status = TaskStatus.PAUSED
    task.runner, task.lease_until = "", None
    task.save()
    _refresh_endpoint_later(task)
    return task


def task_resume(*, team: Team, task: IntegrationTask) -> IntegrationTask:
    if task.status not in (TaskStatus.PAUSED, TaskStatus.ERROR):
        raise Conflict(f"The task is {task.status}; only a paused or failed task resumes.")
    backfill_done = bool((task.state or {}).get("done"))
    task.status = TaskStatus.LIVE if backfill_done else TaskStatus.PENDING
    task.error, task.attempts = "", 0
    task.runner, task.lease_until = "", None
    task.save()
    from gather import tasks

    _refresh_endpoint_later(task)
    if backfill_done:
        transaction.on_commit(lambda: tasks.integration_task_catch_up(task.pk))
    else:
        _enqueue_backfill(task)
    return task


def task_resync(*, team: Team, task: IntegrationTask) -> IntegrationTask:
    """Start the backfill again from the newest charge (records stay joined meanwhile)."""
    task_type = registry.task_type(task.type)
    task.generation += 1
    task.status = TaskStatus.PENDING
    task.state = task_type.reset_state() if task_type else {}
    task.progress = {}
    task.error, task.attempts = "", 0
    task.runner, task.lease_until = "", None
    task.save()
    _refresh_endpoint_later(task)
    _enqueue_backfill(task)
    return task


# --- events: webhook intake, polling, processing ---------------------------------------


def webhook_receive(*, connector_type: str, integration_ref: str, body: bytes, headers):
    """Verify and durably store one webhook event. Returns (InboxEvent, is_new)."""
    integration = Integration.objects.filter(public_id=integration_ref, type=connector_type).first()
    if integration is None:
        raise NotFound("No such integration.", code="integration_not_found")
    connector = _connector(connector_type)
    verified = connector.verify_webhook(integration=integration, body=body, headers=headers)
    if verified is None:
        raise InvalidInput(
            "The webhook signature is missing, invalid or outside the time tolerance.",
            code="invalid_signature",
        )
    event, text = verified
    if problem := event_problem(event):
        raise InvalidInput(problem, code="invalid_event")
    return inbox_store(integration=integration, event=event, raw=text, source="webhook")


def _bad_text(value, limit: int) -> bool:
    return (
        not isinstance(value, str)
        or len(value) > limit
        or any(ord(c) < 32 or 0xD800 <= ord(c) <= 0xDFFF for c in value)
    )


def event_problem(event: dict) -> str | None:
    """Why a verified event cannot be stored (the inbox's columns), or None."""
    event_id = event.get("id")
    if _bad_text(event_id, EVENT_ID_MAX) or not event_id:
        return (
            f"The event id must be 1 to {EVENT_ID_MAX} characters of text without control "
            "characters."
        )
    if _bad_text(event.get("type") or "", EVENT_TYPE_MAX):
        return (
            f"The event type must be text of at most {EVENT_TYPE_MAX} characters without "
            "control characters."
        )
    created = event.get("created")
    if created is not None and (
        isinstance(created, bool) or not isinstance(created, int) or not 0 <= created < 2**53
    ):
        return "The event's created must be a Unix timestamp (whole seconds)."
    return None


def inbox_store(*, integration: Integration, event: dict, raw: str, source: str):
    try:
        with transaction.atomic():
            row = InboxEvent.objects.create(
                integration=integration,
                event_id=event["id"],
                type=str(event.get("type") or ""),
                event_created=int(event.get("created") or 0),
                source=source,
                payload=raw,
            )
        return row, True
    except IntegrityError:
        return InboxEvent.objects.get(integration=integration, event_id=event["id"]), False


def inbox_process(*, event_pk: int) -> float | None:
    """Act on one stored event once. Returns a retry delay for transient failures."""
    row = InboxEvent.objects.select_related("integration").filter(pk=event_pk).first()
    if row is None or row.processed_at is not None:
        return None
    event = orjson.loads(row.payload)
    tasks_ = [
        t
        for t in row.integration.tasks.all()
        if (tt := registry.task_type(t.type)) is not None and tt.handles(row.type)
    ]
    if any(t.status == TaskStatus.PAUSED for t in tasks_):
        return None  # kept in the inbox; processed when the task resumes
    now = timezone.now()
    try:
        for task in tasks_:
            task.integration = row.integration
            registry.task_type(task.type).handle_event(task, event)
    except SyncError as exc:
        row.attempts += 1
        row.error = exc.message
        row.save(update_fields=["attempts", "error"])
        if exc.permanent:
            for task in tasks_:
                IntegrationTask.objects.filter(pk=task.pk).update(
                    status=TaskStatus.ERROR, error=exc.message
                )
            return None
        return retry_delay(row.attempts) if row.attempts < MAX_ATTEMPTS else None
    updated = InboxEvent.objects.filter(pk=row.pk, processed_at__isnull=True).update(
        processed_at=now, attempts=row.attempts + 1, error=""
    )
    if updated:
        IntegrationTask.objects.filter(pk__in=[t.pk for t in tasks_]).update(last_synced_at=now)
    return None


def inbox_pending(*, integration_id: int) -> list[int]:
    return list(
        InboxEvent.objects.filter(integration_id=integration_id, processed_at__isnull=True)
        .order_by("event_created", "id")
        .values_list("pk", flat=True)
    )


def task_poll(*, task_pk: int) -> int:
    """Read the provider's event list since the cursor; store and process new events."""
    task = IntegrationTask.objects.select_related("integration").filter(pk=task_pk).first()
    if task is None or task.status != TaskStatus.LIVE:
        return 0
    task_type = registry.task_type(task.type)
    now = timezone.now()
    try:
        events = task_type.poll(task)
    except SyncError as exc:
        poll_state = {**task.poll_state, "error": exc.message}
        IntegrationTask.objects.filter(pk=task.pk).update(poll_state=poll_state, last_polled_at=now)
        if exc.permanent:
            IntegrationTask.objects.filter(pk=task.pk).update(
                status=TaskStatus.ERROR, error=exc.message
            )
        return 0
    new = 0
    since = int(task.poll_state.get("since") or 0)
    # Events no webhook brought although they are older than the grace period, created
    # since webhooks were expected: deliveries are failing (e.g. a wrong public URL).
    expected = task_type.webhooks_expected_since(task)
    overdue = time.time() - WEBHOOK_GRACE
    missed = dict(task.poll_state.get("missed") or {})
    for event in events:
        row, created = inbox_store(
            integration=task.integration,
            event=event,
            raw=orjson.dumps(event).decode(),
            source="poll",
        )
        if created or row.processed_at is None:
            new += created
            inbox_process(event_pk=row.pk)
        at = int(event.get("created") or 0)
        if created and expected is not None and expected <= at <= overdue:
            missed = {
                "count": int(missed.get("count", 0)) + 1,
                "newest": max(at, int(missed.get("newest", 0))),
            }
        since = max(since, at)
    poll_state = {"since": since, **({"missed": missed} if missed else {})}
    IntegrationTask.objects.filter(pk=task.pk).update(poll_state=poll_state, last_polled_at=now)
    return new


def endpoints_refresh(*, public_url: str, task_pk: int | None = None) -> None:
    """Point every task's (or one task's) provider registrations at ``public_url``."""
    tasks_ = IntegrationTask.objects.select_related("integration").order_by("id")
    if task_pk is not None:
        tasks_ = tasks_.filter(pk=task_pk)
    for task in tasks_:
        task_type = registry.task_type(task.type)
        if task_type is not None:
            task_type.refresh_endpoint(task, public_url=public_url)


def _refresh_endpoint_later(task: IntegrationTask) -> None:
    """A task action also re-points the task's webhook endpoint if the URL changed."""
    from django.conf import settings

    from gather import tasks

    url, pk = settings.PUBLIC_URL, task.pk
    transaction.on_commit(lambda: tasks.integration_endpoints_refresh(url, pk))
