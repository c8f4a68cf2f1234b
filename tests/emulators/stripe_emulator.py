"""A Stripe emulator for tests and benchmarks: a real HTTP server on 127.0.0.1.

It follows Stripe's documented wire format closely enough that the official SDK works
against it unchanged (``stripe.StripeClient(key, base_addresses={"api": emu.url})``):

* requests are form-encoded with bracket keys (``metadata[k]=v``, ``types[0]=a``,
  ``created[gte]=1``); authentication is ``Authorization: Bearer sk_...`` or HTTP basic
  with the key as the user name (``curl -u sk_test_emulator:``), as Stripe takes both;
* errors are ``{"error": {"type", "message", "code"?, "param"?}}`` with Stripe's statuses;
* lists are ``{"object": "list", "url", "has_more", "data"}``, newest first, with
  ``limit`` (1..100), ``starting_after``, ``ending_before`` and ``created[gt|gte|lt|lte]``;
* charges, refunds, disputes, events (``type`` with a ``charge.*`` wildcard, ``types[]``)
  and webhook endpoints (create, list, retrieve, update, delete); customers, products,
  prices, plans, subscriptions and invoices (``stripe_billing.py``); events are delivered
  to the endpoints in background threads, signed like Stripe
  (``t=...,v1=HMAC-SHA256("{t}.{payload}")``) with bounded retries.

Test control lives under ``/_emulator/`` (and as methods on :class:`StripeEmulator`):
seed many charges fast, inject faults, revoke keys, refuse webhook registration, pause
webhook delivery, forget a charge (so retrieving it 404s) and reset.

Charges and events are kept in lists in ascending ``created`` order with an id -> index
map, so listing any page is a bisect plus a slice: 50,000 charges page quickly.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import contextlib
import hashlib
import hmac
import json
import random
import secrets
import socket
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from tests.emulators.stripe_billing import BillingMixin

API_VERSION = "2026-10-28.endive"
DEFAULT_KEY = "sk_test_emulator"
DEFAULT_PORT = 12111  # what ``python -m tests.emulators.stripe_emulator`` listens on
MAX_LIMIT = 100

DECLINE_SOURCES = {
    "tok_chargeDeclined": ("card_declined", "Your card was declined."),
    "pm_card_chargeDeclined": ("card_declined", "Your card was declined."),
    "tok_chargeDeclinedInsufficientFunds": ("card_declined", "Your card has insufficient funds."),
}


class StripeError(Exception):
    def __init__(self, status: int, type_: str, message: str, code=None, param=None, headers=None):
        super().__init__(message)
        self.status, self.type, self.message = status, type_, message
        self.code, self.param, self.headers = code, param, headers or {}

    def body(self) -> dict:
        err = {"type": self.type, "message": self.message}
        if self.code:
            err["code"] = self.code
        if self.param:
            err["param"] = self.param
        return {"error": err}


def _not_found(kind: str, id_: str, param: str = "id") -> StripeError:
    return StripeError(
        404,
        "invalid_request_error",
        f"No such {kind}: '{id_}'",
        code="resource_missing",
        param=param,
    )


def decode_form(pairs: list[tuple[str, str]]) -> dict:
    """Stripe's bracket encoding -> nested dicts and lists (``a[b]``, ``a[]``, ``a[0]``)."""
    out: dict = {}
    for raw_key, value in pairs:
        parts = raw_key.replace("]", "").split("[")
        node = out
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            nxt = None if last else parts[i + 1]
            list_next = nxt is not None and (nxt == "" or nxt.isdigit())
            if isinstance(node, list):
                if last:
                    node.append(value)
                    break
                idx = int(part) if part.isdigit() else len(node)
                while len(node) <= idx:
                    node.append([] if list_next else {})
                node = node[idx]
                continue
            if last:
                node[part] = value
            else:
                node = node.setdefault(part, [] if list_next else {})
    return out


