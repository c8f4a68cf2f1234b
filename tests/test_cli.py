"""The `gather` command line, run as a real process against the test database."""

import os
import subprocess
import sys

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from gather.accounts.models import Membership, Team
from tests.e2e.conftest import database_url
from tests.factories import make_model


def gather(*args) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url()}
    env.pop("GATHER_TESTING", None)
    env.pop("GATHER_TEST_DB_NAME", None)
    return subprocess.run(
        [sys.executable, "-m", "gather.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.django_db(transaction=True)
def test_cli_init_is_idempotent():
    args = ("init", "--email", "Ops@Example.com", "--password", "a long passphrase")
    first = gather(*args, "--team", "Acme")
    assert first.returncode == 0, first.stderr
    second = gather(*args, "--team", "Acme")
    assert second.returncode == 0, second.stderr
    assert "already existed" in second.stderr
    assert get_user_model().objects.filter(username="ops@example.com").count() == 1
    assert Team.objects.filter(name="Acme").count() == 1
    assert Membership.objects.filter(team__name="Acme").count() == 1


@pytest.mark.django_db(transaction=True)
def test_cli_init_rejects_bad_email():
    result = gather("init", "--email", "nope", "--password", "x")
    assert result.returncode == 2
    assert result.stdout == ""


@pytest.mark.django_db(transaction=True)
def test_cli_apikey_create_prints_only_a_working_key():
    assert gather("init", "--email", "a@example.com", "--password", "pw pw pw", "--team", "Acme")
    result = gather("apikey", "create", "--team", "Acme")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    key = lines[0]
    assert key.startswith("gth_") and " " not in key
    model = make_model(Team.objects.get(name="Acme"))
    resp = Client().post(
        f"/api/models/{model.public_id}/records",
        "id=1234&amount=75",
        content_type="application/x-www-form-urlencoded",
        headers={"authorization": f"Token {key}"},
    )
    assert resp.status_code == 201


@pytest.mark.django_db(transaction=True)
def test_cli_apikey_create_unknown_team_fails_cleanly():
    result = gather("apikey", "create", "--team", "Nobody")
    assert result.returncode == 2
    assert result.stdout == ""
    assert "no team" in result.stderr
