from django.urls import path

from . import integrations_pages as pages

urlpatterns = [
    path("", pages.integrations_index, name="integrations"),
    path("/<slug:integration>/tasks", pages.integration_tasks, name="integration-tasks"),
    path("/<slug:integration>/<slug:action>", pages.integration_action, name="integration-action"),
    path(
        "/<slug:integration>/tasks/<slug:task>/<slug:action>",
        pages.task_action,
        name="integration-task-action",
    ),
]
