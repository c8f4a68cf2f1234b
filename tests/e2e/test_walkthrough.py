"""The walkthrough of DESIGN.md against a real server process, as a new user does it."""

import subprocess
import sys

import httpx
import pytest

pytestmark = pytest.mark.slow


def gather_cli(server, *args) -> subprocess.CompletedProcess:
    import os

    from tests.e2e.conftest import database_url

    env = {**os.environ, "DATABASE_URL": database_url()}
    env.pop("GATHER_TESTING", None)
    return subprocess.run(
        [sys.executable, "-m", "gather.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


def test_walkthrough_model_key_and_guide_curl(gather_server):
    base = gather_server.base
    gather_cli(
        gather_server,
        "init",
        "--email",
        "cs@example.com",
        "--password",
        "a long passphrase",
        "--team",
        "Acme",
    )
    # idempotent
    gather_cli(
        gather_server,
        "init",
        "--email",
        "cs@example.com",
        "--password",
        "a long passphrase",
        "--team",
        "Acme",
    )
    key = gather_cli(gather_server, "apikey", "create", "--team", "Acme").stdout.strip()
    assert key.startswith("gth_") and "\n" not in key
    auth = {"Authorization": f"Token {key}"}

    with httpx.Client(base_url=base, headers=auth, timeout=10) as http:
        created = http.post(
            "/api/models", json={"name": "Orders", "type": "custom", "id_field": "id"}
        )
        assert created.status_code == 201, created.text
        model_id = created.json()["id"]

        # exactly the guide's curl: -d id=1234 -d amount=75 -d stripe_charge_id=ch_4567
        resp = http.post(
            f"/api/models/{model_id}/records",
            content="id=1234&amount=75&stripe_charge_id=ch_4567",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert resp.status_code == 201, resp.text
        assert resp.json()["data"] == {"id": "1234", "amount": "75", "stripe_charge_id": "ch_4567"}

        got = http.get(f"/api/models/{model_id}/records/1234")
        assert got.status_code == 200
        assert got.json()["data"]["amount"] == "75"

        fields = {
            f["name"]: f["type"] for f in http.get(f"/api/models/{model_id}").json()["fields"]
        }
        assert fields["amount"] == "number"
        assert fields["id"] == "string"

    # the login page the server printed is there
    assert "Gather is running at" in gather_server.output()
    assert httpx.get(f"{base}/login", timeout=10).status_code == 200