class _Collection:
    """Objects in ascending (created, insertion) order with an id index; lists newest first."""

    def __init__(self):
        self.items: list[dict] = []
        self.created: list[int] = []
        self.index: dict[str, int] = {}

    def add(self, obj: dict) -> None:
        # Objects almost always arrive in time order; seeding older history inserts in bulk.
        if self.created and obj["created"] < self.created[-1]:
            raise ValueError("objects must be added in created order")
        self.index[obj["id"]] = len(self.items)
        self.items.append(obj)
        self.created.append(obj["created"])

    def extend_sorted(self, objs: list[dict]) -> None:
        """Merge a created-sorted batch (e.g. seeded history) into the collection."""
        merged = sorted(self.items + objs, key=lambda o: o["created"])  # stable: keeps order
        self.items = merged
        self.created = [o["created"] for o in merged]
        self.index = {o["id"]: i for i, o in enumerate(merged)}

    def get(self, id_: str) -> dict | None:
        i = self.index.get(id_)
        return None if i is None else self.items[i]

    def page(self, params: dict, match=None) -> tuple[list[dict], bool]:
        limit = _int_param(params, "limit", 10)
        if not 1 <= limit <= MAX_LIMIT:
            raise StripeError(
                400,
                "invalid_request_error",
                f"Invalid limit: must be between 1 and {MAX_LIMIT}",
                param="limit",
            )
        lo, hi = 0, len(self.items)
        created = params.get("created")
        if isinstance(created, dict):
            if "gt" in created:
                lo = max(lo, bisect.bisect_right(self.created, _int(created["gt"], "created")))
            if "gte" in created:
                lo = max(lo, bisect.bisect_left(self.created, _int(created["gte"], "created")))
            if "lt" in created:
                hi = min(hi, bisect.bisect_left(self.created, _int(created["lt"], "created")))
            if "lte" in created:
                hi = min(hi, bisect.bisect_right(self.created, _int(created["lte"], "created")))
        elif created is not None:
            at = _int(created, "created")
            lo = max(lo, bisect.bisect_left(self.created, at))
            hi = min(hi, bisect.bisect_right(self.created, at))
        after, before = params.get("starting_after"), params.get("ending_before")
        if after and before:
            raise StripeError(
                400,
                "invalid_request_error",
                "You may only specify one of these parameters: ending_before, starting_after.",
            )
        if before:
            # Items newer than the cursor, the ones closest to it; returned newest first.
            pos = self._pos(before, "ending_before")
            out, i = [], pos + 1
            while i < hi and len(out) < limit + 1:
                if i >= lo and (match is None or match(self.items[i])):
                    out.append(self.items[i])
                i += 1
            has_more = len(out) > limit
            return list(reversed(out[:limit])), has_more
        start = hi - 1
        if after:
            start = min(start, self._pos(after, "starting_after") - 1)
        if match is None:
            available = start - lo + 1
            if available <= 0:
                return [], False
            take = min(limit, available)
            return self.items[start - take + 1 : start + 1][::-1], available > limit
        out, i = [], start
        while i >= lo and len(out) < limit + 1:
            if match(self.items[i]):
                out.append(self.items[i])
            i -= 1
        return out[:limit], len(out) > limit

    def _pos(self, id_, param) -> int:
        pos = self.index.get(id_)
        if pos is None:
            raise _not_found("object", id_, param)
        return pos


def _int(value, param) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise StripeError(
            400, "invalid_request_error", f"Invalid integer: {value}", param=param
        ) from None


def _int_param(params, name, default) -> int:
    return _int(params[name], name) if name in params else default


def _new_id(prefix: str) -> str:
    return prefix + secrets.token_hex(12)


