"""Pytest fixtures that run Stripe-compatible servers on 127.0.0.1.

``stripe_emulator``: our emulator, one server per test session, reset before each test.
``localstripe``: stock localstripe in a subprocess (one per session, emptied per test),
stopped by its PID at the end of the session.
"""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.emulators.stripe_emulator import DEFAULT_KEY, StripeEmulator

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 20.0, proc: subprocess.Popen | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port}")


@pytest.fixture(scope="session")
def _emulator_server():
    emu = StripeEmulator().start()
    yield emu
    emu.stop()


@pytest.fixture
def stripe_emulator(_emulator_server):
    _emulator_server.reset()
    _emulator_server.retry_delay = 0.2
    return _emulator_server


@pytest.fixture(scope="session")
def _localstripe_server():
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.emulators.localstripe_server", str(port)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, proc=proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def localstripe(_localstripe_server):
    req = urllib.request.Request(_localstripe_server + "/_config/data", method="DELETE")
    urllib.request.urlopen(req, timeout=10).close()
    return _localstripe_server


@pytest.fixture
def emulator_key() -> str:
    return DEFAULT_KEY
