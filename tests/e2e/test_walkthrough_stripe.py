"""Walkthrough step 4 against a real `gather serve` (granian + embedded consumer)."""

import time

import httpx
import pytest
import stripe

from tests.e2e.conftest import start_server, stop_server
from tests.e2e.test_walkthrough import gather_cli
from tests.emulators.fixtures import _emulator_server, stripe_emulator  # noqa: F401

pytestmark = pytest.mark.slow


def wait_until(fn, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := fn():
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


@pytest.fixture
def stripe_server(transactional_db, tmp_path, stripe_emulator):  # noqa: F811
    server = start_server(tmp_path, {"GATHER_STRIPE_API_BASE": stripe_emulator.url})
    yield server
    stop_server(server)


def test_walkthrough_connect_stripe_and_sync_charges(stripe_server, stripe_emulator):  # noqa: F811
    emu = stripe_emulator
    ids = emu.seed_charges(2500)
    user = ["--email", "cs@example.com", "--password", "a long pass phrase", "--team", "Acme"]
    gather_cli(stripe_server, "init", *user)
    key = gather_cli(stripe_server, "apikey", "create", "--team", "Acme").stdout.strip()
    http = httpx.Client(
        base_url=stripe_server.base, headers={"Authorization": f"Token {key}"}, timeout=30
    )
    model_id = http.post("/api/models", json={"name": "Orders", "id_field": "id"}).json()["id"]
    records = f"/api/models/{model_id}/records"
    resp = http.post(
        records,
        content=f"id=1234&amount=75&stripe_charge_id={ids[42]}",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert resp.status_code == 201

    integ = http.post(
        "/api/integrations", json={"type": "stripe", "secret_key": "sk_test_emulator"}
    )
    assert integ.status_code == 201, integ.text
    iid = integ.json()["id"]
    task = http.post(
        f"/api/integrations/{iid}/tasks",
        json={
            "type": "sync_stripe_charges",
            "options": {"model": model_id, "charge_id_field": "stripe_charge_id"},
        },
    )
    assert task.status_code == 201, task.text
    tid = task.json()["id"]
    live = wait_until(
        lambda: (
            (t := http.get(f"/api/integrations/{iid}/tasks/{tid}").json())["status"] == "live" and t
        )
    )
    assert live["progress"]["synced"] == 2500 and live["keep_current"]["mode"] == "webhook"
    assert http.get(f"{records}/1234").json()["stripe_charge"]["id"] == ids[42]

    # A new charge and a refund reach Gather as signed webhooks from the emulator.
    sdk = stripe.StripeClient("sk_test_emulator", base_addresses={"api": emu.url})
    charge = sdk.v1.charges.create({"amount": 5000, "currency": "usd"})
    http.post(records, json={"id": "5678", "amount": 50, "stripe_charge_id": charge.id})
    wait_until(lambda: http.get(f"{records}/5678").json()["stripe_charge"])
    sdk.v1.refunds.create({"charge": charge.id, "amount": 1250})
    wait_until(
        lambda: http.get(f"{records}/5678").json()["stripe_charge"]["amount_refunded"] == 1250,
        timeout=10,
    )
    assert all(d["status"] == 200 for d in emu.deliveries)
    page = http.get(records).json()["data"]
    assert {r["id"]: r["stripe_charge"]["id"] for r in page} == {"1234": ids[42], "5678": charge.id}
    # Filter, sort and search by the charge's fields, like any other field.
    refunded = http.get(records, params={"filter[stripe_charge.amount_refunded][gt]": "0"})
    assert [r["id"] for r in refunded.json()["data"]] == ["5678"]
    by_amount = http.get(records, params={"sort": "-stripe_charge.amount"}).json()["data"]
    amounts = {"1234": emu.get_charge(ids[42])["amount"], "5678": 5000}
    assert [r["id"] for r in by_amount] == sorted(amounts, key=amounts.get, reverse=True)
    found = http.get(records, params={"q": charge.id}).json()["data"]
    assert [r["id"] for r in found] == ["5678"]
