"""Connecting Stripe and managing Sync Stripe Charges through the API."""

import stripe

from gather.core.crypto import decrypt
from gather.integrations.models import Integration
from gather.integrations.stripe.models import StripeCharge
from tests.integrations.helpers import add_task, connect, get_task


def test_integration_connect_checks_key_and_stores_it_encrypted(api, stripe_env):
    body = connect(api)
    assert body["type"] == "stripe" and body["key_hint"] == "sk_test_…ator"
    assert "sk_test_emulator" not in str(body)
    row = Integration.objects.get(public_id=body["id"])
    assert row.secret_encrypted != "sk_test_emulator"
    assert decrypt(row.secret_encrypted) == "sk_test_emulator"
    listed = api.get("/api/integrations").json()["data"]
    assert [i["id"] for i in listed] == [body["id"]]
    assert "sk_test_emulator" not in str(listed)


def test_integration_connect_wrong_key_is_422_with_stripe_message(api, stripe_env):
    resp = api.post("/api/integrations", json={"type": "stripe", "secret_key": "sk_test_nope"})
    assert resp.status_code == 422
    err = resp.json()["error"]
    assert err["code"] == "stripe_key_invalid" and err["field"] == "secret_key"
    assert "Invalid API Key" in err["message"]
    resp = api.post("/api/integrations", json={"type": "stripe", "secret_key": "pk_test_x"})
    assert resp.status_code == 422 and "publishable" in resp.json()["error"]["message"]
    resp = api.post("/api/integrations", json={"type": "nope", "secret_key": "sk_test_x"})
    assert resp.status_code == 422 and resp.json()["error"]["field"] == "type"
    assert Integration.objects.count() == 0


def test_integration_other_team_gets_404(api, other_api, orders, stripe_env):
    integ = connect(api)
    task = add_task(api, integ["id"], orders.public_id)
    base = f"/api/integrations/{integ['id']}"
    assert other_api.get(base).status_code == 404
    assert other_api.get(base).json()["error"]["code"] == "integration_not_found"
    assert other_api.patch(base, json={"webhook_secret": "whsec_x"}).status_code == 404
    assert other_api.get(f"{base}/tasks/{task['id']}").status_code == 404
    assert other_api.post(f"{base}/tasks/{task['id']}/pause").status_code == 404
    assert other_api.delete(f"{base}/tasks/{task['id']}").status_code == 404
    assert other_api.delete(base).status_code == 404
    assert other_api.get("/api/integrations").json()["data"] == []
    assert api.get(f"{base}/tasks/{task['id']}").status_code == 200


def test_task_create_validates_options(api, other_team, stripe_env):
    from tests.factories import make_model

    integ = connect(api)
    url = f"/api/integrations/{integ['id']}/tasks"
    theirs = make_model(other_team, "Theirs")
    resp = api.post(
        url,
        json={
            "type": "sync_stripe_charges",
            "options": {"model": theirs.public_id, "charge_id_field": "stripe_charge_id"},
        },
    )
    assert resp.status_code == 422
    assert resp.json()["error"] == {
        "code": "model_not_found",
        "message": f"No model {theirs.public_id!r} in this team.",
        "field": "options.model",
    }
    resp = api.post(url, json={"type": "sync_stripe_invoices", "options": {}})
    assert resp.status_code == 422 and resp.json()["error"]["field"] == "type"
    resp = api.post(url, json={"type": "sync_stripe_charges", "options": {"model": "x"}})
    assert resp.status_code == 422


def test_task_backfills_every_charge_and_goes_live(api, orders, stripe_env):
    ids = stripe_env.seed_charges(1050)
    integ = connect(api)
    task = add_task(api, integ["id"], orders.public_id)
    got = get_task(api, integ["id"], task["id"])
    assert got["status"] == "live", got
    assert got["progress"]["synced"] == 1050 and got["progress"]["rate"] > 0
    assert got["last_synced_at"] and got["error"] is None
    stored = set(StripeCharge.objects.values_list("charge_id", flat=True))
    assert stored == set(ids)
    assert stripe_env.listed_charges == 1050 + 1  # each once, plus the key check


