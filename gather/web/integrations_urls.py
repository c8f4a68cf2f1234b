from django.urls import path

from . import integrations_pages as pages

BASE = "settings/team/integrations"

urlpatterns = [
    path(BASE, pages.integrations_index, name="integrations"),
    path(f"{BASE}/status.json", pages.integrations_status, name="integrations-status"),
    path(f"{BASE}/<slug:integration>/tasks", pages.integration_tasks, name="integration-tasks"),
    path(
        f"{BASE}/<slug:integration>/<slug:action>",
        pages.integration_action,
        name="integration-action",
    ),
    path(
        f"{BASE}/<slug:integration>/tasks/<slug:task>/<slug:action>",
        pages.task_action,
        name="integration-task-action",
    ),
]
