"""/api/integrations: connect third parties (Stripe) and manage their background tasks."""

from typing import Any

from ninja import Router, Schema, Status
from pydantic import ConfigDict, Field

from gather.api.schemas import ERRORS, ErrorOut
from gather.integrations import selectors, services

router = Router(tags=["Integrations"])


class IntegrationIn(Schema):
    model_config = ConfigDict(extra="forbid")
    type: str = Field(..., examples=["stripe"])
    secret_key: str = Field(
        ...,
        examples=["sk_live_..."],
        description="Checked with Stripe at once; stored encrypted, never shown again.",
    )


class IntegrationPatch(Schema):
    model_config = ConfigDict(extra="forbid")
    webhook_secret: str | None = Field(
        None,
        description="Signing secret (whsec_...) of a webhook endpoint you created yourself; "
        '"" removes it.',
    )
    secret_key: str | None = Field(None, description="Replace the API key (checked at once).")


class TaskIn(Schema):
    model_config = ConfigDict(extra="forbid")
    type: str = Field(..., examples=["sync_stripe_charges"])
    options: dict[str, Any] = Field(
        ..., examples=[{"model": "mdl_...", "charge_id_field": "stripe_charge_id"}]
    )


class KeepCurrentOut(Schema):
    mode: str | None = None
    message: str | None = None
    webhook_url: str | None = None
    delivery_problem: str | None = Field(
        None,
        description="Set when webhooks stopped arriving while Stripe's event list has newer "
        "events (e.g. GATHER_PUBLIC_URL is not where Stripe can reach Gather).",
    )


class TaskOut(Schema):
    id: str
    type: str
    label: str
    options: dict[str, Any]
    model: dict[str, str] | None
    status: str = Field(..., description="pending | backfilling | live | error | paused")
    progress: dict[str, Any] = Field(
        ...,
        description="synced (charges written), rate (charges/s in the current run), and "
        "while it can be told: newest, position, oldest (Unix times of the newest charge, of "
        "the last one written, of the account's oldest), estimated_left and seconds_left.",
    )
    progress_text: str = Field(
        ...,
        examples=[
            "89,700 charges synced · 8,898 charges/s · back to 3 Mar 2025 · about 2 min left"
        ],
    )
    last_synced_at: str | None
    error: str | None
    keep_current: KeepCurrentOut
    created_at: str


class TaskList(Schema):
    data: list[TaskOut]


class IntegrationOut(Schema):
    id: str
    type: str
    label: str
    key_hint: str
    account: str | None
    webhook_url: str
    has_webhook_secret: bool
    created_at: str
    tasks: list[TaskOut]


class IntegrationList(Schema):
    data: list[IntegrationOut]


WRITE_ERRORS = {**ERRORS, 409: ErrorOut, 422: ErrorOut}


@router.get("/types", response={200: list[dict[str, Any]], 401: ErrorOut})
def list_types(request):
    """The connector registry: integration types, their task types and option schemas."""
    return selectors.connector_catalogue()


@router.post("", response={201: IntegrationOut, **WRITE_ERRORS, 502: ErrorOut})
def connect(request, payload: IntegrationIn):
    """Connect Stripe with a secret (sk_) or restricted (rk_) key, checked with Stripe at once.

    Errors: 422 `stripe_key_invalid` (wrong, revoked or publishable key), 502
    `stripe_unreachable` (Stripe could not be asked).
    """
    team = request.auth.team
    integration = services.integration_connect(
        team=team, type=payload.type, secret_key=payload.secret_key
    )
    return Status(201, selectors.integration_out(integration))


@router.get("", response={200: IntegrationList, 401: ErrorOut})
def list_integrations(request):
    team = request.auth.team
    return {"data": [selectors.integration_out(i) for i in selectors.integration_list(team=team)]}


@router.get("/{integration}", response={200: IntegrationOut, **ERRORS})
def get_integration(request, integration: str):
    obj = selectors.integration_get(team=request.auth.team, ref=integration)
    return selectors.integration_out(obj)


@router.patch("/{integration}", response={200: IntegrationOut, **WRITE_ERRORS, 502: ErrorOut})
def update_integration(request, integration: str, payload: IntegrationPatch):
    """Paste a webhook signing secret, or replace the API key."""
    team = request.auth.team
    obj = selectors.integration_get(team=team, ref=integration)
    obj = services.integration_update(
        team=team,
        integration=obj,
        webhook_secret=payload.webhook_secret,
        secret_key=payload.secret_key,
    )
    return selectors.integration_out(obj)


@router.delete("/{integration}", response={204: None, **ERRORS})
def delete_integration(request, integration: str):
    """Disconnect: deletes its tasks (and their Stripe webhook endpoints) and synced data."""
    team = request.auth.team
    services.integration_delete(
        team=team, integration=selectors.integration_get(team=team, ref=integration)
    )
    return Status(204, None)


@router.post("/{integration}/tasks", response={201: TaskOut, **WRITE_ERRORS})
def create_task(request, integration: str, payload: TaskIn):
    """Add a task, e.g. Sync Stripe Charges; its backfill starts in the background."""
    team = request.auth.team
    obj = selectors.integration_get(team=team, ref=integration)
    task = services.task_create(
        team=team, integration=obj, type=payload.type, options=payload.options
    )
    return Status(201, selectors.task_out(task))


@router.get("/{integration}/tasks", response={200: TaskList, **ERRORS})
def list_tasks(request, integration: str):
    team = request.auth.team
    obj = selectors.integration_get(team=team, ref=integration)
    return {
        "data": [selectors.task_out(t) for t in selectors.task_list(team=team, integration=obj)]
    }


def _task(request, integration: str, task: str):
    team = request.auth.team
    obj = selectors.integration_get(team=team, ref=integration)
    return team, selectors.task_get(team=team, integration=obj, ref=task)


@router.get("/{integration}/tasks/{task}", response={200: TaskOut, **ERRORS})
def get_task(request, integration: str, task: str):
    """Status, progress (charges synced, rate), last sync time and last error."""
    return selectors.task_out(_task(request, integration, task)[1])


@router.post("/{integration}/tasks/{task}/pause", response={200: TaskOut, **ERRORS})
def pause_task(request, integration: str, task: str):
    team, obj = _task(request, integration, task)
    return selectors.task_out(services.task_pause(team=team, task=obj))


@router.post("/{integration}/tasks/{task}/resume", response={200: TaskOut, **ERRORS, 409: ErrorOut})
def resume_task(request, integration: str, task: str):
    team, obj = _task(request, integration, task)
    return selectors.task_out(services.task_resume(team=team, task=obj))


@router.post("/{integration}/tasks/{task}/resync", response={200: TaskOut, **ERRORS})
def resync_task(request, integration: str, task: str):
    """Re-sync from scratch: the backfill starts again from the newest charge."""
    team, obj = _task(request, integration, task)
    return selectors.task_out(services.task_resync(team=team, task=obj))


@router.delete("/{integration}/tasks/{task}", response={204: None, **ERRORS})
def delete_task(request, integration: str, task: str):
    """Delete the task, its Stripe webhook endpoint and its synced charges."""
    team, obj = _task(request, integration, task)
    services.task_delete(team=team, task=obj)
    return Status(204, None)
