"""Small helpers for integration tests (plain functions, no mocks)."""

import time

from gather.integrations.models import IntegrationTask


def connect(api, key="sk_test_emulator") -> dict:
    resp = api.post("/api/integrations", json={"type": "stripe", "secret_key": key})
    assert resp.status_code == 201, resp.content
    return resp.json()


def add_task(api, integration_id, model_id, field="stripe_charge_id") -> dict:
    resp = api.post(
        f"/api/integrations/{integration_id}/tasks",
        json={
            "type": "sync_stripe_charges",
            "options": {"model": model_id, "charge_id_field": field},
        },
    )
    assert resp.status_code == 201, resp.content
    return resp.json()


def get_task(api, integration_id, task_id) -> dict:
    resp = api.get(f"/api/integrations/{integration_id}/tasks/{task_id}")
    assert resp.status_code == 200, resp.content
    return resp.json()


def wait_for(predicate, timeout=20.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")


def task_row(task_id) -> IntegrationTask:
    return IntegrationTask.objects.get(public_id=task_id)
