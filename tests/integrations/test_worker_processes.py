"""A real `gather worker` (Huey on Redis) killed mid-backfill, and the one that resumes."""

import os
import signal
import uuid

import pytest
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