def test_record_api_shows_joined_charge_both_orders(api, orders, stripe_env):
    ids = stripe_env.seed_charges(5)
    url = f"/api/models/{orders.public_id}/records"
    api.post(url, json={"id": "1", "amount": 75, "stripe_charge_id": ids[0]})
    integ = connect(api)
    add_task(api, integ["id"], orders.public_id)
    rec = api.get(f"{url}/1").json()
    charge = rec["stripe_charge"]
    assert charge["id"] == ids[0]
    assert set(charge) == {
        "id", "amount", "amount_captured", "amount_refunded", "currency", "status", "paid",
        "refunded", "captured", "disputed", "failure_code", "failure_message", "customer",
        "description", "receipt_email", "payment_intent", "created", "metadata",
    }  # fmt: skip
    assert isinstance(charge["amount"], int) and charge["created"].endswith("Z")
    # A record that names a charge synced earlier is joined at once.
    resp = api.post(url, json={"id": "2", "stripe_charge_id": ids[3]})
    assert resp.json()["stripe_charge"]["id"] == ids[3]
    # A record naming an unknown charge shows null.
    resp = api.post(url, json={"id": "3", "stripe_charge_id": "ch_unknown"})
    assert resp.json()["stripe_charge"] is None
    listed = api.get(url).json()["data"]
    assert {r["id"]: (r["stripe_charge"] or {}).get("id") for r in listed} == {
        "1": ids[0],
        "2": ids[3],
        "3": None,
    }


def test_task_registers_webhook_endpoint_and_delete_removes_it(api, orders, stripe_env):
    integ = connect(api)
    task = add_task(api, integ["id"], orders.public_id)
    (endpoint,) = stripe_env.endpoints.values()
    assert endpoint["url"] == f"http://127.0.0.1:9/webhooks/stripe/{integ['id']}"
    assert "charge.refunded" in endpoint["enabled_events"]
    assert task["keep_current"]["mode"] == "webhook"
    assert endpoint["id"] in task["keep_current"]["message"]
    resp = api.delete(f"/api/integrations/{integ['id']}/tasks/{task['id']}")
    assert resp.status_code == 204
    assert stripe_env.endpoints == {}
    assert StripeCharge.objects.count() == 0
    assert api.get(f"/api/models/{orders.public_id}/records").status_code == 200


def test_integration_delete_removes_endpoint_and_data(api, orders, stripe_env):
    stripe_env.seed_charges(3)
    integ = connect(api)
    add_task(api, integ["id"], orders.public_id)
    assert api.delete(f"/api/integrations/{integ['id']}").status_code == 204
    assert stripe_env.endpoints == {} and StripeCharge.objects.count() == 0
    assert api.get(f"/api/integrations/{integ['id']}").status_code == 404


def test_failed_registration_never_fails_the_task(api, orders, stripe_env):
    stripe_env.seed_charges(10)
    stripe_env.refuse_webhook_endpoints()
    integ = connect(api)
    task = add_task(api, integ["id"], orders.public_id)
    got = get_task(api, integ["id"], task["id"])
    assert got["status"] == "live" and got["progress"]["synced"] == 10
    message = got["keep_current"]["message"]
    assert got["keep_current"]["mode"] == "polling"
    assert "could not register" in message and "publicly accessible" in message
    assert "paste its signing secret" in message
    resp = api.patch(f"/api/integrations/{integ['id']}", json={"webhook_secret": "nope"})
    assert resp.status_code == 422 and resp.json()["error"]["field"] == "webhook_secret"
    resp = api.patch(f"/api/integrations/{integ['id']}", json={"webhook_secret": "whsec_abc"})
    assert resp.status_code == 200 and resp.json()["has_webhook_secret"] is True
    got = get_task(api, integ["id"], task["id"])
    assert got["keep_current"]["mode"] == "webhook"
    assert "signing secret you pasted" in got["keep_current"]["message"]


def test_revoked_key_puts_task_in_error_and_stops(api, orders, stripe_env):
    stripe_env.seed_charges(10)
    stripe_env.add_key("sk_test_soon_revoked")
    integ = connect(api, key="sk_test_soon_revoked")
    stripe_env.revoke_key("sk_test_soon_revoked")
    task = add_task(api, integ["id"], orders.public_id)
    got = get_task(api, integ["id"], task["id"])
    assert got["status"] == "error"
    assert got["error"].startswith("Stripe rejected the API key: Expired API Key provided")
    assert "resume the task" in got["error"]


def test_rate_limit_is_backed_off_and_backfill_completes(api, orders, stripe_env):
    stripe_env.seed_charges(250)
    # Page 2 (the first with starting_after) is refused once.
    stripe_env.inject_fault("429", count=1, path="/v1/charges", query="starting_after")
    integ = connect(api)
    task = add_task(api, integ["id"], orders.public_id)
    got = get_task(api, integ["id"], task["id"])
    assert got["status"] == "live" and got["progress"]["synced"] == 250
    assert StripeCharge.objects.count() == 250


