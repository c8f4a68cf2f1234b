"""End to end with real consumers: the guide's walk, and a worker killed mid-backfill."""

import os
import signal
import uuid

import pytest
import stripe
from django.db import connection
from huey import RedisHuey

from gather.integrations.models import IntegrationTask
from gather.integrations.stripe.models import StripeCharge
from tests.integrations.helpers import add_task, connect, get_task, task_row, wait_for


@pytest.fixture
def worker_env(settings, stripe_emulator, transactional_db):
    settings.STRIPE_API_BASE = stripe_emulator.url
    stripe_emulator.retry_delay = 0.1
    return stripe_emulator


@pytest.mark.slow
def test_guide_walkthrough_with_embedded_consumer(
    api, worker_env, live_server, settings, gather_worker
):
    """Model, records via the API, connect, task, backfill of thousands, webhooks, join."""
    from huey.contrib.djhuey import HUEY

    assert not HUEY.immediate and not settings.REDIS_URL  # SQLite task storage, real consumer
    settings.PUBLIC_URL = live_server.url
    emu = worker_env
    ids = emu.seed_charges(3000)
    model = api.post("/api/models", json={"name": "Orders", "type": "custom", "id_field": "id"})
    model_id = model.json()["id"]
    url = f"/api/models/{model_id}/records"
    resp = api.post(url, data="id=1234&amount=75&stripe_charge_id=" + ids[10])
    assert resp.status_code == 201
    for i in range(20):
        api.post(url, json={"id": f"o{i}", "amount": i, "stripe_charge_id": ids[i * 100]})
    gather_worker(GATHER_HOME=os.environ["GATHER_HOME"])
    integ = connect(api)
    task = add_task(api, integ["id"], model_id)
    got = wait_for(
        lambda: (t := get_task(api, integ["id"], task["id"]))["status"] == "live" and t,
        timeout=60,
    )
    assert got["progress"]["synced"] == 3000 and got["error"] is None
    assert api.get(f"{url}/1234").json()["stripe_charge"]["id"] == ids[10]

    # A new charge arrives after the record that names it, then a refund: by webhook.
    c = stripe.StripeClient("sk_test_emulator", base_addresses={"api": emu.url})
    api.post(url, json={"id": "new", "amount": 99})
    charge = c.v1.charges.create({"amount": 9900, "currency": "eur", "description": "late"})
    api.post(url, json={"id": "new", "stripe_charge_id": charge.id})
    wait_for(lambda: (api.get(f"{url}/new").json()["stripe_charge"] or {}).get("id") == charge.id)
    c.v1.refunds.create({"charge": charge.id, "amount": 900})
    wait_for(
        lambda: api.get(f"{url}/new").json()["stripe_charge"]["amount_refunded"] == 900,
        timeout=10,
    )
    rec = api.get(f"{url}/new").json()
    assert rec["stripe_charge"]["currency"] == "eur" and rec["stripe_charge"]["refunded"] is False
    assert {d["status"] for d in emu.deliveries} == {200}
    listed = api.get(url, {"limit": 100}).json()["data"]
    joined = [r for r in listed if r["stripe_charge"]]
    assert len(joined) == 22


@pytest.mark.slow
def test_killed_worker_resumes_from_checkpoint_on_redis(
    request, api, orders, worker_env, gather_worker
):
    """A real `gather worker` (Huey on Redis) is killed mid-backfill; the next one resumes."""
    from gather.integrations.runner import LEASE_SECONDS
    from gather.integrations.stripe.streams import PAGE_SIZE, PREFETCH_PAGES

    emu = worker_env
    total = 30_000
    emu.seed_charges(total)
    integ = connect(api)
    task = add_task(api, integ["id"], orders.public_id)  # queued in this process's storage
    env = {"REDIS_URL": "redis://127.0.0.1:6379/0", "GATHER_HUEY_NAME": f"t{uuid.uuid4().hex}"}
    request.addfinalizer(
        lambda: RedisHuey(env["GATHER_HUEY_NAME"], url=env["REDIS_URL"]).storage.flush_all()
    )
    first = gather_worker(**env)  # picks up the pending backfill at start-up
    wait_for(lambda: task_row(task["id"]).progress.get("synced", 0) >= 3000, timeout=60)
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    row = task_row(task["id"])
    assert row.status == "backfilling" and not row.state.get("done")
    stored_at_kill = StripeCharge.objects.count()
    assert stored_at_kill == row.progress["synced"] < total
    listed_at_kill = emu.listed_charges

    gather_worker(**env)
    got = wait_for(
        lambda: (t := get_task(api, integ["id"], task["id"]))["status"] == "live" and t,
        timeout=60 + LEASE_SECONDS,
    )
    assert got["progress"]["synced"] == total
    assert StripeCharge.objects.count() == total
    with connection.cursor() as cur:
        cur.execute("SELECT COUNT(DISTINCT charge_id) FROM gather_stripe_charge")
        assert cur.fetchone()[0] == total
    # Resumed after the checkpoint: the second worker listed only what was not yet stored
    # (plus at most the pages the first had fetched ahead but not written).
    listed_after = emu.listed_charges - listed_at_kill
    assert listed_after <= total - stored_at_kill + 100
    # Fetched but never written: the queue, the page in hand and one being put.
    ahead = (PREFETCH_PAGES + 2) * PAGE_SIZE
    assert emu.listed_charges <= total + 1 + ahead
    assert IntegrationTask.objects.get(pk=row.pk).runner == ""
