"""A real `gather serve` process (granian + the embedded task consumer) on the test DB."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from django.db import connection


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url() -> str:
    """The URL of the database this test run uses (pytest-django's test database)."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    host = s.get("HOST") or "127.0.0.1"
    port = s.get("PORT") or 5432
    user = s.get("USER") or "postgres"
    return f"postgres://{user}@{host}:{port}/{s['NAME']}"


class Server:
    def __init__(self, base: str, process: subprocess.Popen, log: Path):
        self.base = base
        self.process = process
        self.log = log

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def start_server(tmp_path: Path, extra_env: dict | None = None, args: tuple = ()) -> Server:
    port = free_port()
    log = tmp_path / "server.log"
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "GATHER_HOME": str(tmp_path / "home"),
        "GATHER_PUBLIC_URL": f"http://127.0.0.1:{port}",
        **(extra_env or {}),
    }
    env = {k: v for k, v in env.items() if v is not None}  # None in extra_env: unset
    env.pop("GATHER_TESTING", None)
    env.pop("GATHER_TEST_DB_NAME", None)
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gather.cli",
                "serve",
                "--port",
                str(port),
                "--workers",
                "2",
                *args,
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gather serve exited:\n{log.read_text()}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return Server(base, process, log)
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"gather serve did not answer within 60 s:\n{log.read_text()}")


def stop_server(server: Server) -> None:
    import signal

    if server.process.poll() is None:
        os.killpg(server.process.pid, signal.SIGTERM)
        try:
            server.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait(timeout=10)


@pytest.fixture
def gather_server(transactional_db, tmp_path):
    server = start_server(tmp_path)
    yield server
    stop_server(server)