def _sign(payload: str, secret: str, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


class StripeEmulator(BillingMixin):
    """Start with :meth:`start` (or as a context manager); ``url`` is the API base."""

    def __init__(self, keys=(DEFAULT_KEY,), delivery_retries: int = 3, retry_delay: float = 0.2):
        self.lock = threading.RLock()
        self.initial_keys = tuple(keys)
        self.delivery_retries = delivery_retries
        self.retry_delay = retry_delay
        self.server: ThreadingHTTPServer | None = None
        self.thread: threading.Thread | None = None
        self.delivery_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="emu-webhook")
        self.reset()

    # --- lifecycle -----------------------------------------------------------------------

    def start(self, port: int = 0) -> StripeEmulator:
        """Listen on 127.0.0.1:``port`` (0: a free port, what tests use)."""
        emulator = self

        class Handler(_Handler):
            emu = emulator

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
        self.delivery_pool.shutdown(wait=False, cancel_futures=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def url(self) -> str:
        assert self.server is not None, "emulator not started"
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    # --- control -------------------------------------------------------------------------

    def reset(self) -> None:
        with self.lock:
            self.keys: set[str] = set(self.initial_keys)
            self.revoked: set[str] = set()
            self.restricted: dict[str, tuple[str, ...]] = {}
            self.charges = _Collection()
            self.events = _Collection()
            self.refunds: dict[str, dict] = {}
            self.disputes: dict[str, dict] = {}
            self.endpoints: dict[str, dict] = {}
            self.hidden: set[str] = set()  # charges whose retrieve answers 404
            self.faults: list[dict] = []
            self.refuse_endpoints: dict | None = None
            self.deliveries_paused = False
            self.deliveries: list[dict] = []
            self.requests: list[tuple[str, str]] = []
            # Charges returned by GET /v1/charges, all pages; those of listings filtered by
            # ``created`` (lookups such as the oldest charge's date) count apart.
            self.listed_charges = 0
            self.listed_by_created = 0
            self.clock_offset = 0
            self.latency = 0.0  # seconds each /v1/ request takes (a slow network)
            self._seq = 0
            self._billing_reset()

    def now(self) -> int:
        return int(time.time()) + self.clock_offset

    def add_key(self, key: str) -> None:
        with self.lock:
            self.keys.add(key)
            self.revoked.discard(key)

    def restrict_key(self, key: str, allowed: tuple[str, ...]) -> None:
        """A restricted key (``rk_...``): requests outside the ``allowed`` path prefixes
        answer 403 like Stripe's permission errors."""
        with self.lock:
            self.keys.add(key)
            self.restricted[key] = tuple(allowed)

    def revoke_key(self, key: str) -> None:
        with self.lock:
            self.revoked.add(key)

    def inject_fault(
        self, kind: str, count: int = 1, path: str = "/v1/", after: int = 0, query: str = ""
    ):
        """After ``after`` matching requests, the next ``count`` whose path starts with
        ``path`` fail: ``429``, ``500``, ``drop`` (connection closed, no answer) or
        ``revoke`` (the request's key is revoked then, as when it is rolled in the
        dashboard: 401 from then on). ``query``: only requests whose query string
        contains it count (e.g. ``starting_after``: the pages after the first)."""
        if kind not in ("429", "500", "drop", "revoke"):
            raise ValueError(kind)
        with self.lock:
            self.faults.append(
                {
                    "kind": kind,
                    "count": int(count),
                    "path": path,
                    "after": int(after),
                    "query": query,
                }
            )

    def refuse_webhook_endpoints(self, status: int = 400, message: str | None = None) -> None:
        self.refuse_endpoints = {
            "status": status,
            "message": message or "Invalid URL: URL must be publicly accessible.",
        }

    def pause_deliveries(self, paused: bool = True) -> None:
        self.deliveries_paused = paused

    def hide_charge(self, charge_id: str) -> None:
        """Retrieving this charge answers 404 from now on (events still reference it)."""
        self.hidden.add(charge_id)

    def seed_charges(self, count: int, seed: int = 1, start: int | None = None, per_second=3):
        """Add ``count`` historical charges fast and deterministically (no events)."""
        rng = random.Random(seed)
        if start is None:
            start = self.now() - 90 * 86400
        batch = []
        currencies = ["usd", "usd", "usd", "eur", "gbp"]
        statuses = ["succeeded"] * 18 + ["failed", "pending"]
        for i in range(count):
            status = statuses[rng.randrange(len(statuses))]
            amount = rng.randrange(100, 100_000)
            refunded = rng.random() < 0.05 and status == "succeeded"
            ch = self._charge_template(
                id_=f"ch_{seed:03d}{i:09d}",
                amount=amount,
                currency=currencies[rng.randrange(len(currencies))],
                created=start + i // per_second,
                status=status,
                customer=f"cus_{rng.randrange(1, 5000):06d}",
                description=f"Order {i}",
                receipt_email=f"buyer{rng.randrange(1, 5000)}@example.com",
                metadata={"seed": str(seed), "n": str(i)},
            )
            if refunded:
                ch["amount_refunded"] = amount
                ch["refunded"] = True
            batch.append(ch)
        with self.lock:
            self.charges.extend_sorted(batch)
        return [c["id"] for c in batch]

    # --- domain --------------------------------------------------------------------------

    def _charge_template(self, *, id_, amount, currency, created, status="succeeded", **extra):
        failed = status == "failed"
        charge = {
            "id": id_,
            "object": "charge",
            "amount": amount,
            "amount_captured": 0 if failed or status == "pending" else amount,
            "amount_refunded": 0,
            "balance_transaction": None if failed else "txn_" + id_[3:],
            "billing_details": {"address": None, "email": None, "name": None, "phone": None},
            "calculated_statement_descriptor": "GATHER",
            "captured": not failed and status != "pending",
            "created": created,
            "currency": currency,
            "customer": extra.get("customer"),
            "description": extra.get("description"),
            "disputed": False,
            "failure_code": "card_declined" if failed else None,
            "failure_message": "Your card was declined." if failed else None,
            "fraud_details": {},
            "livemode": False,
            "metadata": extra.get("metadata") or {},
            "outcome": {"type": "issuer_declined" if failed else "authorized"},
            "paid": not failed,
            "payment_intent": extra.get("payment_intent"),
            "payment_method": extra.get("payment_method") or "pm_" + id_[3:],
            "receipt_email": extra.get("receipt_email"),
            "refunded": False,
            "status": status,
        }
        return charge

    def _emit(self, type_: str, obj: dict, previous: dict | None = None) -> dict:
        with self.lock:
            endpoints = [
                e
                for e in self.endpoints.values()
                if e["status"] == "enabled"
                and ("*" in e["enabled_events"] or type_ in e["enabled_events"])
            ]
            self._seq += 1
            created = max(self.now(), self.events.created[-1] if self.events.created else 0)
            event = {
                "id": _new_id("evt_"),
                "object": "event",
                "api_version": API_VERSION,
                "created": created,
                "data": {"object": json.loads(json.dumps(obj))},
                "livemode": False,
                "pending_webhooks": len(endpoints),
                "request": {"id": _new_id("req_"), "idempotency_key": None},
                "type": type_,
            }
            if previous is not None:
                event["data"]["previous_attributes"] = previous
            self.events.add(event)
        if not self.deliveries_paused:
            for endpoint in endpoints:
                self.delivery_pool.submit(self._deliver, event, endpoint)
        return event

    def deliver(self, event: dict, url: str, secret: str, timestamp: int | None = None) -> int:
        """Send one signed event to ``url`` now (tests use it for replays and old events)."""
        payload = json.dumps(event)
        ts = int(time.time()) if timestamp is None else timestamp
        req = urllib.request.Request(
            url,
            data=payload.encode(),
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Stripe-Signature": _sign(payload, secret, ts),
                "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
            },
        )
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status
        except urllib.error.HTTPError as exc:
            return exc.code

    def _deliver(self, event: dict, endpoint: dict) -> None:
        for attempt in range(1, self.delivery_retries + 1):
            sent = time.time()
            try:
                status = self.deliver(event, endpoint["url"], endpoint["secret"])
            except OSError as exc:
                status, error = 0, str(exc)
            else:
                error = None
            with self.lock:
                self.deliveries.append(
                    {
                        "event": event["id"],
                        "type": event["type"],
                        "endpoint": endpoint["id"],
                        "attempt": attempt,
                        "status": status,
                        "error": error,
                        "sent_at": sent,
                        "answered_at": time.time(),
                    }
                )
            if 200 <= status < 300:
                return
            time.sleep(self.retry_delay * attempt)

    def create_charge(self, params: dict) -> dict:
        amount = _int(params.get("amount"), "amount")
        if amount < 50:
            raise StripeError(
                400,
                "invalid_request_error",
                "Amount must be at least 50 cents",
                code="amount_too_small",
                param="amount",
            )
        currency = (params.get("currency") or "").lower()
        if not currency:
            raise StripeError(
                400, "invalid_request_error", "Missing required param: currency.", param="currency"
            )
        source = params.get("source") or params.get("payment_method") or "tok_visa"
        declined = DECLINE_SOURCES.get(source)
        capture = str(params.get("capture", "true")).lower() != "false"
        with self.lock:
            created = max(self.now(), self.charges.created[-1] if self.charges.created else 0)
            charge = self._charge_template(
                id_=_new_id("ch_"),
                amount=amount,
                currency=currency,
                created=created,
                status="failed" if declined else "succeeded",
                customer=params.get("customer"),
                description=params.get("description"),
                receipt_email=params.get("receipt_email"),
                metadata=params.get("metadata") or {},
                payment_intent=params.get("payment_intent"),
            )
            if declined:
                charge["failure_code"], charge["failure_message"] = declined
            elif not capture:
                charge["captured"] = False
                charge["amount_captured"] = 0
            self.charges.add(charge)
        if declined:
            self._emit("charge.failed", charge)
            raise StripeError(
                402,
                "card_error",
                declined[1],
                code=declined[0],
                headers={"charge": charge["id"]},
            )
        self._emit("charge.succeeded", charge)
        return charge

    def get_charge(self, charge_id: str) -> dict:
        charge = self.charges.get(charge_id)
        if charge is None or charge_id in self.hidden:
            raise _not_found("charge", charge_id)
        return charge

    def update_charge(self, charge_id: str, params: dict) -> dict:
        with self.lock:
            charge = self.get_charge(charge_id)
            previous = {}
            if "metadata" in params:
                previous["metadata"] = dict(charge["metadata"])
                meta = params["metadata"]
                if meta == "":
                    charge["metadata"] = {}
                else:
                    for k, v in meta.items():
                        if v == "":
                            charge["metadata"].pop(k, None)
                        else:
                            charge["metadata"][k] = v
            for name in ("description", "receipt_email"):
                if name in params:
                    previous[name] = charge[name]
                    charge[name] = params[name] or None
        self._emit("charge.updated", charge, previous)
        return charge

    def capture_charge(self, charge_id: str, params: dict) -> dict:
        with self.lock:
            charge = self.get_charge(charge_id)
            if charge["captured"]:
                raise StripeError(
                    400,
                    "invalid_request_error",
                    f"Charge {charge_id} has already been captured.",
                    code="charge_already_captured",
                )
            amount = _int(params.get("amount", charge["amount"]), "amount")
            previous = {"amount_captured": 0, "captured": False}
            charge["captured"] = True
            charge["amount_captured"] = amount
        self._emit("charge.captured", charge, previous)
        return charge

    def create_refund(self, params: dict) -> dict:
        charge_id = params.get("charge")
        if not charge_id:
            raise StripeError(
                400, "invalid_request_error", "Missing required param: charge.", param="charge"
            )
        with self.lock:
            charge = self.get_charge(charge_id)
            remaining = charge["amount_captured"] - charge["amount_refunded"]
            amount = _int(params.get("amount", remaining), "amount")
            if amount <= 0 or amount > remaining:
                raise StripeError(
                    400,
                    "invalid_request_error",
                    f"Refund amount ({amount}) is greater than unrefunded amount on charge "
                    f"({remaining})",
                    code="charge_already_refunded" if remaining == 0 else "amount_too_large",
                    param="amount",
                )
            previous = {"amount_refunded": charge["amount_refunded"], "refunded": False}
            charge["amount_refunded"] += amount
            charge["refunded"] = charge["amount_refunded"] >= charge["amount_captured"]
            refund = {
                "id": _new_id("re_"),
                "object": "refund",
                "amount": amount,
                "charge": charge_id,
                "created": self.now(),
                "currency": charge["currency"],
                "metadata": params.get("metadata") or {},
                "payment_intent": charge["payment_intent"],
                "reason": params.get("reason"),
                "status": "succeeded",
            }
            self.refunds[refund["id"]] = refund
        self._emit("charge.refunded", charge, previous)
        return refund

    def create_dispute(self, charge_id: str, reason: str = "fraudulent") -> dict:
        """Control only (Stripe opens disputes, not the merchant)."""
        with self.lock:
            charge = self.get_charge(charge_id)
            dispute = {
                "id": _new_id("dp_"),
                "object": "dispute",
                "amount": charge["amount"],
                "charge": charge_id,
                "created": self.now(),
                "currency": charge["currency"],
                "reason": reason,
                "status": "needs_response",
                "livemode": False,
                "metadata": {},
            }
            self.disputes[dispute["id"]] = dispute
            charge["disputed"] = True
        self._emit("charge.dispute.created", dispute)
        return dispute

    def create_endpoint(self, params: dict) -> dict:
        if self.refuse_endpoints:
            raise StripeError(
                self.refuse_endpoints["status"],
                "invalid_request_error",
                self.refuse_endpoints["message"],
                param="url",
            )
        url = params.get("url")
        events = params.get("enabled_events")
        if not url:
            raise StripeError(
                400, "invalid_request_error", "Missing required param: url.", param="url"
            )
        if not events:
            raise StripeError(
                400,
                "invalid_request_error",
                "Missing required param: enabled_events.",
                param="enabled_events",
            )
        endpoint = {
            "id": _new_id("we_"),
            "object": "webhook_endpoint",
            "api_version": params.get("api_version"),
            "application": None,
            "created": self.now(),
            "description": params.get("description"),
            "enabled_events": list(events),
            "livemode": False,
            "metadata": params.get("metadata") or {},
            "secret": "whsec_" + secrets.token_hex(16),
            "status": "enabled",
            "url": url,
        }
        with self.lock:
            self.endpoints[endpoint["id"]] = endpoint
        return endpoint

    def update_endpoint(self, endpoint_id: str, params: dict) -> dict:
        with self.lock:
            endpoint = self.endpoints[endpoint_id]
            if "url" in params:
                if not params["url"]:
                    raise StripeError(
                        400, "invalid_request_error", "Invalid URL: empty.", param="url"
                    )
                endpoint["url"] = params["url"]
            if params.get("enabled_events"):
                endpoint["enabled_events"] = list(params["enabled_events"])
            if "description" in params:
                endpoint["description"] = params["description"] or None
            if "disabled" in params:
                disabled = str(params["disabled"]).lower() == "true"
                endpoint["status"] = "disabled" if disabled else "enabled"
            return endpoint

    # --- requests ------------------------------------------------------------------------

    def take_fault(self, path: str, query: str = "") -> str | None:
        with self.lock:
            for fault in self.faults:
                if (
                    fault["count"] > 0
                    and path.startswith(fault["path"])
                    and fault.get("query", "") in query
                ):
                    if fault["after"] > 0:
                        fault["after"] -= 1
                        continue
                    fault["count"] -= 1
                    return fault["kind"]
        return None

    def authenticate(self, header: str | None, path: str = "/v1/") -> None:
        key = _key_from_header(header)
        if key is None:
            raise StripeError(
                401,
                "invalid_request_error",
                "You did not provide an API key. You need to provide your API key in the "
                "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
                "YOUR_SECRET_KEY').",
            )
        hint = key[:8] + "*" * 12 + key[-4:]
        if key in self.revoked:
            raise StripeError(
                401, "invalid_request_error", f"Expired API Key provided: {hint}", "api_key_expired"
            )
        if key not in self.keys:
            raise StripeError(401, "invalid_request_error", f"Invalid API Key provided: {hint}")
        allowed = self.restricted.get(key)
        if allowed is not None and not path.startswith(allowed):
            raise StripeError(
                403,
                "invalid_request_error",
                f"The provided key '{hint}' does not have the required permissions for this "
                "endpoint on account 'acct_emulator'. Having more permissions would allow "
                "this request to continue.",
            )

    def route(self, method: str, path: str, params: dict):
        parts = [p for p in path.split("/") if p][1:]  # drop "v1"
        if not parts:
            raise _not_found("route", path)
        head, rest = parts[0], parts[1:]
        if head == "charges":
            if method == "GET" and not rest:
                page, has_more = self.charges.page(params)
                with self.lock:
                    if "created" in params:
                        self.listed_by_created += len(page)
                    else:
                        self.listed_charges += len(page)
                return _list("/v1/charges", page, has_more)
            if method == "POST" and not rest:
                return self.create_charge(params)
            if len(rest) == 1 and method == "GET":
                return self.get_charge(rest[0])
            if len(rest) == 1 and method == "POST":
                return self.update_charge(rest[0], params)
            if len(rest) == 2 and rest[1] == "capture" and method == "POST":
                return self.capture_charge(rest[0], params)
        if head == "refunds":
            if method == "POST" and not rest:
                return self.create_refund(params)
            if method == "GET" and len(rest) == 1:
                if rest[0] not in self.refunds:
                    raise _not_found("refund", rest[0])
                return self.refunds[rest[0]]
        if head == "disputes" and method == "GET" and len(rest) == 1:
            if rest[0] not in self.disputes:
                raise _not_found("dispute", rest[0])
            return self.disputes[rest[0]]
        if head == "events":
            if method == "GET" and not rest:
                page, has_more = self.events.page(params, _event_matcher(params))
                return _list("/v1/events", page, has_more)
            if method == "GET" and len(rest) == 1:
                event = self.events.get(rest[0])
                if event is None:
                    raise _not_found("event", rest[0])
                return event
        if head == "webhook_endpoints":
            if method == "POST" and not rest:
                return self.create_endpoint(params)
            if method == "GET" and not rest:
                items = sorted(self.endpoints.values(), key=lambda e: e["created"], reverse=True)
                return _list("/v1/webhook_endpoints", items, False)
            if len(rest) == 1:
                endpoint = self.endpoints.get(rest[0])
                if endpoint is None:
                    raise _not_found("webhook endpoint", rest[0])
                if method == "GET":
                    return endpoint
                if method == "POST":
                    return self.update_endpoint(rest[0], params)
                if method == "DELETE":
                    with self.lock:
                        del self.endpoints[rest[0]]
                    return {"id": rest[0], "object": "webhook_endpoint", "deleted": True}
        if head == "account" and method == "GET":
            return {"id": "acct_emulator", "object": "account", "email": "owner@example.com"}
        answer = self.billing_route(method, head, rest, params)
        if answer is not None:
            return answer
        raise StripeError(
            404,
            "invalid_request_error",
            f"Unrecognized request URL ({method}: {path}).",
        )

    def control(self, method: str, path: str, body: dict):
        action = path[len("/_emulator/") :]
        if action == "reset":
            self.reset()
            return {"ok": True}
        if action == "seed":
            ids = self.seed_charges(
                int(body.get("count", 100)),
                seed=int(body.get("seed", 1)),
                start=body.get("start"),
            )
            return {"count": len(ids), "first": ids[0] if ids else None}
        if action == "faults":
            kind, count = str(body["kind"]), int(body.get("count", 1))
            self.inject_fault(
                kind,
                count,
                body.get("path", "/v1/"),
                int(body.get("after", 0)),
                str(body.get("query", "")),
            )
            return {"ok": True}
        if action == "keys":
            if body.get("revoke"):
                self.revoke_key(body["key"])
            else:
                self.add_key(body["key"])
            return {"ok": True}
        if action == "refuse_webhook_endpoints":
            if body.get("refuse", True):
                self.refuse_webhook_endpoints(int(body.get("status", 400)), body.get("message"))
            else:
                self.refuse_endpoints = None
            return {"ok": True}
        if action == "deliveries" and method == "GET":
            with self.lock:
                return {"data": list(self.deliveries)}
        if action == "deliveries":
            self.pause_deliveries(bool(body.get("paused", True)))
            return {"ok": True}
        if action == "dispute":
            return self.create_dispute(body["charge"])
        if action == "hide":
            self.hide_charge(body["charge"])
            return {"ok": True}
        if action == "stats":
            return {
                "charges": len(self.charges.items),
                "events": len(self.events.items),
                "listed_charges": self.listed_charges,
                "listed_by_created": self.listed_by_created,
                "requests": len(self.requests),
            }
        answer = self.billing_control(action, body)
        if answer is not None:
            return answer
        raise StripeError(404, "invalid_request_error", f"Unknown control {path}")


