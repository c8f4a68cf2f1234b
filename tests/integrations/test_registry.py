"""The connector registry is the extension point: a second connector is one new class."""

import pytest

from gather.integrations import registry
from gather.integrations.models import IntegrationTask
from gather.integrations.registry import Connector, OptionSpec, SyncError, TaskType


class CountTask(TaskType):
    """A stream over numbers 0..n-1, ``page`` at a time, cursor = next number."""

    type = "count_numbers"
    label = "Count Numbers"
    options = (
        OptionSpec("model", "Model ID", "model"),
        OptionSpec("upto", "Up to", "text"),
        OptionSpec("note", "Note", "text", required=False),
    )
    seen: list[int] = []
    failed = False

    def backfill(self, ctx):
        n, page = int(ctx.task.options["upto"]), 7
        start = ctx.state.get("next", 0)
        while start < n:
            batch = list(range(start, min(n, start + page)))
            if ctx.task.options.get("note") == "fail" and start >= 14 and not self.failed:
                CountTask.failed = True  # once: the provider recovers
                raise SyncError("The numbers ran out for a moment.")
            ctx.checkpoint(
                state={**ctx.state, "next": batch[-1] + 1},
                synced=len(batch),
                write=lambda b=batch: self.seen.extend(b),
            )
            start = batch[-1] + 1


class CountConnector(Connector):
    type = "counter"
    label = "Counter"
    task_types = (CountTask(),)

    def check(self, *, secret_key):
        if secret_key != "let me in":
            from gather.core.errors import ValidationFailed

            raise ValidationFailed("Wrong key.", field="secret_key")
        return {"key_hint": "let…", "secret_key": secret_key}


@pytest.fixture
def counter(stripe_env):
    registry.register(CountConnector())
    CountTask.seen, CountTask.failed = [], False
    yield
    registry._REGISTRY.connectors.pop("counter")


def test_registry_runs_a_second_connector_through_the_same_framework(api, orders, counter):
    types = {t["type"] for t in api.get("/api/integrations/types").json()}
    assert types == {"stripe", "counter"}
    resp = api.post("/api/integrations", json={"type": "counter", "secret_key": "nope"})
    assert resp.status_code == 422
    integ = api.post("/api/integrations", json={"type": "counter", "secret_key": "let me in"})
    iid = integ.json()["id"]
    resp = api.post(
        f"/api/integrations/{iid}/tasks",
        json={"type": "count_numbers", "options": {"model": orders.public_id}},
    )
    assert resp.status_code == 422 and resp.json()["error"]["field"] == "options.upto"
    resp = api.post(
        f"/api/integrations/{iid}/tasks",
        json={"type": "count_numbers", "options": {"model": orders.public_id, "upto": "30"}},
    )
    assert resp.status_code == 201
    got = api.get(f"/api/integrations/{iid}/tasks/{resp.json()['id']}").json()
    assert got["status"] == "live" and got["progress"]["synced"] == 30
    assert CountTask.seen == list(range(30))


def test_runner_resumes_a_failed_stream_from_its_checkpoint(api, orders, counter):
    from gather.integrations.runner import task_backfill

    iid = api.post("/api/integrations", json={"type": "counter", "secret_key": "let me in"})
    iid = iid.json()["id"]
    options = {"model": orders.public_id, "upto": "30", "note": "fail"}
    tid = api.post(
        f"/api/integrations/{iid}/tasks", json={"type": "count_numbers", "options": options}
    ).json()["id"]
    got = api.get(f"/api/integrations/{iid}/tasks/{tid}").json()
    assert got["status"] == "backfilling" and got["progress"]["synced"] == 14
    assert got["error"].startswith("The numbers ran out for a moment. Retrying in 2 s")
    assert task_backfill(task_pk=IntegrationTask.objects.get(public_id=tid).pk) is None
    got = api.get(f"/api/integrations/{iid}/tasks/{tid}").json()
    assert got["status"] == "live" and got["error"] is None
    assert CountTask.seen == list(range(30))  # nothing twice, nothing missing
