"""What a terminal running Gather prints: libraries at WARNING unless GATHER_LOG_LEVEL=DEBUG."""

import os
import subprocess
import sys

import httpx
import pytest

from tests.e2e.conftest import start_server, stop_server
from tests.emulators.fixtures import _emulator_server, stripe_emulator  # noqa: F401

# A process configured like `gather serve`/`gather worker`: one Stripe request through
# Gather's client, then a line from huey, urllib3 and Gather's own code.
SCRIPT = """
import logging, os, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gather.settings")
django.setup()
from gather.integrations.stripe.client import get, stripe_client
get(stripe_client("sk_test_emulator"), "/v1/charges", limit=1)
logging.getLogger("huey.consumer").info("huey says hello")
logging.getLogger("urllib3.connectionpool").info("urllib3 says hello")
logging.getLogger("gather.integrations.runner").info("gather says hello")
"""


def run_logged(tmp_path, emulator_url, **env) -> str:
    full = {
        **os.environ,
        "GATHER_HOME": str(tmp_path / "home"),
        "GATHER_STRIPE_API_BASE": emulator_url,
        **env,
    }
    for name in ("GATHER_TESTING", "GATHER_TEST_DB_NAME", "GATHER_LOG_LEVEL", "STRIPE_LOG"):
        if name not in env:
            full.pop(name, None)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=full, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout + done.stderr


def test_logging_libraries_stay_quiet_by_default(tmp_path, stripe_emulator):  # noqa: F811
    out = run_logged(tmp_path, stripe_emulator.url)
    assert "gather says hello" in out
    assert "stripe" not in out.lower()
    assert "huey says hello" not in out and "urllib3 says hello" not in out


def test_logging_debug_shows_library_lines(tmp_path, stripe_emulator):  # noqa: F811
    out = run_logged(tmp_path, stripe_emulator.url, GATHER_LOG_LEVEL="debug")
    assert "INFO stripe: " in out and "/v1/charges" in out
    assert "huey says hello" in out and "urllib3 says hello" in out
    assert "gather says hello" in out


def test_logging_warning_level_hides_gather_info_too(tmp_path, stripe_emulator):  # noqa: F811
    out = run_logged(tmp_path, stripe_emulator.url, GATHER_LOG_LEVEL="WARNING")
    assert "hello" not in out and "stripe" not in out.lower()


def test_logging_unknown_level_is_a_clear_error(tmp_path, stripe_emulator):  # noqa: F811
    env = {**os.environ, "GATHER_HOME": str(tmp_path / "home"), "GATHER_LOG_LEVEL": "loud"}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0
    assert "GATHER_LOG_LEVEL='LOUD': use DEBUG, INFO, WARNING, ERROR or CRITICAL." in done.stderr


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("level", ["", "DEBUG"])
def test_serve_access_log_only_at_debug(tmp_path, level):
    server = start_server(tmp_path, {"GATHER_LOG_LEVEL": level} if level else {})
    try:
        assert httpx.get(f"{server.base}/healthz?probe=1", timeout=10).status_code == 200
    finally:
        stop_server(server)
    assert ('"GET /healthz' in server.output()) is (level == "DEBUG")
