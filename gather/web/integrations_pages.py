"""Settings → Integrations: connect Stripe, Edit Tasks, task status and actions."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from gather.core.errors import GatherError
from gather.integrations import selectors, services
from gather.records.selectors import model_list

INDEX = "/settings/team/integrations"


def _team(request):
    if request.team is None:
        raise Http404("No team")
    return request.team


def _integration(request, ref):
    try:
        return selectors.integration_get(team=_team(request), ref=ref)
    except GatherError:
        raise Http404("No such integration") from None


def _task(request, ref, task_ref):
    integration = _integration(request, ref)
    try:
        return selectors.task_get(team=request.team, integration=integration, ref=task_ref)
    except GatherError:
        raise Http404("No such task") from None


def _busy(integrations: list[dict]) -> bool:
    return any(t["status"] in ("pending", "backfilling") for i in integrations for t in i["tasks"])


@login_required
@require_http_methods(["GET"])
def integrations_status(request):
    """The team's tasks as JSON for the pages' progress updates (integrations.js)."""
    team = _team(request)
    integrations = [selectors.integration_out(i) for i in selectors.integration_list(team=team)]
    tasks = [
        {
            "id": t["id"],
            "integration": i["id"],
            "status": t["status"],
            "progress_text": t["progress_text"],
            "synced": int(t["progress"].get("synced") or 0),
            "last_synced_at": t["last_synced_at"],
            "error": t["error"],
            "keep_current": t["keep_current"],
        }
        for i in integrations
        for t in i["tasks"]
    ]
    response = JsonResponse({"busy": _busy(integrations), "tasks": tasks})
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def integrations_index(request):
    team = _team(request)
    error = None
    if request.method == "POST":
        try:
            integration = services.integration_connect(
                team=team,
                type=request.POST.get("type", "stripe"),
                secret_key=request.POST.get("secret_key", ""),
            )
        except GatherError as exc:
            error = exc.message
        else:
            messages.success(request, f"Stripe connected ({integration.key_hint}).")
            return redirect(f"{INDEX}/{integration.public_id}/tasks")
    integrations = [selectors.integration_out(i) for i in selectors.integration_list(team=team)]
    return render(
        request,
        "integrations/index.html",
        {
            "integrations": integrations,
            "catalogue": selectors.connector_catalogue(),
            "error": error,
            "refresh": _busy(integrations),
        },
        status=422 if error else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def integration_tasks(request, integration):
    team = _team(request)
    obj = _integration(request, integration)
    error = None
    form = {}
    if request.method == "POST":
        fields = ("type", "model", "charge_id_field", "customer_id_field")
        form = {k: request.POST.get(k, "") for k in fields}
        # Each task type takes the model and its own ID field (the form shows both).
        id_field = (
            "customer_id_field" if form["type"] == "sync_stripe_customers" else ("charge_id_field")
        )
        try:
            services.task_create(
                team=team,
                integration=obj,
                type=form["type"],
                options={"model": form["model"], id_field: form[id_field]},
            )
        except GatherError as exc:
            error = exc.message
        else:
            messages.success(request, "Task added: the backfill runs in the background.")
            return redirect(f"{INDEX}/{obj.public_id}/tasks")
    out = selectors.integration_out(obj)
    catalogue = next(c for c in selectors.connector_catalogue() if c["type"] == obj.type)
    models = model_list(team=team)
    return render(
        request,
        "integrations/tasks.html",
        {
            "integration": out,
            "task_types": catalogue["task_types"],
            "models": models,
            "account_model": _account_model(models),
            "form": form,
            "error": error,
            "refresh": _busy([out]),
        },
        status=422 if error else 200,
    )


def _account_model(models) -> str:
    """The team's Account model (what Sync Stripe Customers proposes), or ''."""
    for m in models:
        if m.type == "account":  # the standard Account model every team has
            return m.public_id
    for m in models:
        if m.slug in ("accounts", "account") or m.name.strip().lower() in ("accounts", "account"):
            return m.public_id
    return ""


@login_required
@require_POST
def integration_action(request, integration, action):
    team = _team(request)
    obj = _integration(request, integration)
    try:
        if action == "webhook-secret":
            services.integration_update(
                team=team, integration=obj, webhook_secret=request.POST.get("webhook_secret", "")
            )
            messages.success(request, "Signing secret saved.")
        elif action == "key":
            obj = services.integration_update(
                team=team, integration=obj, secret_key=request.POST.get("secret_key", "")
            )
            stopped = obj.tasks.filter(status__in=("error", "paused")).exists()
            hint = " Resume a stopped task: it continues where it stopped." if stopped else ""
            messages.success(request, f"Key updated ({obj.key_hint}).{hint}")
        elif action == "disconnect":
            services.integration_delete(team=team, integration=obj)
            messages.success(request, "Stripe disconnected; its tasks and synced data are gone.")
            return redirect(INDEX)
        else:
            raise Http404("Unknown action")
    except GatherError as exc:
        messages.error(request, exc.message)
    return redirect(f"{INDEX}/{obj.public_id}/tasks")


TASK_ACTIONS = {
    "pause": (services.task_pause, "Task paused."),
    "resume": (services.task_resume, "Task resumed."),
    "resync": (services.task_resync, "Re-sync started from scratch."),
}


@login_required
@require_POST
def task_action(request, integration, task, action):
    team = _team(request)
    obj = _task(request, integration, task)
    try:
        if action == "delete":
            services.task_delete(team=team, task=obj)
            messages.success(request, "Task deleted, with its webhook endpoint and synced data.")
        elif action in TASK_ACTIONS:
            service, done = TASK_ACTIONS[action]
            service(team=team, task=obj)
            messages.success(request, done)
        else:
            raise Http404("Unknown action")
    except GatherError as exc:
        messages.error(request, exc.message)
    return redirect(f"{INDEX}/{integration}/tasks")
