"""The embedded mode's data files are readable by their owner only, like ``secret_key``."""

import os
import stat
import subprocess
import sys

import pytest

from tests.e2e.conftest import database_url


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def _migrate(home, database: str | None) -> None:
    env = {**os.environ, "GATHER_HOME": str(home)}
    env.pop("GATHER_TESTING", None)
    env.pop("GATHER_TEST_DB_NAME", None)
    env.pop("REDIS_URL", None)
    env.pop("DATABASE_URL", None)
    if database:
        env["DATABASE_URL"] = database
    result = subprocess.run(
        [sys.executable, "-m", "gather.cli", "migrate", "--verbosity", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        # The usual umask: files would be 0644 if Gather did not ask for less.
        preexec_fn=lambda: os.umask(0o022),
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.django_db(transaction=True)
def test_embedded_database_and_task_queue_are_created_0600(tmp_path):
    home = tmp_path / "home"
    _migrate(home, None)
    for name in ("secret_key", "gather.db", "tasks.db"):
        assert (home / name).exists(), name
        assert _mode(home / name) == 0o600, f"{name} is {oct(_mode(home / name))}"
    for extra in home.glob("*.db-*"):  # SQLite's -wal and -shm follow the database's mode
        assert _mode(extra) == 0o600, f"{extra.name} is {oct(_mode(extra))}"


@pytest.mark.django_db(transaction=True)
def test_task_queue_is_created_0600_next_to_the_test_database(tmp_path):
    """With DATABASE_URL set (this run's SQLite or PostgreSQL), tasks.db is still private."""
    home = tmp_path / "home"
    _migrate(home, database_url())
    assert _mode(home / "tasks.db") == 0o600