def _key_from_header(header: str | None) -> str | None:
    """The API key of ``Authorization: Bearer <key>`` or ``Basic base64(<key>:)``."""
    scheme, _, value = (header or "").strip().partition(" ")
    if scheme.lower() == "bearer":
        return value.strip() or None
    if scheme.lower() == "basic":
        try:
            user = base64.b64decode(value.strip(), validate=True).decode().partition(":")[0]
        except (binascii.Error, UnicodeDecodeError):
            return None
        return user or None
    return None


def _event_matcher(params: dict):
    types = params.get("types")
    type_ = params.get("type")
    if type_ and types:
        raise StripeError(
            400,
            "invalid_request_error",
            "You may only specify one of these parameters: type, types.",
        )
    if types:
        wanted = set(types if isinstance(types, list) else [types])
        return lambda e: e["type"] in wanted
    if type_:
        if type_.endswith(".*"):
            prefix = type_[:-1]
            return lambda e: e["type"].startswith(prefix)
        return lambda e: e["type"] == type_
    return None


def _list(url: str, data: list, has_more: bool) -> dict:
    return {"object": "list", "data": data, "has_more": bool(has_more), "url": url}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    emu: StripeEmulator

    def setup(self):
        super().setup()
        # Headers and body go out in separate writes: without this, Nagle's algorithm and
        # the client's delayed ACK add ~40 ms to every keep-alive response.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format, *args):  # quiet
        return

    def _send(self, status: int, body: dict, headers: dict | None = None) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.send_header("Request-Id", _new_id("req_"))
        self.send_header("Stripe-Version", API_VERSION)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(raw)

    def _handle(self, method: str) -> None:
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        path = split.path
        emu = self.emu
        if path.startswith("/_emulator/"):
            try:
                body = json.loads(raw) if raw else {}
                self._send(200, emu.control(method, path, body))
            except StripeError as exc:
                self._send(exc.status, exc.body())
            return
        emu.requests.append((method, path))
        if emu.latency > 0:
            time.sleep(emu.latency)
        fault = emu.take_fault(path, split.query)
        if fault == "revoke" and (key := _key_from_header(self.headers.get("Authorization"))):
            emu.revoke_key(key)
        if fault == "drop":
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        if fault == "429":
            err = StripeError(
                429,
                "invalid_request_error",
                "Too many requests hit the API too quickly. We recommend an exponential "
                "backoff of your requests.",
                code="rate_limit",
            )
            self._send(429, err.body())
            return
        if fault == "500":
            self._send(
                500,
                {"error": {"type": "api_error", "message": "An unknown error occurred"}},
            )
            return
        try:
            emu.authenticate(self.headers.get("Authorization"), path)
            pairs = parse_qsl(split.query, keep_blank_values=True)
            if raw:
                pairs += parse_qsl(raw.decode(), keep_blank_values=True)
            params = decode_form(pairs)
            self._send(200, emu.route(method, path, params))
        except StripeError as exc:
            self._send(exc.status, exc.body())

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def do_DELETE(self):
        self._handle("DELETE")


