"""`gather serve --port P` without GATHER_PUBLIC_URL: Stripe's webhooks reach port P, and a
restart on another port re-points the endpoint (a real server, the emulator delivering)."""

import httpx
import pytest
import stripe

from tests.e2e.conftest import start_server, stop_server
from tests.e2e.test_walkthrough import gather_cli
from tests.e2e.test_walkthrough_stripe import wait_until
from tests.emulators.fixtures import _emulator_server, stripe_emulator  # noqa: F401

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_serve_webhooks_follow_the_port_across_restarts(tmp_path, stripe_emulator):  # noqa: F811
    emu = stripe_emulator
    (charge_id,) = emu.seed_charges(1)
    env = {"GATHER_STRIPE_API_BASE": emu.url, "GATHER_PUBLIC_URL": None}
    server = start_server(tmp_path, env)
    try:
        assert f"Stripe webhooks go to {server.base}/webhooks/stripe/" in server.output()
        user = ["--email", "ops@example.com", "--password", "a long pass phrase"]
        gather_cli(server, "init", *user, "--team", "Acme")
        key = gather_cli(server, "apikey", "create", "--team", "Acme").stdout.strip()
        http = httpx.Client(
            base_url=server.base, headers={"Authorization": f"Token {key}"}, timeout=30
        )
        model = http.post("/api/models", json={"name": "Orders", "id_field": "id"}).json()["id"]
        iid = http.post(
            "/api/integrations", json={"type": "stripe", "secret_key": "sk_test_emulator"}
        ).json()["id"]
        options = {"model": model, "charge_id_field": "stripe_charge_id"}
        body = {"type": "sync_stripe_charges", "options": options}
        task = http.post(f"/api/integrations/{iid}/tasks", json=body).json()
        (endpoint,) = emu.endpoints.values()
        assert endpoint["url"] == f"{server.base}/webhooks/stripe/{iid}"
        sdk = stripe.StripeClient("sk_test_emulator", base_addresses={"api": emu.url})
        sdk.v1.refunds.create({"charge": charge_id, "amount": 100})
        wait_until(lambda: [d["status"] for d in emu.deliveries] == [200], timeout=30)
    finally:
        stop_server(server)

    server = start_server(tmp_path, env)  # another free port, the same data
    try:
        moved = f"{server.base}/webhooks/stripe/{iid}"
        wait_until(lambda: endpoint["url"] == moved, timeout=30)
        assert list(emu.endpoints) == [endpoint["id"]]
        sdk.v1.refunds.create({"charge": charge_id, "amount": 100})
        wait_until(lambda: [d["status"] for d in emu.deliveries] == [200, 200], timeout=30)
        http = httpx.Client(
            base_url=server.base, headers={"Authorization": f"Token {key}"}, timeout=30
        )
        shown = http.get(f"/api/integrations/{iid}/tasks/{task['id']}").json()["keep_current"]
        assert shown["webhook_url"] == moved and shown["delivery_problem"] is None
    finally:
        stop_server(server)
