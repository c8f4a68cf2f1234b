"""The command line: `gather init` (idempotent) and `gather apikey create`."""

import os
import subprocess
import sys

from django.test import Client

from gather.accounts.models import ApiKey, Membership, Team
from gather.cli import main
from tests.factories import make_team

KEY_PREFIX = "gth_"


def gather(tmp_path, *args) -> subprocess.CompletedProcess:
    """`gather ...` as a user runs it: a fresh home, the embedded SQLite database."""
    env = {**os.environ, "GATHER_HOME": str(tmp_path / "home")}
    for name in ("DATABASE_URL", "GATHER_TESTING", "GATHER_TEST_DB_NAME"):
        env.pop(name, None)
    return subprocess.run(
        [sys.executable, "-m", "gather.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_init_on_a_new_machine_is_idempotent_and_apikey_prints_only_the_key(tmp_path):
    args = ("init", "--email", "Ops@Example.com", "--password", "a long passphrase")
    first = gather(tmp_path, *args, "--team", "Acme")
    assert first.returncode == 0, first.stderr
    assert first.stdout == ""
    again = gather(tmp_path, *args, "--team", "Acme")
    assert again.returncode == 0, again.stderr
    assert "already existed" in again.stderr

    made = gather(tmp_path, "apikey", "create", "--team", "Acme")
    assert made.returncode == 0, made.stderr
    lines = made.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith(KEY_PREFIX)
    assert made.stdout == lines[0] + "\n"

    import sqlite3

    db = sqlite3.connect(tmp_path / "home" / "gather.db")
    assert db.execute("SELECT count(*) FROM auth_user").fetchone() == (1,)
    assert db.execute("SELECT name FROM accounts_team").fetchall() == [("Acme",)]
    assert db.execute("SELECT count(*) FROM accounts_membership").fetchone() == (1,)
    assert db.execute("SELECT count(*) FROM accounts_apikey").fetchone() == (1,)


def test_cli_apikey_create_unknown_team_fails_without_output(tmp_path):
    gather(tmp_path, "init", "--email", "a@example.com", "--password", "a long passphrase")
    result = gather(tmp_path, "apikey", "create", "--team", "Nope")
    assert result.returncode == 2
    assert result.stdout == ""
    assert "no team named" in result.stderr


def test_cli_apikey_create_key_authenticates(db, capsys):
    team = make_team("Keyed")
    assert main(["apikey", "create", "--team", "Keyed"]) == 0
    key = capsys.readouterr().out.strip()
    assert key.startswith(KEY_PREFIX)
    assert ApiKey.objects.filter(team=team).count() == 1
    resp = Client().get("/api/models", headers={"authorization": f"Token {key}"})
    assert resp.status_code == 200


def test_cli_init_twice_in_process_keeps_one_user_and_team(db, capsys):
    args = ["init", "--email", "x@example.com", "--password", "a long passphrase"]
    assert main([*args, "--team", "Solo"]) == 0
    assert main([*args, "--team", "Solo"]) == 0
    assert Team.objects.filter(name="Solo").count() == 1
    assert Membership.objects.filter(team__name="Solo").count() == 1
    assert capsys.readouterr().out == ""
