"""Billing objects of the Stripe emulator: customers, products, prices, legacy plans,
subscriptions with items, invoice items and invoices, in Stripe's wire format.

Mixed into :class:`tests.emulators.stripe_emulator.StripeEmulator` (which owns the HTTP
server, authentication, faults, events and webhook delivery). Behaviour follows Stripe's
API reference for the emulator's API version:

* ``GET /v1/customers`` omits deleted customers; retrieving a deleted customer answers 200
  ``{"id", "object": "customer", "deleted": true}``; deleting one cancels its subscriptions;
* ``GET /v1/subscriptions`` omits canceled subscriptions unless ``status=canceled`` or
  ``status=all``; the billing period lives on each item (``items.data[].current_period_*``);
* invoices move ``draft -> open -> paid | void | uncollectible`` (finalize, pay, void,
  mark_uncollectible) with ``status_transitions``; a subscription creates its first invoice,
  and :meth:`BillingMixin.advance_subscription` (a test clock in miniature) renews it;
* a payment method or source named ``pm_card_chargeDeclined`` / ``tok_chargeDeclined``
  fails payment: the invoice stays open and the subscription becomes ``incomplete`` (first
  invoice) or ``past_due`` (a renewal);
* ``/v1/customers/search``, ``/v1/subscriptions/search`` and ``/v1/invoices/search`` take
  the query language's ``field:'value'``, ``field~'sub'``, ``field>n`` (``<``, ``>=``,
  ``<=``), ``metadata['key']:'value'``, ``-`` negation, and clauses joined by one of
  ``AND``/``OR``; results are ``{"object": "search_result", ..., "next_page"}``.
"""

from __future__ import annotations

import random
import re
import secrets


def _wire():
    """The emulator's wire helpers (imported late: stripe_emulator imports this module)."""
    from tests.emulators import stripe_emulator

    return stripe_emulator


def StripeError(*args, **kwargs):  # noqa: N802 - builds the emulator's error type
    return _wire().StripeError(*args, **kwargs)


def _Collection():  # noqa: N802
    return _wire()._Collection()


def _int(value, param) -> int:
    return _wire()._int(value, param)


def _list(url, data, has_more) -> dict:
    return _wire()._list(url, data, has_more)


def _new_id(prefix: str) -> str:
    return _wire()._new_id(prefix)


def _not_found(kind, id_, param="id"):
    return _wire()._not_found(kind, id_, param)


DECLINING = {"pm_card_chargeDeclined", "tok_chargeDeclined", "pm_card_visa_chargeDeclined"}
PERIOD_SECONDS = {"day": 86400, "week": 7 * 86400, "month": 30 * 86400, "year": 365 * 86400}
SUBSCRIPTION_STATUSES = {
    "active",
    "past_due",
    "unpaid",
    "trialing",
    "incomplete",
    "incomplete_expired",
    "paused",
    "canceled",
}


def _bad(message: str, param: str | None = None, code: str | None = None) -> Exception:
    return StripeError(400, "invalid_request_error", message, code=code, param=param)


def _required(params: dict, name: str):
    value = params.get(name)
    if value in (None, ""):
        raise _bad(f"Missing required param: {name}.", param=name)
    return value


def _bool(value, default=False) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    return str(value).lower() == "true"


def _merge_metadata(target: dict, meta) -> None:
    if meta == "":
        target.clear()
        return
    for k, v in (meta or {}).items():
        if v == "":
            target.pop(k, None)
        else:
            target[k] = v


def _copy(obj: dict) -> dict:
    import json

    return json.loads(json.dumps(obj))


# --- search -------------------------------------------------------------------------------

_CLAUSE = re.compile(
    r"""^(?P<neg>-)?(?P<field>[a-z_]+(?:\['[^']+'\])?)\s*(?P<op>:|~|>=|<=|>|<)\s*
        (?P<value>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|-?\d+)$""",
    re.X,
)


def _search_matcher(query: str, fields: dict):
    """Stripe's search query language, as far as the emulator's objects need it."""
    query = (query or "").strip()
    if not query:
        raise _bad("Missing required param: query.", param="query")
    has_and, has_or = " AND " in query, " OR " in query
    if has_and and has_or:
        raise _bad("You cannot combine AND and OR in the same query.", param="query")
    parts = re.split(r"\s+(?:AND|OR)\s+", query)
    tests = []
    for part in parts:
        m = _CLAUSE.match(part.strip())
        if not m:
            raise _bad(f"Invalid query: could not parse {part!r}.", param="query")
        field, op, raw = m["field"], m["op"], m["value"]
        meta = None
        if field.startswith("metadata["):
            meta, field = field[len("metadata['") : -2], "metadata"
        elif field not in fields:
            raise _bad(f"Field {field!r} is not supported in this search.", param="query")
        value = raw[1:-1] if raw[0] in "'\"" else int(raw)
        if op == "~" and (not isinstance(value, str) or len(value) < 3):
            raise _bad("A substring search needs at least 3 characters.", param="query")

        def test(obj, field=field, op=op, value=value, meta=meta, neg=bool(m["neg"])):
            got = (obj.get("metadata") or {}).get(meta) if meta else fields[field](obj)
            if op == ":":
                ok = got is not None and str(got).lower() == str(value).lower()
            elif op == "~":
                ok = got is not None and str(value).lower() in str(got).lower()
            else:
                try:
                    a, b = float(got), float(value)
                except (TypeError, ValueError):
                    ok = False
                else:
                    ok = {">": a > b, "<": a < b, ">=": a >= b, "<=": a <= b}[op]
            return ok != neg

        tests.append(test)
    if has_or:
        return lambda o: any(t(o) for t in tests)
    return lambda o: all(t(o) for t in tests)