def test_network_failure_is_shown_then_resumes_from_checkpoint(api, orders, stripe_env):
    from gather.integrations.runner import task_backfill
    from tests.integrations.helpers import task_row

    stripe_env.seed_charges(1000)
    integ = connect(api)
    # Pages 1-4 succeed; page 5 drops the connection 3 times (the SDK retries twice).
    stripe_env.inject_fault("drop", count=3, path="/v1/charges", after=3, query="starting_after")
    task = add_task(api, integ["id"], orders.public_id)
    got = get_task(api, integ["id"], task["id"])
    assert got["status"] == "backfilling"
    assert got["error"].startswith("Could not reach Stripe") and "Retrying in" in got["error"]
    assert got["progress"]["synced"] == 400
    # The retry (what the scheduled task does) continues after page 4, not from zero.
    assert task_backfill(task_pk=task_row(task["id"]).pk) is None
    got = get_task(api, integ["id"], task["id"])
    assert got["status"] == "live" and got["progress"]["synced"] == 1000
    assert StripeCharge.objects.count() == 1000
    assert stripe_env.listed_charges == 1000 + 1  # the key check listed one charge


def test_pause_resume_and_resync(api, orders, stripe_env):
    stripe_env.seed_charges(120)
    integ = connect(api)
    task = add_task(api, integ["id"], orders.public_id)
    base = f"/api/integrations/{integ['id']}/tasks/{task['id']}"
    assert api.post(f"{base}/pause").json()["status"] == "paused"
    assert api.post(f"{base}/resume").json()["status"] == "live"
    resp = api.post(f"{base}/resume")
    assert resp.status_code == 409
    before = stripe_env.listed_charges
    got = api.post(f"{base}/resync").json()
    assert got["status"] in ("pending", "live")
    got = get_task(api, integ["id"], task["id"])
    assert got["status"] == "live" and got["progress"]["synced"] == 120
    assert stripe_env.listed_charges - before == 120


def test_integration_types_lists_task_option_schemas(api, stripe_env):
    types = api.get("/api/integrations/types").json()
    stripe_type = next(t for t in types if t["type"] == "stripe")
    task_type, customers_type = stripe_type["task_types"]
    assert task_type["type"] == "sync_stripe_charges"
    assert [o["label"] for o in task_type["options"]] == ["Model ID", "Stripe Charge ID Field"]
    assert customers_type["type"] == "sync_stripe_customers"
    assert customers_type["label"] == "Sync Stripe Customers"
    assert [o["label"] for o in customers_type["options"]] == [
        "Model ID",
        "Stripe Customer ID Field",
    ]


def test_charge_client_uses_configured_api_base(stripe_env, settings):
    from gather.integrations.stripe.client import stripe_client

    client = stripe_client("sk_test_emulator")
    stripe_env.seed_charges(2)
    assert len(client.v1.charges.list().data) == 2
    assert isinstance(client, stripe.StripeClient)


def test_restricted_key_without_webhook_permission_still_syncs(api, orders, stripe_env):
    stripe_env.seed_charges(30)
    stripe_env.restrict_key("rk_test_readonly", ("/v1/charges", "/v1/events"))
    integ = connect(api, key="rk_test_readonly")
    assert integ["key_hint"] == "rk_test_…only"
    task = add_task(api, integ["id"], orders.public_id)
    got = get_task(api, integ["id"], task["id"])
    assert got["status"] == "live" and got["progress"]["synced"] == 30
    assert got["keep_current"]["mode"] == "polling"
    assert "does not have the required permissions" in got["keep_current"]["message"]


def test_restricted_key_without_charges_permission_is_refused(api, stripe_env):
    stripe_env.restrict_key("rk_test_nocharges", ("/v1/events",))
    resp = api.post("/api/integrations", json={"type": "stripe", "secret_key": "rk_test_nocharges"})
    assert resp.status_code == 422
    assert resp.json()["error"]["code"] == "stripe_key_invalid"
    assert "cannot read charges" in resp.json()["error"]["message"]


def test_deleting_the_target_model_deletes_the_task_and_its_endpoint(api, orders, stripe_env):
    integ = connect(api)
    add_task(api, integ["id"], orders.public_id)
    assert len(stripe_env.endpoints) == 1
    assert api.delete(f"/api/models/{orders.public_id}").status_code == 204
    assert stripe_env.endpoints == {}
    assert api.get(f"/api/integrations/{integ['id']}").json()["tasks"] == []
