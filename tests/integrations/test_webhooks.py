"""Webhook intake: verified with the SDK, stored once, processed as a trigger."""

import json
import time

import stripe
from django.test import Client

from gather.integrations.models import InboxEvent
from gather.integrations.services import task_poll
from gather.integrations.stripe.store import charge_get
from tests.integrations.helpers import add_task, connect, task_row, wait_for


def _setup(api, orders, emu, n=3):
    ids = emu.seed_charges(n)
    integ = connect(api)
    task = add_task(api, integ["id"], orders.public_id)
    (endpoint,) = emu.endpoints.values()
    return ids, integ, task, endpoint


def _post(integ_id, event: dict, secret: str, timestamp=None, header=None):
    body = json.dumps(event)
    if header is None:
        header = stripe.WebhookSignature.generate_signature_header(body, secret, timestamp)
    return Client().post(
        f"/webhooks/stripe/{integ_id}",
        body,
        content_type="application/json",
        headers={"Stripe-Signature": header},
    )


def _event(emu, type_, charge_id) -> dict:
    return next(e for e in reversed(emu.events.items) if e["type"] == type_ and (
        e["data"]["object"].get("id") == charge_id or e["data"]["object"].get("charge") == charge_id
    ))  # fmt: skip


def test_webhook_verified_stored_and_refetches_charge(api, orders, stripe_env):
    ids, integ, task, endpoint = _setup(api, orders, stripe_env)
    c = stripe.StripeClient("sk_test_emulator", base_addresses={"api": stripe_env.url})
    c.v1.refunds.create({"charge": ids[1], "amount": 100})
    event = _event(stripe_env, "charge.refunded", ids[1])
    resp = _post(integ["id"], event, endpoint["secret"])
    assert resp.status_code == 200 and resp.json() == {"received": True, "duplicate": False}
    row = InboxEvent.objects.get(event_id=event["id"])
    assert row.source == "webhook" and row.processed_at is not None
    stored = charge_get(integration_id=task_row(task["id"]).integration_id, charge_id=ids[1])
    assert stored["amount_refunded"] == 100


def test_webhook_bad_signature_or_old_timestamp_is_400_and_not_stored(api, orders, stripe_env):
    ids, integ, task, endpoint = _setup(api, orders, stripe_env)
    c = stripe.StripeClient("sk_test_emulator", base_addresses={"api": stripe_env.url})
    c.v1.refunds.create({"charge": ids[0]})
    event = _event(stripe_env, "charge.refunded", ids[0])
    for resp in (
        _post(integ["id"], event, "whsec_wrong"),
        _post(integ["id"], event, endpoint["secret"], timestamp=int(time.time()) - 3600),
        _post(integ["id"], event, endpoint["secret"], header="t=1,v1=abc"),
        Client().post(f"/webhooks/stripe/{integ['id']}", "{}", content_type="application/json"),
    ):
        assert resp.status_code == 400
        assert resp.json()["error"]["code"] == "invalid_signature"
    assert InboxEvent.objects.count() == 0
    assert (
        charge_get(integration_id=1, charge_id=ids[0]) is None
        or not charge_get(integration_id=task_row(task["id"]).integration_id, charge_id=ids[0])[
            "refunded"
        ]
    )
    assert _post("int_unknown", event, endpoint["secret"]).status_code == 404


def test_webhook_duplicate_delivery_has_no_second_effect(api, orders, stripe_env):
    ids, integ, task, endpoint = _setup(api, orders, stripe_env)
    c = stripe.StripeClient("sk_test_emulator", base_addresses={"api": stripe_env.url})
    c.v1.charges.update(ids[2], {"metadata": {"vip": "yes"}})
    event = _event(stripe_env, "charge.updated", ids[2])
    assert _post(integ["id"], event, endpoint["secret"]).json()["duplicate"] is False
    fetches = len(stripe_env.requests)
    resp = _post(integ["id"], event, endpoint["secret"])
    assert resp.status_code == 200 and resp.json()["duplicate"] is True
    assert InboxEvent.objects.filter(event_id=event["id"]).count() == 1
    assert InboxEvent.objects.get(event_id=event["id"]).attempts == 1
    assert len(stripe_env.requests) == fetches  # no second fetch, no second write