class BillingMixin:
    """The billing half of the emulator (see the module docstring)."""

    def _billing_reset(self) -> None:
        self.customers = _Collection()
        self.products = _Collection()
        self.prices = _Collection()
        self.plans = _Collection()
        self.subscriptions = _Collection()
        self.invoices = _Collection()
        self.invoice_items: dict[str, dict] = {}
        self.deleted_customers: set[str] = set()
        self.hidden_objects: set[str] = set()  # retrieving these answers 404
        self.listed = {"customers": 0, "subscriptions": 0, "invoices": 0}
        self._invoice_seq = 0

    # --- helpers ---------------------------------------------------------------------

    def _created(self, coll: _Collection) -> int:
        return max(self.now(), coll.created[-1] if coll.created else 0)

    def _get(self, coll: _Collection, kind: str, id_: str) -> dict:
        obj = coll.get(id_)
        if obj is None or id_ in self.hidden_objects:
            raise _not_found(kind, id_)
        return obj

    def hide_object(self, object_id: str) -> None:
        """Retrieving this customer, subscription or invoice answers 404 from now on."""
        self.hidden_objects.add(object_id)

    def _customer_live(self, customer_id) -> dict:
        if not customer_id:
            raise _bad("Missing required param: customer.", param="customer")
        if customer_id in self.deleted_customers:
            raise _not_found("customer", customer_id, "customer")
        return self._get(self.customers, "customer", customer_id)

    # --- customers -------------------------------------------------------------------

    def _customer_template(self, *, id_, created, **f) -> dict:
        return {
            "id": id_,
            "object": "customer",
            "address": None,
            "balance": int(f.get("balance") or 0),
            "created": created,
            "currency": f.get("currency"),
            "default_source": None,
            "delinquent": False,
            "description": f.get("description"),
            "discount": None,
            "email": f.get("email"),
            "invoice_prefix": id_[4:12].upper(),
            "invoice_settings": {
                "custom_fields": None,
                "default_payment_method": f.get("default_payment_method"),
                "footer": None,
                "rendering_options": None,
            },
            "livemode": False,
            "metadata": dict(f.get("metadata") or {}),
            "name": f.get("name"),
            "next_invoice_sequence": 1,
            "phone": f.get("phone"),
            "preferred_locales": [],
            "shipping": None,
            "tax_exempt": "none",
            "test_clock": None,
        }

    def create_customer(self, params: dict) -> dict:
        with self.lock:
            pm = params.get("payment_method") or (params.get("invoice_settings") or {}).get(
                "default_payment_method"
            )
            customer = self._customer_template(
                id_=_new_id("cus_"),
                created=self._created(self.customers),
                email=params.get("email"),
                name=params.get("name"),
                description=params.get("description"),
                phone=params.get("phone"),
                metadata=params.get("metadata"),
                balance=_int(params.get("balance", 0), "balance"),
                default_payment_method=pm,
            )
            self.customers.add(customer)
        self._emit("customer.created", customer)
        return customer

    def get_customer(self, customer_id: str) -> dict:
        if customer_id in self.deleted_customers and customer_id not in self.hidden_objects:
            return {"id": customer_id, "object": "customer", "deleted": True}
        return self._get(self.customers, "customer", customer_id)

    def update_customer(self, customer_id: str, params: dict) -> dict:
        with self.lock:
            customer = self._customer_live(customer_id)
            previous: dict = {}
            if "metadata" in params:
                previous["metadata"] = dict(customer["metadata"])
                _merge_metadata(customer["metadata"], params["metadata"])
            for name in ("email", "name", "description", "phone"):
                if name in params:
                    previous[name] = customer[name]
                    customer[name] = params[name] or None
            if "balance" in params:
                previous["balance"] = customer["balance"]
                customer["balance"] = _int(params["balance"], "balance")
            settings = params.get("invoice_settings") or {}
            if "default_payment_method" in settings:
                customer["invoice_settings"]["default_payment_method"] = (
                    settings["default_payment_method"] or None
                )
        self._emit("customer.updated", customer, previous)
        return customer

    def delete_customer(self, customer_id: str) -> dict:
        with self.lock:
            customer = self._customer_live(customer_id)
            subs = [
                s
                for s in self.subscriptions.items
                if s["customer"] == customer_id and s["status"] != "canceled"
            ]
        for sub in subs:
            self.cancel_subscription(sub["id"], {})
        with self.lock:
            self.deleted_customers.add(customer_id)
        self._emit("customer.deleted", customer)
        return {"id": customer_id, "object": "customer", "deleted": True}

    def _live_customers(self, params: dict):
        email = params.get("email")

        def match(c):
            if c["id"] in self.deleted_customers:
                return False
            return email is None or c["email"] == email

        return match

    # --- products, prices, plans -----------------------------------------------------

    def create_product(self, params: dict) -> dict:
        with self.lock:
            product = {
                "id": params.get("id") or _new_id("prod_"),
                "object": "product",
                "active": _bool(params.get("active"), True),
                "created": self._created(self.products),
                "default_price": None,
                "description": params.get("description"),
                "images": [],
                "livemode": False,
                "marketing_features": [],
                "metadata": dict(params.get("metadata") or {}),
                "name": _required(params, "name"),
                "package_dimensions": None,
                "shippable": None,
                "statement_descriptor": None,
                "tax_code": None,
                "type": "service",
                "unit_label": None,
                "updated": self.now(),
                "url": None,
            }
            if self.products.get(product["id"]) is not None:
                raise _bad(
                    f"Product already exists: {product['id']}", "id", "resource_already_exists"
                )
            self.products.add(product)
        self._emit("product.created", product)
        return product

    def update_product(self, product_id: str, params: dict) -> dict:
        with self.lock:
            product = self._get(self.products, "product", product_id)
            previous = {}
            for name in ("name", "description"):
                if name in params:
                    previous[name] = product[name]
                    product[name] = params[name]
            if "metadata" in params:
                previous["metadata"] = dict(product["metadata"])
                _merge_metadata(product["metadata"], params["metadata"])
            product["updated"] = self.now()
        self._emit("product.updated", product, previous)
        return product

    def _product_ref(self, params: dict) -> str:
        data = params.get("product_data")
        if isinstance(data, dict):
            return self.create_product(
                {"name": data.get("name"), "metadata": data.get("metadata")}
            )["id"]
        product = params.get("product")
        if isinstance(product, dict):  # legacy plans take product[name]
            return self.create_product({"name": product.get("name")})["id"]
        product = _required(params, "product")
        self._get(self.products, "product", product)
        return product

    def create_price(self, params: dict) -> dict:
        currency = str(_required(params, "currency")).lower()
        amount = _int(_required(params, "unit_amount"), "unit_amount")
        recurring = params.get("recurring")
        product = self._product_ref(params)
        if isinstance(recurring, dict):
            interval = recurring.get("interval")
            if interval not in PERIOD_SECONDS:
                raise _bad(f"Invalid recurring[interval]: {interval}", "recurring[interval]")
            recurring = {
                "interval": interval,
                "interval_count": _int(recurring.get("interval_count", 1), "interval_count"),
                "meter": None,
                "trial_period_days": None,
                "usage_type": "licensed",
            }
        with self.lock:
            price = {
                "id": params.get("id") or _new_id("price_"),
                "object": "price",
                "active": True,
                "billing_scheme": "per_unit",
                "created": self._created(self.prices),
                "currency": currency,
                "custom_unit_amount": None,
                "livemode": False,
                "lookup_key": params.get("lookup_key"),
                "metadata": dict(params.get("metadata") or {}),
                "nickname": params.get("nickname"),
                "product": product,
                "recurring": recurring if isinstance(recurring, dict) else None,
                "tax_behavior": "unspecified",
                "tiers_mode": None,
                "transform_quantity": None,
                "type": "recurring" if isinstance(recurring, dict) else "one_time",
                "unit_amount": amount,
                "unit_amount_decimal": str(amount),
            }
            self.prices.add(price)
        self._emit("price.created", price)
        return price

    def create_plan(self, params: dict) -> dict:
        """Legacy plans (``POST /v1/plans``); an item on a plan carries it as ``plan``."""
        interval = _required(params, "interval")
        if interval not in PERIOD_SECONDS:
            raise _bad(f"Invalid interval: {interval}", "interval")
        amount = _int(_required(params, "amount"), "amount")
        product = self._product_ref(params)
        with self.lock:
            plan = {
                "id": params.get("id") or _new_id("plan_"),
                "object": "plan",
                "active": True,
                "amount": amount,
                "amount_decimal": str(amount),
                "billing_scheme": "per_unit",
                "created": self._created(self.plans),
                "currency": str(_required(params, "currency")).lower(),
                "interval": interval,
                "interval_count": _int(params.get("interval_count", 1), "interval_count"),
                "livemode": False,
                "metadata": dict(params.get("metadata") or {}),
                "meter": None,
                "nickname": params.get("nickname"),
                "product": product,
                "tiers_mode": None,
                "transform_usage": None,
                "trial_period_days": None,
                "usage_type": "licensed",
            }
            self.plans.add(plan)
        self._emit("plan.created", plan)
        return plan

    @staticmethod
    def _plan_of_price(price: dict) -> dict:
        rec = price.get("recurring") or {}
        return {
            "id": price["id"],
            "object": "plan",
            "active": price["active"],
            "amount": price["unit_amount"],
            "amount_decimal": price["unit_amount_decimal"],
            "billing_scheme": "per_unit",
            "created": price["created"],
            "currency": price["currency"],
            "interval": rec.get("interval"),
            "interval_count": rec.get("interval_count"),
            "livemode": False,
            "metadata": price["metadata"],
            "meter": None,
            "nickname": price["nickname"],
            "product": price["product"],
            "tiers_mode": None,
            "transform_usage": None,
            "trial_period_days": None,
            "usage_type": "licensed",
        }

    @staticmethod
    def _price_of_plan(plan: dict) -> dict:
        return {
            "id": plan["id"],
            "object": "price",
            "active": plan["active"],
            "billing_scheme": "per_unit",
            "created": plan["created"],
            "currency": plan["currency"],
            "custom_unit_amount": None,
            "livemode": False,
            "lookup_key": None,
            "metadata": plan["metadata"],
            "nickname": plan["nickname"],
            "product": plan["product"],
            "recurring": {
                "interval": plan["interval"],
                "interval_count": plan["interval_count"],
                "meter": None,
                "trial_period_days": None,
                "usage_type": "licensed",
            },
            "tax_behavior": "unspecified",
            "tiers_mode": None,
            "transform_quantity": None,
            "type": "recurring",
            "unit_amount": plan["amount"],
            "unit_amount_decimal": plan["amount_decimal"],
        }

    def _price_and_plan(self, item: dict, where: str) -> tuple[dict, dict]:
        if item.get("price"):
            price = self._get(self.prices, "price", item["price"])
            if price["type"] != "recurring":
                raise _bad(
                    "The price specified is set to `type=one_time` but this field only "
                    "accepts prices with `type=recurring`.",
                    f"{where}[price]",
                )
            return _copy(price), self._plan_of_price(price)
        if item.get("plan"):
            plan = self._get(self.plans, "plan", item["plan"])
            return self._price_of_plan(plan), _copy(plan)
        raise _bad("Missing required param: items[0][price].", f"{where}[price]")

    # --- subscriptions ---------------------------------------------------------------

    def _period_end(self, start: int, plan: dict) -> int:
        return start + PERIOD_SECONDS[plan["interval"]] * int(plan["interval_count"] or 1)

    def create_subscription(self, params: dict) -> dict:
        customer = self._customer_live(params.get("customer"))
        raw_items = params.get("items") or []
        if isinstance(raw_items, dict):
            raw_items = [raw_items[k] for k in sorted(raw_items, key=int)]
        if not raw_items:
            raise _bad("Missing required param: items.", "items")
        trial_days = _int(params.get("trial_period_days", 0), "trial_period_days")
        collection = params.get("collection_method") or "charge_automatically"
        pm = (
            params.get("default_payment_method")
            or customer["invoice_settings"]["default_payment_method"]
        )
        with self.lock:
            created = self._created(self.subscriptions)
            sub_id = _new_id("sub_")
            items = []
            currency = None
            for i, raw in enumerate(raw_items):
                price, plan = self._price_and_plan(raw, f"items[{i}]")
                if currency and price["currency"] != currency:
                    raise _bad("All prices on a subscription must have the same currency.")
                currency = price["currency"]
                end = created + trial_days * 86400 if trial_days else None
                items.append(
                    {
                        "id": _new_id("si_"),
                        "object": "subscription_item",
                        "created": created,
                        "current_period_end": end or self._period_end(created, plan),
                        "current_period_start": created,
                        "discounts": [],
                        "metadata": {},
                        "plan": plan,
                        "price": price,
                        "quantity": _int(raw.get("quantity", 1), "quantity"),
                        "subscription": sub_id,
                        "tax_rates": [],
                    }
                )
            sub = {
                "id": sub_id,
                "object": "subscription",
                "application": None,
                "automatic_tax": {"enabled": False, "liability": None},
                "billing_cycle_anchor": created,
                "cancel_at": None,
                "cancel_at_period_end": _bool(params.get("cancel_at_period_end")),
                "canceled_at": None,
                "cancellation_details": {"comment": None, "feedback": None, "reason": None},
                "collection_method": collection,
                "created": created,
                "currency": currency,
                "customer": customer["id"],
                "days_until_due": (
                    _int(params.get("days_until_due", 30), "days_until_due")
                    if collection == "send_invoice"
                    else None
                ),
                "default_payment_method": params.get("default_payment_method"),
                "description": params.get("description"),
                "discounts": [],
                "ended_at": None,
                "items": {
                    "object": "list",
                    "data": items,
                    "has_more": False,
                    "total_count": len(items),
                    "url": f"/v1/subscription_items?subscription={sub_id}",
                },
                "latest_invoice": None,
                "livemode": False,
                "metadata": dict(params.get("metadata") or {}),
                "pause_collection": None,
                "start_date": created,
                "status": "trialing" if trial_days else "incomplete",
                "test_clock": None,
                "trial_end": created + trial_days * 86400 if trial_days else None,
                "trial_start": created if trial_days else None,
            }
            self.subscriptions.add(sub)
            if customer["currency"] is None:
                customer["currency"] = currency
        invoice = self._subscription_invoice(sub, "subscription_create", pm, trial=bool(trial_days))
        with self.lock:
            if not trial_days:
                if invoice["status"] == "paid" or collection == "send_invoice":
                    sub["status"] = "active"
                else:
                    sub["status"] = "incomplete"
            sub["latest_invoice"] = invoice["id"]
        self._emit("customer.subscription.created", sub)
        return sub

    def _subscription_invoice(self, sub: dict, reason: str, pm, trial=False) -> dict:
        lines = []
        for item in sub["items"]["data"]:
            amount = 0 if trial else item["price"]["unit_amount"] * item["quantity"]
            lines.append(
                {
                    "amount": amount,
                    "currency": sub["currency"],
                    "description": f"{item['quantity']} × {item['price']['product']}",
                    "quantity": item["quantity"],
                    "pricing": {"price_details": {"price": item["price"]["id"]}},
                }
            )
        invoice = self.create_invoice(
            {
                "customer": sub["customer"],
                "collection_method": sub["collection_method"],
                "days_until_due": sub["days_until_due"],
                "auto_advance": "true",
            },
            subscription=sub,
            lines=lines,
            reason=reason,
        )
        self.finalize_invoice(invoice["id"], {})
        if sub["collection_method"] == "charge_automatically" and invoice["status"] == "open":
            try:
                self.pay_invoice(invoice["id"], {"payment_method": pm} if pm else {})
            except _wire().StripeError:
                pass  # payment failed: the invoice stays open
        return invoice

    def get_subscription(self, sub_id: str) -> dict:
        return self._get(self.subscriptions, "subscription", sub_id)

    def update_subscription(self, sub_id: str, params: dict) -> dict:
        with self.lock:
            sub = self.get_subscription(sub_id)
            if sub["status"] == "canceled":
                raise _bad(
                    "A canceled subscription can only update its cancellation_details and metadata."
                )
            previous: dict = {}
            if "cancel_at_period_end" in params:
                previous["cancel_at_period_end"] = sub["cancel_at_period_end"]
                sub["cancel_at_period_end"] = _bool(params["cancel_at_period_end"])
                period_end = max(i["current_period_end"] for i in sub["items"]["data"])
                sub["cancel_at"] = period_end if sub["cancel_at_period_end"] else None
                sub["canceled_at"] = self.now() if sub["cancel_at_period_end"] else None
            if "metadata" in params:
                previous["metadata"] = dict(sub["metadata"])
                _merge_metadata(sub["metadata"], params["metadata"])
            if "default_payment_method" in params:
                sub["default_payment_method"] = params["default_payment_method"] or None
            raw_items = params.get("items")
            if isinstance(raw_items, dict):
                raw_items = [raw_items[k] for k in sorted(raw_items, key=int)]
            if raw_items:
                previous["items"] = _copy(sub["items"])
                by_id = {i["id"]: i for i in sub["items"]["data"]}
                for n, raw in enumerate(raw_items):
                    item = by_id.get(raw.get("id")) if raw.get("id") else None
                    if raw.get("id") and item is None:
                        raise _not_found("subscription_item", raw["id"], f"items[{n}][id]")
                    if item is not None and _bool(raw.get("deleted")):
                        sub["items"]["data"].remove(item)
                        continue
                    if item is None:
                        price, plan = self._price_and_plan(raw, f"items[{n}]")
                        first = sub["items"]["data"][0] if sub["items"]["data"] else None
                        item = {
                            "id": _new_id("si_"),
                            "object": "subscription_item",
                            "created": self.now(),
                            "current_period_end": first["current_period_end"]
                            if first
                            else self._period_end(self.now(), plan),
                            "current_period_start": first["current_period_start"]
                            if first
                            else self.now(),
                            "discounts": [],
                            "metadata": {},
                            "plan": plan,
                            "price": price,
                            "quantity": 1,
                            "subscription": sub_id,
                            "tax_rates": [],
                        }
                        sub["items"]["data"].append(item)
                    elif raw.get("price") or raw.get("plan"):
                        item["price"], item["plan"] = self._price_and_plan(raw, f"items[{n}]")
                    if "quantity" in raw:
                        item["quantity"] = _int(raw["quantity"], f"items[{n}][quantity]")
                sub["items"]["total_count"] = len(sub["items"]["data"])
            if params.get("pause_collection"):
                previous["status"] = sub["status"]
                sub["pause_collection"] = {"behavior": params["pause_collection"].get("behavior")}
        self._emit("customer.subscription.updated", sub, previous)
        return sub

    def cancel_subscription(self, sub_id: str, params: dict) -> dict:
        with self.lock:
            sub = self.get_subscription(sub_id)
            if sub["status"] == "canceled":
                raise _bad(
                    f"No such subscription: '{sub_id}'; it has already been canceled.",
                    code="resource_missing",
                )
            now = self.now()
            sub["status"] = "canceled"
            sub["canceled_at"] = sub["canceled_at"] or now
            sub["ended_at"] = now
            sub["cancellation_details"]["reason"] = "cancellation_requested"
        self._emit("customer.subscription.deleted", sub)
        return sub

    def set_subscription_status(self, sub_id: str, status: str) -> dict:
        """Control only: put a subscription in a status Stripe reaches over time
        (``unpaid``, ``paused``, ``incomplete_expired``, ...), emitting the update."""
        if status not in SUBSCRIPTION_STATUSES:
            raise _bad(f"Invalid status: {status}", "status")
        with self.lock:
            sub = self.get_subscription(sub_id)
            previous = {"status": sub["status"]}
            sub["status"] = status
        self._emit("customer.subscription.updated", sub, previous)
        return sub

    def advance_subscription(self, sub_id: str) -> dict:
        """Control only (a test clock in miniature): the next billing period starts and its
        invoice is created, finalized and charged; a failed charge makes it ``past_due``."""
        with self.lock:
            sub = self.get_subscription(sub_id)
            if sub["status"] == "canceled":
                raise _bad("The subscription is canceled.")
            previous = {"status": sub["status"], "items": _copy(sub["items"])}
            if sub["cancel_at_period_end"]:
                pass
            else:
                for item in sub["items"]["data"]:
                    start = item["current_period_end"]
                    item["current_period_start"] = start
                    item["current_period_end"] = self._period_end(start, item["plan"])
        if sub["cancel_at_period_end"]:
            return self.cancel_subscription(sub_id, {})
        customer = self.customers.get(sub["customer"]) or {}
        pm = sub["default_payment_method"] or (customer.get("invoice_settings") or {}).get(
            "default_payment_method"
        )
        invoice = self._subscription_invoice(sub, "subscription_cycle", pm)
        with self.lock:
            sub["latest_invoice"] = invoice["id"]
            if invoice["status"] == "paid":
                sub["status"] = "active"
            elif sub["collection_method"] == "charge_automatically":
                sub["status"] = "past_due"
        self._emit("customer.subscription.updated", sub, previous)
        return sub

    def _subscription_matcher(self, params: dict):
        status = params.get("status")
        if status is not None and status not in SUBSCRIPTION_STATUSES | {"all", "ended"}:
            raise _bad(f"Invalid status: must be one of {sorted(SUBSCRIPTION_STATUSES)}")
        customer, price = params.get("customer"), params.get("price")

        def match(s):
            if status is None and s["status"] in ("canceled", "incomplete_expired"):
                return False
            if status not in (None, "all"):
                if status == "ended":
                    if s["status"] not in ("canceled", "incomplete_expired"):
                        return False
                elif s["status"] != status:
                    return False
            if customer is not None and s["customer"] != customer:
                return False
            return price is None or any(i["price"]["id"] == price for i in s["items"]["data"])

        return match

    # --- invoices --------------------------------------------------------------------

    def create_invoiceitem(self, params: dict) -> dict:
        customer = self._customer_live(params.get("customer"))
        currency = str(params.get("currency") or customer["currency"] or "usd").lower()
        item = {
            "id": _new_id("ii_"),
            "object": "invoiceitem",
            "amount": _int(_required(params, "amount"), "amount"),
            "currency": currency,
            "customer": customer["id"],
            "date": self.now(),
            "description": params.get("description"),
            "invoice": None,
            "livemode": False,
            "metadata": dict(params.get("metadata") or {}),
            "quantity": 1,
        }
        with self.lock:
            self.invoice_items[item["id"]] = item
        return item

    def create_invoice(self, params: dict, subscription=None, lines=None, reason=None) -> dict:
        customer = self._customer_live(params.get("customer"))
        collection = params.get("collection_method") or "charge_automatically"
        with self.lock:
            inv_id = _new_id("in_")
            if lines is None:
                pending = [
                    i
                    for i in self.invoice_items.values()
                    if i["customer"] == customer["id"] and i["invoice"] is None
                ]
                lines = []
                for i in pending:
                    i["invoice"] = inv_id
                    lines.append(
                        {
                            "amount": i["amount"],
                            "currency": i["currency"],
                            "description": i["description"],
                            "quantity": 1,
                            "pricing": None,
                        }
                    )
            currency = (
                lines[0]["currency"]
                if lines
                else str(params.get("currency") or customer["currency"] or "usd").lower()
            )
            total = sum(line["amount"] for line in lines)
            created = self._created(self.invoices)
            days = params.get("days_until_due")
            invoice = {
                "id": inv_id,
                "object": "invoice",
                "account_country": "US",
                "account_name": "Emulated Stripe account",
                "amount_due": total,
                "amount_overpaid": 0,
                "amount_paid": 0,
                "amount_remaining": total,
                "amount_shipping": 0,
                "attempt_count": 0,
                "attempted": False,
                "auto_advance": _bool(params.get("auto_advance"), subscription is not None),
                "billing_reason": reason or "manual",
                "collection_method": collection,
                "created": created,
                "currency": currency,
                "customer": customer["id"],
                "customer_email": customer["email"],
                "customer_name": customer["name"],
                "description": params.get("description"),
                "due_date": (
                    created + _int(days if days is not None else 30, "days_until_due") * 86400
                    if collection == "send_invoice"
                    else None
                ),
                "ending_balance": None,
                "hosted_invoice_url": None,
                "invoice_pdf": None,
                "lines": {
                    "object": "list",
                    "data": [
                        {
                            "id": _new_id("il_"),
                            "object": "line_item",
                            "invoice": inv_id,
                            "livemode": False,
                            "metadata": {},
                            **line,
                        }
                        for line in lines
                    ],
                    "has_more": False,
                    "total_count": len(lines),
                    "url": f"/v1/invoices/{inv_id}/lines",
                },
                "livemode": False,
                "metadata": dict(params.get("metadata") or {}),
                "number": None,
                "parent": (
                    {
                        "quote_details": None,
                        "subscription_details": {
                            "metadata": subscription["metadata"],
                            "subscription": subscription["id"],
                        },
                        "type": "subscription_details",
                    }
                    if subscription is not None
                    else None
                ),
                "period_end": created,
                "period_start": created,
                "status": "draft",
                "status_transitions": {
                    "finalized_at": None,
                    "marked_uncollectible_at": None,
                    "paid_at": None,
                    "voided_at": None,
                },
                "subtotal": total,
                "total": total,
                "webhooks_delivered_at": None,
            }
            self.invoices.add(invoice)
            if customer["currency"] is None:
                customer["currency"] = currency
        self._emit("invoice.created", invoice)
        return invoice

    def get_invoice(self, invoice_id: str) -> dict:
        return self._get(self.invoices, "invoice", invoice_id)

    def _invoice_in(self, invoice_id: str, statuses: tuple[str, ...], action: str) -> dict:
        invoice = self.get_invoice(invoice_id)
        if invoice["status"] not in statuses:
            raise _bad(
                f"You can only {action} an invoice whose status is one of "
                f"{', '.join(statuses)}; this invoice is {invoice['status']}.",
                code="invoice_not_editable" if action == "update" else None,
            )
        return invoice

    def update_invoice(self, invoice_id: str, params: dict) -> dict:
        with self.lock:
            invoice = self.get_invoice(invoice_id)
            previous: dict = {}
            if "metadata" in params:
                previous["metadata"] = dict(invoice["metadata"])
                _merge_metadata(invoice["metadata"], params["metadata"])
            if "description" in params:
                if invoice["status"] != "draft":
                    raise _bad("Only a draft invoice's description can change.", "description")
                previous["description"] = invoice["description"]
                invoice["description"] = params["description"] or None
        self._emit("invoice.updated", invoice, previous)
        return invoice

    def finalize_invoice(self, invoice_id: str, params: dict) -> dict:
        with self.lock:
            invoice = self._invoice_in(invoice_id, ("draft",), "finalize")
            self._invoice_seq += 1
            customer = self.customers.get(invoice["customer"]) or {}
            invoice["number"] = f"{customer.get('invoice_prefix', 'EMU')}-{self._invoice_seq:04d}"
            invoice["hosted_invoice_url"] = (
                f"https://invoice.stripe.com/i/acct_emulator/test_{secrets.token_hex(8)}"
            )
            invoice["invoice_pdf"] = invoice["hosted_invoice_url"] + "/pdf"
            now = self.now()
            invoice["status"] = "open"
            invoice["status_transitions"]["finalized_at"] = now
            if invoice["amount_due"] == 0:
                invoice["status"] = "paid"
                invoice["status_transitions"]["paid_at"] = now
        self._emit("invoice.finalized", invoice)
        if invoice["status"] == "paid":
            self._emit("invoice.paid", invoice)
        return invoice

    def pay_invoice(self, invoice_id: str, params: dict) -> dict:
        with self.lock:
            invoice = self._invoice_in(invoice_id, ("open", "uncollectible"), "pay")
            customer = self.customers.get(invoice["customer"]) or {}
            source = (
                params.get("payment_method")
                or params.get("source")
                or (customer.get("invoice_settings") or {}).get("default_payment_method")
            )
            out_of_band = _bool(params.get("paid_out_of_band"))
            invoice["attempted"] = True
            invoice["attempt_count"] += 0 if out_of_band else 1
            declined = not out_of_band and source in DECLINING
            if not declined:
                previous = {
                    "status": invoice["status"],
                    "amount_paid": invoice["amount_paid"],
                    "amount_remaining": invoice["amount_remaining"],
                }
                invoice["amount_paid"] = invoice["amount_due"]
                invoice["amount_remaining"] = 0
                invoice["status"] = "paid"
                invoice["status_transitions"]["paid_at"] = self.now()
                customer["delinquent"] = False
            else:
                customer["delinquent"] = True
        if declined:
            self._emit("invoice.payment_failed", invoice)
            raise StripeError(402, "card_error", "Your card was declined.", code="card_declined")
        self._emit("invoice.paid", invoice, previous)
        self._emit("invoice.payment_succeeded", invoice, previous)
        sub_id = ((invoice.get("parent") or {}).get("subscription_details") or {}).get(
            "subscription"
        )
        sub = self.subscriptions.get(sub_id) if sub_id else None
        # A subscription still being created takes its status from this payment itself.
        settled = sub is not None and sub["latest_invoice"] is not None
        if settled and sub["status"] in ("past_due", "unpaid", "incomplete"):
            with self.lock:
                before = sub["status"]
                sub["status"] = "active"
            self._emit("customer.subscription.updated", sub, {"status": before})
        return invoice

    def void_invoice(self, invoice_id: str, params: dict) -> dict:
        with self.lock:
            invoice = self._invoice_in(invoice_id, ("open", "uncollectible"), "void")
            previous = {"status": invoice["status"]}
            invoice["status"] = "void"
            invoice["amount_remaining"] = 0
            invoice["status_transitions"]["voided_at"] = self.now()
        self._emit("invoice.voided", invoice, previous)
        return invoice

    def mark_uncollectible(self, invoice_id: str, params: dict) -> dict:
        with self.lock:
            invoice = self._invoice_in(invoice_id, ("open",), "mark uncollectible")
            invoice["status"] = "uncollectible"
            invoice["status_transitions"]["marked_uncollectible_at"] = self.now()
        self._emit("invoice.marked_uncollectible", invoice, {"status": "open"})
        return invoice

    def delete_invoice(self, invoice_id: str) -> dict:
        with self.lock:
            invoice = self._invoice_in(invoice_id, ("draft",), "delete")
            self.hidden_objects.add(invoice_id)
        self._emit("invoice.deleted", invoice)
        return {"id": invoice_id, "object": "invoice", "deleted": True}

    def _invoice_matcher(self, params: dict):
        customer, status, sub = params.get("customer"), params.get("status"), None
        sub = params.get("subscription")

        def match(i):
            if i["id"] in self.hidden_objects:
                return False
            if customer is not None and i["customer"] != customer:
                return False
            if status is not None and i["status"] != status:
                return False
            if sub is not None:
                parent = (i.get("parent") or {}).get("subscription_details") or {}
                if parent.get("subscription") != sub:
                    return False
            return True

        return match

    # --- seeding (benchmarks and big tests: no events) --------------------------------

    def seed_billing(
        self, customers: int, invoices_per_customer: int = 3, seed: int = 1, start=None
    ) -> list[str]:
        """``customers`` customers, each with one subscription and ``invoices_per_customer``
        invoices, deterministically and fast (no events). Returns the customer IDs."""
        rng = random.Random(seed)
        start = self.now() - 400 * 86400 if start is None else int(start)
        products = []
        plans = [("month", 1, 2900), ("month", 1, 9900), ("year", 1, 99000), ("week", 2, 700)]
        currencies = ["usd", "usd", "eur", "gbp", "jpy"]
        with self.lock:
            for n in range(len(plans)):
                product = {
                    "id": f"prod_seed{seed:03d}{n}",
                    "object": "product",
                    "active": True,
                    "created": start,
                    "name": ["Starter", "Pro", "Enterprise", "Weekly"][n],
                    "metadata": {},
                    "description": None,
                    "livemode": False,
                    "type": "service",
                    "updated": start,
                }
                products.append(product)
            self.products.extend_sorted(products)
        statuses = ["active"] * 14 + ["past_due", "trialing", "canceled", "unpaid", "paused"]
        inv_statuses = ["paid"] * 7 + ["open", "open", "void"]
        cust_batch, sub_batch, inv_batch = [], [], []
        for i in range(customers):
            created = start + i * 2
            cid = f"cus_s{seed:03d}{i:09d}"
            n = rng.randrange(len(plans))
            interval, count, amount = plans[n]
            currency = currencies[rng.randrange(len(currencies))]
            cust_batch.append(
                self._customer_template(
                    id_=cid,
                    created=created,
                    email=f"owner{i}@example{seed}.com",
                    name=f"Account {i}",
                    description=None,
                    phone=None,
                    metadata={"seed": str(seed)},
                    currency=currency,
                )
            )
            price = {
                "id": f"price_seed{seed:03d}{n}{currency}",
                "object": "price",
                "active": True,
                "created": start,
                "currency": currency,
                "nickname": None,
                "product": products[n]["id"],
                "recurring": {"interval": interval, "interval_count": count},
                "type": "recurring",
                "unit_amount": amount,
                "unit_amount_decimal": str(amount),
                "metadata": {},
            }
            plan = self._plan_of_price(price)
            sid = f"sub_s{seed:03d}{i:09d}"
            end = created + 30 * 86400
            status = statuses[rng.randrange(len(statuses))]
            sub_batch.append(
                {
                    "id": sid,
                    "object": "subscription",
                    "cancel_at_period_end": rng.random() < 0.1,
                    "canceled_at": created + 86400 if status == "canceled" else None,
                    "collection_method": "charge_automatically",
                    "created": created,
                    "currency": currency,
                    "customer": cid,
                    "ended_at": created + 86400 if status == "canceled" else None,
                    "items": {
                        "object": "list",
                        "data": [
                            {
                                "id": f"si_s{seed:03d}{i:09d}",
                                "object": "subscription_item",
                                "created": created,
                                "current_period_start": created,
                                "current_period_end": end,
                                "metadata": {},
                                "plan": plan,
                                "price": price,
                                "quantity": rng.randrange(1, 6),
                                "subscription": sid,
                            }
                        ],
                        "has_more": False,
                        "total_count": 1,
                        "url": f"/v1/subscription_items?subscription={sid}",
                    },
                    "latest_invoice": None,
                    "livemode": False,
                    "metadata": {},
                    "cancellation_details": {"comment": None, "feedback": None, "reason": None},
                    "cancel_at": None,
                    "default_payment_method": None,
                    "days_until_due": None,
                    "pause_collection": None,
                    "start_date": created,
                    "status": status,
                    "trial_end": None,
                    "trial_start": None,
                }
            )
            for k in range(invoices_per_customer):
                ist = inv_statuses[rng.randrange(len(inv_statuses))]
                due = amount * sub_batch[-1]["items"]["data"][0]["quantity"]
                paid = due if ist == "paid" else 0
                icreated = created + k
                inv_batch.append(
                    {
                        "id": f"in_s{seed:03d}{i:09d}{k:02d}",
                        "object": "invoice",
                        "amount_due": due,
                        "amount_paid": paid,
                        "amount_remaining": due - paid if ist == "open" else 0,
                        "attempt_count": 1,
                        "attempted": True,
                        "description": None,
                        "collection_method": "charge_automatically",
                        "created": icreated,
                        "currency": currency,
                        "customer": cid,
                        "due_date": None,
                        "hosted_invoice_url": f"https://invoice.stripe.com/i/seed/{i}-{k}",
                        "livemode": False,
                        "metadata": {},
                        "number": f"S{seed}-{i}-{k}",
                        "parent": {
                            "type": "subscription_details",
                            "subscription_details": {"subscription": sid, "metadata": {}},
                        },
                        "status": ist,
                        "status_transitions": {
                            "finalized_at": icreated,
                            "paid_at": icreated if ist == "paid" else None,
                            "voided_at": icreated if ist == "void" else None,
                            "marked_uncollectible_at": None,
                        },
                        "total": due,
                    }
                )
            if invoices_per_customer:
                sub_batch[-1]["latest_invoice"] = inv_batch[-1]["id"]
        with self.lock:
            self.customers.extend_sorted(cust_batch)
            self.subscriptions.extend_sorted(sub_batch)
            self.invoices.extend_sorted(inv_batch)
        return [c["id"] for c in cust_batch]

    # --- routing ---------------------------------------------------------------------

    def _search(self, coll: _Collection, url: str, params: dict, fields: dict, extra=None):
        match = _search_matcher(params.get("query"), fields)
        limit = _int(params.get("limit", 10), "limit")
        if not 1 <= limit <= 100:
            raise _bad("Invalid limit: must be between 1 and 100", "limit")
        page = params.get("page")
        start = _int(page, "page") if page else 0
        hits = [o for o in reversed(coll.items) if (extra is None or extra(o)) and match(o)]
        data = hits[start : start + limit]
        more = len(hits) > start + limit
        return {
            "object": "search_result",
            "data": data,
            "has_more": more,
            "next_page": str(start + limit) if more else None,
            "url": url,
        }

    def billing_route(self, method: str, head: str, rest: list[str], params: dict):
        """The answer for a billing request, or ``None`` when the path is not billing's."""
        if head == "customers":
            if method == "GET" and not rest:
                page, more = self.customers.page(params, self._live_customers(params))
                self.listed["customers"] += len(page)
                return _list("/v1/customers", page, more)
            if method == "GET" and rest == ["search"]:
                return self._search(
                    self.customers,
                    "/v1/customers/search",
                    params,
                    {
                        "email": lambda c: c["email"],
                        "name": lambda c: c["name"],
                        "phone": lambda c: c["phone"],
                        "created": lambda c: c["created"],
                        "metadata": None,
                    },
                    lambda c: c["id"] not in self.deleted_customers,
                )
            if method == "POST" and not rest:
                return self.create_customer(params)
            if len(rest) == 1 and method == "GET":
                return self.get_customer(rest[0])
            if len(rest) == 1 and method == "POST":
                return self.update_customer(rest[0], params)
            if len(rest) == 1 and method == "DELETE":
                return self.delete_customer(rest[0])
        if head == "products":
            if method == "POST" and not rest:
                return self.create_product(params)
            if method == "GET" and not rest:
                return _list("/v1/products", *self.products.page(params))
            if len(rest) == 1 and method == "GET":
                return self._get(self.products, "product", rest[0])
            if len(rest) == 1 and method == "POST":
                return self.update_product(rest[0], params)
        if head == "prices":
            if method == "POST" and not rest:
                return self.create_price(params)
            if method == "GET" and not rest:
                return _list("/v1/prices", *self.prices.page(params))
            if len(rest) == 1 and method == "GET":
                return self._get(self.prices, "price", rest[0])
        if head == "plans":
            if method == "POST" and not rest:
                return self.create_plan(params)
            if method == "GET" and not rest:
                return _list("/v1/plans", *self.plans.page(params))
            if len(rest) == 1 and method == "GET":
                return self._get(self.plans, "plan", rest[0])
        if head == "subscriptions":
            if method == "GET" and not rest:
                page, more = self.subscriptions.page(params, self._subscription_matcher(params))
                self.listed["subscriptions"] += len(page)
                return _list("/v1/subscriptions", page, more)
            if method == "GET" and rest == ["search"]:
                return self._search(
                    self.subscriptions,
                    "/v1/subscriptions/search",
                    params,
                    {
                        "status": lambda s: s["status"],
                        "created": lambda s: s["created"],
                        "metadata": None,
                    },
                )
            if method == "POST" and not rest:
                return self.create_subscription(params)
            if len(rest) == 1 and method == "GET":
                return self.get_subscription(rest[0])
            if len(rest) == 1 and method == "POST":
                return self.update_subscription(rest[0], params)
            if len(rest) == 1 and method == "DELETE":
                return self.cancel_subscription(rest[0], params)
        if head == "invoiceitems" and method == "POST" and not rest:
            return self.create_invoiceitem(params)
        if head == "invoices":
            if method == "GET" and not rest:
                page, more = self.invoices.page(params, self._invoice_matcher(params))
                self.listed["invoices"] += len(page)
                return _list("/v1/invoices", page, more)
            if method == "GET" and rest == ["search"]:
                return self._search(
                    self.invoices,
                    "/v1/invoices/search",
                    params,
                    {
                        "customer": lambda i: i["customer"],
                        "status": lambda i: i["status"],
                        "number": lambda i: i["number"],
                        "total": lambda i: i["total"],
                        "currency": lambda i: i["currency"],
                        "created": lambda i: i["created"],
                        "metadata": None,
                    },
                    lambda i: i["id"] not in self.hidden_objects,
                )
            if method == "POST" and not rest:
                return self.create_invoice(params)
            if len(rest) == 1 and method == "GET":
                return self.get_invoice(rest[0])
            if len(rest) == 1 and method == "POST":
                return self.update_invoice(rest[0], params)
            if len(rest) == 1 and method == "DELETE":
                return self.delete_invoice(rest[0])
            if len(rest) == 2 and method == "POST":
                action = {
                    "finalize": self.finalize_invoice,
                    "pay": self.pay_invoice,
                    "void": self.void_invoice,
                    "mark_uncollectible": self.mark_uncollectible,
                }.get(rest[1])
                if action is not None:
                    return action(rest[0], params)
        return None

    def billing_control(self, action: str, body: dict):
        """``/_emulator/<action>`` for billing, or ``None`` when the action is not billing's."""
        if action == "seed_billing":
            ids = self.seed_billing(
                int(body.get("customers", 100)),
                int(body.get("invoices_per_customer", 3)),
                seed=int(body.get("seed", 1)),
                start=body.get("start"),
            )
            return {"count": len(ids), "first": ids[0] if ids else None}
        if action == "advance_subscription":
            return self.advance_subscription(body["subscription"])
        if action == "subscription_status":
            return self.set_subscription_status(body["subscription"], body["status"])
        if action == "hide_object":
            self.hide_object(body["id"])
            return {"ok": True}
        return None
