"""Fixtures for integration tests: Stripe servers on 127.0.0.1, Gather pointed at them."""

import pytest
from huey.contrib.djhuey import HUEY

from tests.e2e.conftest import database_url
from tests.emulators.fixtures import (  # noqa: F401
    _emulator_server,
    _localstripe_server,
    emulator_key,
    localstripe,
    stripe_emulator,
)


@pytest.fixture
def immediate_tasks():
    """Run Huey tasks in-process as they are enqueued (unit tests; e2e uses a consumer)."""
    previous = HUEY.immediate
    HUEY.immediate = True
    yield HUEY
    HUEY.immediate = previous


@pytest.fixture
def stripe_env(settings, stripe_emulator, transactional_db, immediate_tasks):  # noqa: F811
    settings.STRIPE_API_BASE = stripe_emulator.url
    settings.PUBLIC_URL = "http://127.0.0.1:9"  # nothing listens: deliveries fail quietly
    stripe_emulator.retry_delay = 0.01
    stripe_emulator.delivery_retries = 1
    return stripe_emulator


@pytest.fixture
def gather_worker(transactional_db, settings):
    """Start real ``gather worker`` processes on the test database; stopped by PID."""
    import os
    import subprocess
    import sys

    procs = []

    def start(**env):
        full = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "GATHER_STRIPE_API_BASE": settings.STRIPE_API_BASE,
            "GATHER_PUBLIC_URL": settings.PUBLIC_URL,
            "GATHER_LOG_LEVEL": "WARNING",
            **env,
        }
        full.pop("GATHER_TEST_DB_NAME", None)
        proc = subprocess.Popen(
            [sys.executable, "-m", "gather.cli", "worker", "--workers", "2"],
            env=full,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture
def accounts(team):
    """An Accounts model (what Sync Stripe Customers typically targets)."""
    from tests.factories import make_model

    return make_model(team, "Accounts", "id")