def test_webhook_older_event_never_overwrites_newer_state(api, orders, stripe_env):
    ids, integ, task, endpoint = _setup(api, orders, stripe_env)
    integration_id = task_row(task["id"]).integration_id
    charge = dict(stripe_env.get_charge(ids[0]))
    stripe_env.hide_charge(ids[0])  # re-fetch 404s: events' own copies are used
    now = int(time.time())
    older = {
        "id": "evt_older", "object": "event", "type": "charge.updated", "created": now + 10,
        "data": {"object": {**charge, "description": "old"}}, "livemode": False,
        "api_version": "2026-10-28.endive", "pending_webhooks": 1, "request": {"id": None},
    }  # fmt: skip
    newer = {**older, "id": "evt_newer", "created": now + 20}
    newer["data"] = {"object": {**charge, "description": "new"}}
    assert _post(integ["id"], newer, endpoint["secret"]).status_code == 200
    assert _post(integ["id"], older, endpoint["secret"]).status_code == 200
    assert charge_get(integration_id=integration_id, charge_id=ids[0])["description"] == "new"
    assert InboxEvent.objects.filter(processed_at__isnull=False).count() == 2


def test_webhook_for_another_teams_integration_is_rejected(api, other_api, orders, stripe_env):
    from tests.factories import make_model

    ids, integ, task, endpoint = _setup(api, orders, stripe_env)
    other_integ = connect(other_api)
    add_task(other_api, other_integ["id"], make_model(other_api_team(other_api), "B").public_id)
    secrets = [e["secret"] for e in stripe_env.endpoints.values() if e["id"] != endpoint["id"]]
    c = stripe.StripeClient("sk_test_emulator", base_addresses={"api": stripe_env.url})
    c.v1.refunds.create({"charge": ids[0]})
    event = _event(stripe_env, "charge.refunded", ids[0])
    # Team B's secret cannot post into team A's integration, nor A's into B's.
    assert _post(integ["id"], event, secrets[0]).status_code == 400
    assert _post(other_integ["id"], event, endpoint["secret"]).status_code == 400
    assert InboxEvent.objects.count() == 0


def other_api_team(other_api):
    from gather.accounts.models import Team

    return Team.objects.get(name="Globex")


def test_paused_task_keeps_events_until_resumed(api, orders, stripe_env):
    ids, integ, task, endpoint = _setup(api, orders, stripe_env)
    base = f"/api/integrations/{integ['id']}/tasks/{task['id']}"
    api.post(f"{base}/pause")
    c = stripe.StripeClient("sk_test_emulator", base_addresses={"api": stripe_env.url})
    c.v1.refunds.create({"charge": ids[0]})
    event = _event(stripe_env, "charge.refunded", ids[0])
    assert _post(integ["id"], event, endpoint["secret"]).status_code == 200
    row = InboxEvent.objects.get(event_id=event["id"])
    assert row.processed_at is None
    integration_id = task_row(task["id"]).integration_id
    assert charge_get(integration_id=integration_id, charge_id=ids[0])["refunded"] is False
    assert api.post(f"{base}/resume").json()["status"] == "live"
    row.refresh_from_db()
    assert row.processed_at is not None
    assert charge_get(integration_id=integration_id, charge_id=ids[0])["refunded"] is True


def test_events_polling_catches_up_missed_webhooks(api, orders, stripe_env):
    ids, integ, task, endpoint = _setup(api, orders, stripe_env)
    integration_id = task_row(task["id"]).integration_id
    c = stripe.StripeClient("sk_test_emulator", base_addresses={"api": stripe_env.url})
    new = c.v1.charges.create({"amount": 4200, "currency": "eur"})  # webhook goes nowhere
    c.v1.refunds.create({"charge": ids[0], "amount": 10})
    assert charge_get(integration_id=integration_id, charge_id=new.id) is None
    assert task_poll(task_pk=task_row(task["id"]).pk) == 2
    assert charge_get(integration_id=integration_id, charge_id=new.id)["amount"] == 4200
    assert charge_get(integration_id=integration_id, charge_id=ids[0])["amount_refunded"] == 10
    assert set(InboxEvent.objects.values_list("source", flat=True)) == {"poll"}
    assert task_poll(task_pk=task_row(task["id"]).pk) == 0  # nothing new, nothing twice
    assert InboxEvent.objects.count() == 2


