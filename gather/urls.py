from django.db import connection
from django.http import JsonResponse
from django.urls import include, path

from gather.api import api
from gather.integrations.webhooks import webhook_receive


def healthz(request):
    with connection.cursor() as cur:
        cur.execute("SELECT 1")
    return JsonResponse({"status": "ok", "database": connection.vendor})


urlpatterns = [
    path("api/", api.urls),
    path("healthz", healthz, name="healthz"),
    path("webhooks/<slug:connector>/<slug:integration>", webhook_receive, name="webhook"),
    path("", include("gather.web.integrations_urls")),
    path("", include("gather.web.settings_urls")),
    path("", include("gather.web.urls")),
]

handler404 = "gather.web.pages.not_found"