def build_parser():
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m tests.emulators.stripe_emulator",
        description="A Stripe emulator on 127.0.0.1 (test keys only, data in memory).",
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}; 0: any free one"
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        metavar="N",
        help="start with N charges, ch_001000000000 … (N-1 in the last 9 digits)",
    )
    parser.add_argument(
        "--key", action="append", default=None, help=f"accepted API key (default {DEFAULT_KEY})"
    )
    return parser


def main(argv=None) -> int:
    """``python -m tests.emulators.stripe_emulator [--port P] [--seed N]``: run until ^C."""
    import sys

    args = build_parser().parse_args(argv)
    emu = StripeEmulator(keys=args.key or (DEFAULT_KEY,))
    try:
        emu.start(port=args.port)
    except OSError as exc:
        print(
            f"Cannot listen on 127.0.0.1:{args.port} ({exc.strerror}); "
            "another emulator may be running. Choose another with --port.",
            file=sys.stderr,
        )
        return 2
    ids = emu.seed_charges(args.seed) if args.seed else []
    print(emu.url, flush=True)
    keys = ", ".join(sorted(emu.keys))
    print(f"  API keys: {keys} (Authorization: Bearer <key>, or curl -u <key>:)", flush=True)
    if ids:
        print(
            f"  {len(ids):,} charges: {ids[0]} (oldest) … {ids[-1]} (newest); "
            f"list them with: curl -u {sorted(emu.keys)[0]}: {emu.url}/v1/charges",
            flush=True,
        )
    else:
        print("  no charges yet (--seed N starts with N)", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        emu.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
