"""``POST /webhooks/<connector>/<integration>``: verify, store, answer, process later."""

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from gather.core.errors import GatherError

from . import services

MAX_BODY = 1024 * 1024


@csrf_exempt
@require_POST
def webhook_receive(request, connector: str, integration: str):
    if len(request.body) > MAX_BODY:
        return JsonResponse(
            {"error": {"code": "too_large", "message": "The event is too large."}}, status=413
        )
    try:
        row, is_new = services.webhook_receive(
            connector_type=connector,
            integration_ref=integration,
            body=request.body,
            headers=request.headers,
        )
    except GatherError as exc:
        return JsonResponse(exc.as_dict(), status=exc.status)
    if is_new:
        from gather import tasks

        tasks.integration_event_process(row.pk)
    return JsonResponse({"received": True, "duplicate": not is_new})