def test_webhook_delivered_by_stripe_over_http(api, orders, stripe_env, live_server, settings):
    settings.PUBLIC_URL = live_server.url
    stripe_env.delivery_retries = 3
    ids, integ, task, endpoint = _setup(api, orders, stripe_env)
    assert endpoint["url"] == f"{live_server.url}/webhooks/stripe/{integ['id']}"
    url = f"/api/models/{orders.public_id}/records"
    api.post(url, json={"id": "9", "stripe_charge_id": ids[2]})
    c = stripe.StripeClient("sk_test_emulator", base_addresses={"api": stripe_env.url})
    c.v1.refunds.create({"charge": ids[2], "amount": 1})
    wait_for(lambda: api.get(f"{url}/9").json()["stripe_charge"]["amount_refunded"] == 1)
    # The emulator logs a delivery once Gather's answer is back.
    wait_for(lambda: stripe_env.deliveries)
    assert [d["status"] for d in stripe_env.deliveries] == [200]


def test_dispute_event_refreshes_its_charge(api, orders, stripe_env):
    ids, integ, task, endpoint = _setup(api, orders, stripe_env)
    stripe_env.create_dispute(ids[1])
    event = _event(stripe_env, "charge.dispute.created", ids[1])
    assert _post(integ["id"], event, endpoint["secret"]).status_code == 200
    integration_id = task_row(task["id"]).integration_id
    assert charge_get(integration_id=integration_id, charge_id=ids[1])["disputed"] is True


def test_webhook_timestamp_from_the_future_is_refused(api, orders, stripe_env):
    ids, integ, task, endpoint = _setup(api, orders, stripe_env)
    c = stripe.StripeClient("sk_test_emulator", base_addresses={"api": stripe_env.url})
    c.v1.refunds.create({"charge": ids[0]})
    event = _event(stripe_env, "charge.refunded", ids[0])
    for ahead in (3600, 301 + 5):
        resp = _post(integ["id"], event, endpoint["secret"], timestamp=int(time.time()) + ahead)
        assert resp.status_code == 400
        assert resp.json()["error"]["code"] == "invalid_signature"
    assert InboxEvent.objects.count() == 0
    # Within the tolerance either way (clocks differ a little): accepted.
    resp = _post(integ["id"], event, endpoint["secret"], timestamp=int(time.time()) + 60)
    assert resp.status_code == 200 and InboxEvent.objects.count() == 1


def test_webhook_event_that_cannot_be_stored_is_400_json(api, orders, stripe_env):
    ids, integ, task, endpoint = _setup(api, orders, stripe_env)
    c = stripe.StripeClient("sk_test_emulator", base_addresses={"api": stripe_env.url})
    c.v1.refunds.create({"charge": ids[0]})
    event = _event(stripe_env, "charge.refunded", ids[0])
    for bad in (
        {"id": "evt_" + "x" * 97},
        {"id": ""},
        {"id": "evt_\u0000nul"},
        {"type": "charge." + "y" * 94},
        {"created": "yesterday"},
        {"created": 1.5},
    ):
        resp = _post(integ["id"], {**event, **bad}, endpoint["secret"])
        assert resp.status_code == 400, (bad, resp.content)
        assert resp["Content-Type"] == "application/json"
        assert resp.json()["error"]["code"] == "invalid_event"
    assert InboxEvent.objects.count() == 0
    longest = {**event, "id": "evt_" + "x" * 96, "type": "charge." + "y" * 93}
    assert _post(integ["id"], longest, endpoint["secret"]).status_code == 200
    assert InboxEvent.objects.get().event_id == longest["id"]
