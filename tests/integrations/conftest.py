"""Fixtures for integration tests: Stripe servers on 127.0.0.1, Gather pointed at them."""

import pytest
from huey.contrib.djhuey import HUEY

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
