"""Reads of integrations and their tasks, scoped by team."""

from django.conf import settings

from gather.accounts.models import Team
from gather.core.errors import NotFound
from gather.core.timestamps import rfc3339
from gather.records.models import DataModel

from . import registry
from .models import Integration, IntegrationTask
from .progress import RUNNING, estimate_left, progress_text, seconds_left


def integration_list(*, team: Team) -> list[Integration]:
    return list(Integration.objects.filter(team=team).order_by("id"))


def integration_get(*, team: Team, ref: str) -> Integration:
    integration = Integration.objects.filter(team=team, public_id=ref).first()
    if integration is None:
        raise NotFound(f"No integration {ref!r} in this team.", code="integration_not_found")
    return integration


def task_list(*, team: Team, integration: Integration) -> list[IntegrationTask]:
    return list(integration.tasks.order_by("id"))


def task_list_for_model(*, team: Team, model: DataModel) -> list[dict]:
    """The team's integration tasks that write into ``model`` (they go when the model
    goes): label, the integration they belong to, and the page that shows them."""
    tasks = IntegrationTask.objects.filter(integration__team=team, model=model)
    out = []
    for task in tasks.select_related("integration").order_by("id"):
        task_type = registry.task_type(task.type)
        connector = registry.connector(task.integration.type)
        out.append(
            {
                "id": task.public_id,
                "label": task_type.label if task_type else task.type,
                "integration": {
                    "id": task.integration.public_id,
                    "label": connector.label if connector else task.integration.type,
                    "key_hint": task.integration.key_hint,
                },
            }
        )
    return out


def task_get(*, team: Team, integration: Integration, ref: str) -> IntegrationTask:
    task = integration.tasks.filter(public_id=ref).first()
    if task is None:
        raise NotFound(f"No task {ref!r} on this integration.", code="task_not_found")
    task.integration = integration
    return task


def task_out(task: IntegrationTask) -> dict:
    task_type = registry.task_type(task.type)
    model = None
    if task.model_id:
        model = DataModel.objects.filter(pk=task.model_id).values("public_id", "name").first()
    progress = dict(task.progress or {})
    if progress.get("phase") == "backfill" and not progress.get("finished_at"):
        progress["estimated_left"] = estimate_left(progress)
        progress["seconds_left"] = seconds_left(progress) if task.status in RUNNING else None
    out = {
        "id": task.public_id,
        "type": task.type,
        "label": task_type.label if task_type else task.type,
        "options": task.options,
        "model": {"id": model["public_id"], "name": model["name"]} if model else None,
        "status": task.status,
        "progress": progress,
        "progress_text": progress_text(
            task.progress, task.status, task_type.unit if task_type else "items"
        ),
        "last_synced_at": rfc3339(task.last_synced_at),
        "error": task.error or None,
        "keep_current": task_type.describe(task) if task_type else {},
        "created_at": rfc3339(task.created_at),
    }
    return out


def integration_out(integration: Integration, *, with_tasks: bool = True) -> dict:
    connector = registry.connector(integration.type)
    path = connector.webhook_path(integration) if connector else ""
    out = {
        "id": integration.public_id,
        "type": integration.type,
        "label": connector.label if connector else integration.type,
        "key_hint": integration.key_hint,
        "account": integration.account or None,
        "webhook_url": settings.PUBLIC_URL + path,
        "has_webhook_secret": bool(integration.webhook_secret_encrypted),
        "created_at": rfc3339(integration.created_at),
    }
    if with_tasks:
        tasks = list(integration.tasks.order_by("id"))
        for t in tasks:
            t.integration = integration
        out["tasks"] = [task_out(t) for t in tasks]
    return out


def connector_catalogue() -> list[dict]:
    return [
        {
            "type": c.type,
            "label": c.label,
            "task_types": [
                {
                    "type": t.type,
                    "label": t.label,
                    "description": t.description,
                    "options": [o.as_dict() for o in t.options],
                }
                for t in c.task_types
            ],
        }
        for c in registry.connectors()
    ]
