"""The emulator, exercised through the official SDK over real HTTP."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import stripe

from tests.emulators.stripe_emulator import decode_form


def client(emu, key="sk_test_emulator", retries=0):
    return stripe.StripeClient(key, base_addresses={"api": emu.url}, max_network_retries=retries)


def test_decode_form_nests_bracket_keys():
    pairs = [("metadata[a]", "1"), ("types[0]", "x"), ("types[1]", "y"), ("created[gte]", "5")]
    assert decode_form(pairs) == {
        "metadata": {"a": "1"},
        "types": ["x", "y"],
        "created": {"gte": "5"},
    }
    assert decode_form([("expand[]", "a"), ("expand[]", "b")]) == {"expand": ["a", "b"]}


def test_emulator_charge_create_retrieve_update(stripe_emulator):
    c = client(stripe_emulator)
    ch = c.v1.charges.create({"amount": 1500, "currency": "usd", "metadata": {"order": "7"}})
    assert ch.id.startswith("ch_") and ch.status == "succeeded" and ch.paid
    got = c.v1.charges.retrieve(ch.id)
    assert got.amount == 1500 and got.metadata.to_dict() == {"order": "7"}
    upd = c.v1.charges.update(ch.id, {"metadata": {"note": "vip", "order": ""}})
    assert upd.metadata.to_dict() == {"note": "vip"}


def test_emulator_list_pages_newest_first_complete(stripe_emulator):
    ids = stripe_emulator.seed_charges(1234)
    c = client(stripe_emulator)
    seen = [ch.id for ch in c.v1.charges.list({"limit": 100}).auto_paging_iter()]
    assert len(seen) == 1234 and len(set(seen)) == 1234
    assert seen == list(reversed(ids))
    page = c.v1.charges.list({"limit": 3})
    assert page.has_more and page.url == "/v1/charges" and page.object == "list"
    created = [ch.created for ch in page.data]
    assert created == sorted(created, reverse=True)


def test_emulator_list_ending_before_and_created_filters(stripe_emulator):
    ids = stripe_emulator.seed_charges(30, start=1_000_000, per_second=1)
    c = client(stripe_emulator)
    page = c.v1.charges.list({"limit": 5, "ending_before": ids[10]})
    assert [ch.id for ch in page.data] == [ids[15], ids[14], ids[13], ids[12], ids[11]]
    assert page.has_more
    page = c.v1.charges.list({"limit": 100, "created": {"gte": 1_000_005, "lt": 1_000_008}})
    assert [ch.id for ch in page.data] == [ids[7], ids[6], ids[5]] and not page.has_more
    page = c.v1.charges.list({"limit": 100, "created": {"gt": 1_000_027}})
    assert [ch.id for ch in page.data] == [ids[29], ids[28]]
    with pytest.raises(stripe.InvalidRequestError):
        c.v1.charges.list({"limit": 101})


def test_emulator_pages_through_fifty_thousand_charges_each_once(stripe_emulator):
    # How fast it pages is measured by bench/stripe_sync.py, not asserted here.
    stripe_emulator.seed_charges(50_000)
    c = client(stripe_emulator)
    charges = [(ch.id, ch.created) for ch in c.v1.charges.list({"limit": 100}).auto_paging_iter()]
    assert len(charges) == 50_000
    assert len({cid for cid, _ in charges}) == 50_000
    created = [t for _, t in charges]
    assert created == sorted(created, reverse=True)  # newest first, as Stripe lists


def test_emulator_unknown_and_revoked_keys_are_401(stripe_emulator):
    with pytest.raises(stripe.AuthenticationError) as exc:
        client(stripe_emulator, key="sk_test_wrong").v1.charges.list()
    assert "Invalid API Key" in exc.value.user_message
    stripe_emulator.add_key("sk_test_other")
    client(stripe_emulator, key="sk_test_other").v1.charges.list()
    stripe_emulator.revoke_key("sk_test_other")
    with pytest.raises(stripe.AuthenticationError) as exc:
        client(stripe_emulator, key="sk_test_other").v1.charges.list()
    assert "Expired API Key" in exc.value.user_message


def test_emulator_refund_updates_charge_and_emits_event(stripe_emulator):
    c = client(stripe_emulator)
    ch = c.v1.charges.create({"amount": 2000, "currency": "eur"})
    c.v1.refunds.create({"charge": ch.id, "amount": 500})
    got = c.v1.charges.retrieve(ch.id)
    assert got.amount_refunded == 500 and not got.refunded
    c.v1.refunds.create({"charge": ch.id})
    assert c.v1.charges.retrieve(ch.id).refunded
    with pytest.raises(stripe.InvalidRequestError):
        c.v1.refunds.create({"charge": ch.id, "amount": 1})
    events = c.v1.events.list({"type": "charge.refunded"})
    assert [e.data.object.amount_refunded for e in events.data] == [2000, 500]
    assert events.data[0].data.previous_attributes.amount_refunded == 500


def test_emulator_declined_charge_raises_card_error_and_is_stored(stripe_emulator):
    c = client(stripe_emulator)
    with pytest.raises(stripe.CardError) as exc:
        c.v1.charges.create({"amount": 900, "currency": "usd", "source": "tok_chargeDeclined"})
    assert exc.value.code == "card_declined"
    failed = c.v1.charges.list().data[0]
    assert failed.status == "failed" and failed.failure_code == "card_declined"


def test_emulator_events_filters_and_envelope(stripe_emulator):
    c = client(stripe_emulator)
    ch = c.v1.charges.create({"amount": 1000, "currency": "usd"})
    c.v1.charges.update(ch.id, {"metadata": {"a": "1"}})
    stripe_emulator.create_dispute(ch.id)
    all_charge = c.v1.events.list({"type": "charge.*"}).data
    assert [e.type for e in all_charge] == [
        "charge.dispute.created",
        "charge.updated",
        "charge.succeeded",
    ]
    some = c.v1.events.list({"types": ["charge.succeeded", "charge.updated"]}).data
    assert [e.type for e in some] == ["charge.updated", "charge.succeeded"]
    evt = c.v1.events.retrieve(all_charge[1].id)
    raw = evt.to_dict()
    assert raw["object"] == "event" and raw["id"].startswith("evt_")
    assert raw["data"]["previous_attributes"] == {"metadata": {}}
    for key in ("api_version", "created", "livemode", "pending_webhooks", "request"):
        assert key in raw
    newer = c.v1.events.list({"ending_before": all_charge[2].id, "limit": 1})
    assert [e.id for e in newer.data] == [all_charge[1].id] and newer.has_more


class _Receiver:
    def __init__(self, fail_first=0):
        self.bodies, self.fail_first = [], fail_first
        receiver = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a):
                return

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                receiver.bodies.append((body, self.headers["Stripe-Signature"]))
                status = 500 if len(receiver.bodies) <= receiver.fail_first else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def wait(self, n, timeout=5):
        deadline = time.monotonic() + timeout
        while len(self.bodies) < n and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.bodies

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_emulator_webhooks_are_signed_like_stripe_and_retried(stripe_emulator):
    stripe_emulator.retry_delay = 0.05
    receiver = _Receiver(fail_first=1)
    try:
        c = client(stripe_emulator)
        ep = c.v1.webhook_endpoints.create(
            {"url": receiver.url, "enabled_events": ["charge.succeeded", "charge.refunded"]}
        )
        assert ep.secret.startswith("whsec_")
        ch = c.v1.charges.create({"amount": 1000, "currency": "usd"})
        bodies = receiver.wait(2)
        # Failed once, then redelivered: same body, freshly signed.
        assert len(bodies) == 2 and bodies[0][0] == bodies[1][0]
        body, header = bodies[1]
        event = stripe.Webhook.construct_event(body, header, ep.secret)
        assert event.type == "charge.succeeded" and event.data.object.id == ch.id
        with pytest.raises(stripe.SignatureVerificationError):
            stripe.Webhook.construct_event(body, header, "whsec_wrong")
        with pytest.raises(stripe.SignatureVerificationError):
            stripe.Webhook.construct_event(body.replace("1000", "1001"), header, ep.secret)
        c.v1.charges.update(ch.id, {"metadata": {"x": "1"}})  # not subscribed
        c.v1.webhook_endpoints.delete(ep.id)
        c.v1.refunds.create({"charge": ch.id})  # endpoint gone
        time.sleep(0.3)
        assert len(receiver.bodies) == 2
        statuses = [d["status"] for d in stripe_emulator.deliveries]
        assert statuses == [500, 200]
        assert json.loads(body)["pending_webhooks"] == 1
    finally:
        receiver.close()


def test_emulator_refuses_endpoint_registration_on_request(stripe_emulator):
    stripe_emulator.refuse_webhook_endpoints()
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client(stripe_emulator).v1.webhook_endpoints.create(
            {"url": "http://127.0.0.1/x", "enabled_events": ["charge.succeeded"]}
        )
    assert "publicly accessible" in exc.value.user_message


@pytest.mark.parametrize(
    ("kind", "error"),
    [("429", stripe.RateLimitError), ("500", stripe.APIError), ("drop", stripe.APIConnectionError)],
)
def test_emulator_faults_fail_the_next_requests(stripe_emulator, kind, error):
    stripe_emulator.seed_charges(5)
    stripe_emulator.inject_fault(kind, count=1)
    with pytest.raises(error):
        client(stripe_emulator).v1.charges.list()
    assert len(client(stripe_emulator).v1.charges.list().data) == 5


def test_emulator_sdk_retries_through_a_500(stripe_emulator):
    stripe_emulator.seed_charges(3)
    stripe_emulator.inject_fault("500", count=1)
    assert len(client(stripe_emulator, retries=2).v1.charges.list().data) == 3


def test_emulator_hidden_charge_retrieve_is_404(stripe_emulator):
    c = client(stripe_emulator)
    ch = c.v1.charges.create({"amount": 1000, "currency": "usd"})
    stripe_emulator.hide_charge(ch.id)
    with pytest.raises(stripe.InvalidRequestError) as exc:
        c.v1.charges.retrieve(ch.id)
    assert exc.value.http_status == 404 and exc.value.code == "resource_missing"


def test_localstripe_backfill_listing_works_through_the_sdk(localstripe):
    c = stripe.StripeClient(
        "sk_test_localstripe", base_addresses={"api": localstripe}, max_network_retries=0
    )
    made = {
        c.v1.charges.create({"amount": 1000 + i, "currency": "usd", "source": "pm_card_visa"}).id
        for i in range(7)
    }
    seen = [ch.id for ch in c.v1.charges.list({"limit": 3}).auto_paging_iter()]
    assert set(seen) == made and len(seen) == 7


def test_emulator_restricted_key_gets_403_outside_its_permissions(stripe_emulator):
    stripe_emulator.restrict_key("rk_test_charges", ("/v1/charges", "/v1/events"))
    c = client(stripe_emulator, key="rk_test_charges")
    c.v1.charges.list()
    with pytest.raises(stripe.PermissionError) as exc:
        c.v1.webhook_endpoints.create({"url": "http://x/y", "enabled_events": ["*"]})
    assert "required permissions" in exc.value.user_message


def test_emulator_control_endpoints_over_http(stripe_emulator):
    import urllib.request

    def control(action, body=None, method="POST"):
        data = json.dumps(body or {}).encode() if method == "POST" else None
        req = urllib.request.Request(
            f"{stripe_emulator.url}/_emulator/{action}", data=data, method=method
        )
        with urllib.request.urlopen(req, timeout=5) as resp:
            return json.loads(resp.read())

    assert control("seed", {"count": 250, "seed": 7}) == {"count": 250, "first": "ch_007000000000"}
    control("faults", {"kind": "429", "count": 1})
    with pytest.raises(stripe.RateLimitError):
        client(stripe_emulator).v1.charges.list()
    control("keys", {"key": "sk_test_x"})
    client(stripe_emulator, key="sk_test_x").v1.charges.list()
    control("keys", {"key": "sk_test_x", "revoke": True})
    with pytest.raises(stripe.AuthenticationError):
        client(stripe_emulator, key="sk_test_x").v1.charges.list()
    assert control("stats", method="GET")["charges"] == 250
    control("reset")
    assert control("stats", method="GET")["charges"] == 0


def test_emulator_takes_the_key_as_http_basic_user_like_stripe(stripe_emulator):
    import httpx

    (charge_id,) = stripe_emulator.seed_charges(1)
    url = f"{stripe_emulator.url}/v1/charges/{charge_id}"
    resp = httpx.get(url, auth=("sk_test_emulator", ""))
    assert resp.status_code == 200 and resp.json()["id"] == charge_id
    assert httpx.get(url, auth=("sk_test_wrong", "")).status_code == 401
    bad = httpx.get(url, headers={"Authorization": "Basic not-base64!"})
    assert bad.status_code == 401 and "did not provide an API key" in bad.json()["error"]["message"]
