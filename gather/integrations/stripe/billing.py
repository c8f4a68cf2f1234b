"""Writes and reads of synced customers, subscriptions, invoices and product names.

Each object table is upserted a page per statement; a row is only replaced by an
observation at least as new (``version``). Every write that can change a customer's
summary ends by recomputing it (``summaries_refresh``) in the same transaction, from what
is stored, so the joined ``stripe_customer`` is exact after any write. Writers lock the
customer rows first (PostgreSQL; SQLite serialises writers anyway), in ID order, so two
concurrent writers for one customer never compute its summary from each other's
uncommitted rows.
"""

from __future__ import annotations

from django.db import connection, transaction

from .models import StripeCustomer, StripeInvoice, StripeProduct, StripeSubscription
from .store import _ref, iso_utc
from .summary import SUMMARY_FIELDS, summarize

CUSTOMER_FIELDS: dict[str, str] = {
    "id": "string",
    "email": "string",
    "name": "string",
    "description": "string",
    "phone": "string",
    "currency": "string",
    "balance": "number",
    "delinquent": "boolean",
    "created": "datetime",
    "metadata": "object",
    "deleted": "boolean",
    **SUMMARY_FIELDS,
}
INVOICES_SHOWN = 20
DELETED = float("inf")  # the version of a deleted customer


def _iso(ts) -> str | None:
    if ts is None or isinstance(ts, bool):
        return None
    try:
        return iso_utc(int(ts))
    except (TypeError, ValueError):
        return None


def _int_or_none(value):
    return value if isinstance(value, int) and not isinstance(value, bool) else None


# --- projections: Stripe's objects -> the stored (contract) shape ------------------------


def customer_project(customer: dict) -> dict:
    if customer.get("deleted"):
        return {"id": customer["id"], "deleted": True}
    return {
        "id": customer["id"],
        "email": customer.get("email"),
        "name": customer.get("name"),
        "description": customer.get("description"),
        "phone": customer.get("phone"),
        "currency": customer.get("currency"),
        "balance": _int_or_none(customer.get("balance")),
        "delinquent": customer.get("delinquent"),
        "created": _iso(customer.get("created")),
        "metadata": dict(customer.get("metadata") or {}),
    }


def _item_project(item: dict) -> dict:
    price = item.get("price") if isinstance(item.get("price"), dict) else {}
    plan = item.get("plan") if isinstance(item.get("plan"), dict) else {}
    recurring = price.get("recurring") if isinstance(price.get("recurring"), dict) else {}
    amount = _int_or_none(price.get("unit_amount"))
    if amount is None:
        amount = _int_or_none(plan.get("amount"))
    return {
        "id": item.get("id"),
        "price": price.get("id"),
        "plan": plan.get("id"),
        "product": _ref(price.get("product") or plan.get("product")),
        "nickname": price.get("nickname") or plan.get("nickname"),
        "amount": amount,
        "currency": price.get("currency") or plan.get("currency"),
        "interval": recurring.get("interval") or plan.get("interval"),
        "interval_count": _int_or_none(
            recurring.get("interval_count") or plan.get("interval_count")
        ),
        "quantity": _int_or_none(item.get("quantity")),
    }


def subscription_project(sub: dict) -> dict:
    raw_items = sub.get("items")
    if isinstance(raw_items, dict):
        raw_items = raw_items.get("data")
    raw_items = [i for i in raw_items or [] if isinstance(i, dict)]
    if not raw_items and isinstance(sub.get("plan"), dict):  # older API versions
        raw_items = [{"plan": sub["plan"], "quantity": sub.get("quantity")}]
    # The period moved onto the items in API version 2025-03-31; older ones have it here.
    ends = [i.get("current_period_end") for i in raw_items if i.get("current_period_end")]
    period_end = sub.get("current_period_end") or (max(ends) if ends else None)
    return {
        "id": sub["id"],
        "status": sub.get("status"),
        "items": [_item_project(i) for i in raw_items],
        "currency": sub.get("currency"),
        "current_period_end": _iso(period_end),
        "cancel_at_period_end": sub.get("cancel_at_period_end"),
        "created": _iso(sub.get("created")),
    }


def invoice_project(invoice: dict) -> dict:
    due, paid = _int_or_none(invoice.get("amount_due")), _int_or_none(invoice.get("amount_paid"))
    remaining = _int_or_none(invoice.get("amount_remaining"))
    return {
        "id": invoice["id"],
        "number": invoice.get("number"),
        "status": invoice.get("status"),
        "amount_due": due,
        "amount_paid": paid,
        "amount_remaining": remaining,
        "currency": invoice.get("currency"),
        "due_date": _iso(invoice.get("due_date")),
        "created": _iso(invoice.get("created")),
        "hosted_invoice_url": invoice.get("hosted_invoice_url"),
    }


def invoice_owed(invoice: dict) -> int | None:
    """What an open invoice still asks for: ``amount_remaining``, or ``amount_due −
    amount_paid`` where a Stripe-compatible server leaves it out."""
    if invoice.get("status") != "open":
        return None
    remaining = _int_or_none(invoice.get("amount_remaining"))
    if remaining is not None:
        return remaining
    due, paid = _int_or_none(invoice.get("amount_due")), _int_or_none(invoice.get("amount_paid"))
    return None if due is None else due - (paid or 0)


def invoice_paid_at(invoice: dict) -> int | None:
    if invoice.get("status") != "paid":
        return None
    transitions = invoice.get("status_transitions")
    if isinstance(transitions, dict):
        return _int_or_none(transitions.get("paid_at"))
    return None


# --- upserts ------------------------------------------------------------------------------


def _upsert(table: str, key: str, columns: tuple[str, ...], rows: list[list]) -> None:
    """One multi-row INSERT .. ON CONFLICT that keeps the newer ``version`` (both databases)."""
    if not rows:
        return
    marks = "(" + ", ".join(["%s"] * (len(columns) + 3)) + ")"
    sets = ", ".join(f"{c} = excluded.{c}" for c in (*columns, "version"))
    sql = (
        f"INSERT INTO {table} (integration_id, {key}, {', '.join(columns)}, version) "
        f"VALUES {', '.join([marks] * len(rows))} "
        f"ON CONFLICT (integration_id, {key}) DO UPDATE SET {sets} "
        f"WHERE {table}.version <= excluded.version"
    )
    with connection.cursor() as cur:
        cur.execute(sql, [p for row in rows for p in row])


def _lock(integration_id: int, customer_ids: set[str]) -> None:
    """Make sure each customer has a row and hold those rows until the transaction ends.
    A subscription or invoice can be observed before its customer: the row then holds
    only the customer's ID at version 0, which the customer's first observation outranks."""
    if not customer_ids:
        return
    adapt = connection.ops.adapt_json_value
    marks = ", ".join(["(%s, %s, %s, %s, %s)"] * len(customer_ids))
    params: list = []
    for cid in sorted(customer_ids):
        bare = adapt(customer_project({"id": cid}), None)
        params += [integration_id, cid, bare, bare, 0.0]
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO {StripeCustomer._meta.db_table} "
            f"(integration_id, customer_id, customer, data, version) VALUES {marks} "
            "ON CONFLICT (integration_id, customer_id) DO NOTHING",
            params,
        )
    if connection.features.has_select_for_update:
        list(
            StripeCustomer.objects.select_for_update()
            .filter(integration_id=integration_id, customer_id__in=sorted(customer_ids))
            .order_by("customer_id")
            .values_list("pk", flat=True)
        )


def customers_upsert(*, integration_id: int, customers: list[dict], version: float) -> None:
    """Store customer objects (or ``{"id", "deleted": true}``) observed at ``version``."""
    latest = {c["id"]: c for c in customers if c.get("id")}
    if not latest:
        return
    adapt = connection.ops.adapt_json_value
    with transaction.atomic():
        _lock(integration_id, set(latest))
        rows = []
        for cid, c in latest.items():
            projected = customer_project(c)
            # Deletion is final at Stripe: no observation of any age undoes it.
            seen = DELETED if projected.get("deleted") else version
            rows.append([integration_id, cid, adapt(projected, None), adapt(projected, None), seen])
        _upsert(StripeCustomer._meta.db_table, "customer_id", ("customer", "data"), rows)
        summaries_refresh(integration_id=integration_id, customer_ids=set(latest))


def subscriptions_upsert(*, integration_id: int, subscriptions: list[dict], version: float):
    latest = {s["id"]: s for s in subscriptions if s.get("id") and _ref(s.get("customer"))}
    if not latest:
        return
    adapt = connection.ops.adapt_json_value
    owners = {_ref(s["customer"]) for s in latest.values()}
    with transaction.atomic():
        _lock(integration_id, owners)
        rows = [
            [
                integration_id,
                sid,
                _ref(s["customer"]),
                adapt(subscription_project(s), None),
                int(s.get("created") or 0),
                version,
            ]
            for sid, s in latest.items()
        ]
        _upsert(
            StripeSubscription._meta.db_table,
            "subscription_id",
            ("customer_id", "data", "created"),
            rows,
        )
        summaries_refresh(integration_id=integration_id, customer_ids=owners)


def invoices_upsert(*, integration_id: int, invoices: list[dict], version: float) -> None:
    latest = {i["id"]: i for i in invoices if i.get("id") and _ref(i.get("customer"))}
    if not latest:
        return
    adapt = connection.ops.adapt_json_value
    owners = {_ref(i["customer"]) for i in latest.values()}
    with transaction.atomic():
        _lock(integration_id, owners)
        rows = [
            [
                integration_id,
                iid,
                _ref(i["customer"]),
                str(i.get("status") or ""),
                invoice_owed(i),
                invoice_paid_at(i),
                adapt(invoice_project(i), None),
                int(i.get("created") or 0),
                version,
            ]
            for iid, i in latest.items()
        ]
        _upsert(
            StripeInvoice._meta.db_table,
            "invoice_id",
            ("customer_id", "status", "amount_open", "paid_at", "data", "created"),
            rows,
        )
        summaries_refresh(integration_id=integration_id, customer_ids=owners)


def invoice_forget(*, integration_id: int, invoice_id: str) -> None:
    """A deleted (draft) invoice leaves the customer's invoices."""
    with transaction.atomic():
        row = (
            StripeInvoice.objects.filter(integration_id=integration_id, invoice_id=invoice_id)
            .values_list("customer_id", flat=True)
            .first()
        )
        if row is None:
            return
        _lock(integration_id, {row})
        StripeInvoice.objects.filter(integration_id=integration_id, invoice_id=invoice_id).delete()
        summaries_refresh(integration_id=integration_id, customer_ids={row})


def products_upsert(*, integration_id: int, products: list[dict], version: float) -> None:
    """Product names (for ``plan``); customers on a renamed product get a new summary."""
    latest = {p["id"]: p for p in products if p.get("id")}
    if not latest:
        return
    with transaction.atomic():
        known = dict(
            StripeProduct.objects.filter(
                integration_id=integration_id, product_id__in=list(latest)
            ).values_list("product_id", "name")
        )
        rows = [[integration_id, pid, p.get("name") or "", version] for pid, p in latest.items()]
        _upsert(StripeProduct._meta.db_table, "product_id", ("name",), rows)
        renamed = [pid for pid in known if known[pid] != (latest[pid].get("name") or "")]
        if renamed:
            affected = set()
            for pid in renamed:
                affected |= set(
                    StripeSubscription.objects.filter(
                        integration_id=integration_id, data__icontains=f'"{pid}"'
                    ).values_list("customer_id", flat=True)
                )
            if affected:
                _lock(integration_id, affected)
                summaries_refresh(integration_id=integration_id, customer_ids=affected)


# --- the summary ------------------------------------------------------------------------------


def summaries_refresh(*, integration_id: int, customer_ids: set[str]) -> None:
    """Recompute ``data`` (customer + summary) of these customers from what is stored."""
    if not customer_ids:
        return
    ids = sorted(customer_ids)
    customers = dict(
        StripeCustomer.objects.filter(
            integration_id=integration_id, customer_id__in=ids
        ).values_list("customer_id", "customer")
    )
    if not customers:
        return
    subs: dict[str, list[dict]] = {cid: [] for cid in customers}
    for cid, data, created in StripeSubscription.objects.filter(
        integration_id=integration_id, customer_id__in=list(customers)
    ).values_list("customer_id", "data", "created"):
        subs[cid].append({**data, "created_ts": created})
    invoices: dict[str, dict] = {}
    table = StripeInvoice._meta.db_table
    marks = ", ".join(["%s"] * len(customers))
    with connection.cursor() as cur:
        cur.execute(
            "SELECT customer_id, "
            "SUM(CASE WHEN status = 'open' THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN status = 'open' THEN amount_open ELSE 0 END), "
            f"MAX(paid_at) FROM {table} WHERE integration_id = %s AND customer_id IN ({marks}) "
            "GROUP BY customer_id",
            [integration_id, *customers],
        )
        for cid, open_, owed, paid_at in cur.fetchall():
            invoices[cid] = {"open": open_, "owed": owed, "paid_at": _iso(paid_at)}
    products = {
        item.get("product")
        for rows in subs.values()
        for s in rows
        for item in s.get("items") or []
        if item.get("product")
    }
    names = (
        dict(
            StripeProduct.objects.filter(
                integration_id=integration_id, product_id__in=list(products)
            ).values_list("product_id", "name")
        )
        if products
        else {}
    )
    adapt = connection.ops.adapt_json_value
    updates = []
    for cid, customer in customers.items():
        if customer.get("deleted"):
            data = customer
        else:
            data = {**customer, **summarize(subs[cid], invoices.get(cid), names)}
        updates.append((adapt(data, None), integration_id, cid))
    with connection.cursor() as cur:
        cur.executemany(
            f"UPDATE {StripeCustomer._meta.db_table} SET data = %s "
            "WHERE integration_id = %s AND customer_id = %s",
            updates,
        )


# --- reads and cleanup ---------------------------------------------------------------------


def customer_detail(*, integration_id: int, customer_id: str) -> dict:
    """The arrays only the single record carries: subscriptions and the latest invoices."""
    subs = list(
        StripeSubscription.objects.filter(integration_id=integration_id, customer_id=customer_id)
        .order_by("-created", "-subscription_id")
        .values_list("data", flat=True)
    )
    products = {i["product"] for s in subs for i in s.get("items") or [] if i.get("product")}
    if products:
        names = dict(
            StripeProduct.objects.filter(
                integration_id=integration_id, product_id__in=list(products)
            ).values_list("product_id", "name")
        )
        for s in subs:
            for item in s.get("items") or []:
                item["product_name"] = names.get(item.get("product")) or None
    invoices = list(
        StripeInvoice.objects.filter(integration_id=integration_id, customer_id=customer_id)
        .order_by("-created", "-invoice_id")
        .values_list("data", flat=True)[:INVOICES_SHOWN]
    )
    return {"subscriptions": subs, "invoices": invoices}


def customer_get(*, integration_id: int, customer_id: str) -> dict | None:
    row = (
        StripeCustomer.objects.filter(integration_id=integration_id, customer_id=customer_id)
        .values("data")
        .first()
    )
    return row["data"] if row else None


def billing_delete(*, integration_id: int) -> None:
    for model in (StripeInvoice, StripeSubscription, StripeCustomer, StripeProduct):
        model.objects.filter(integration_id=integration_id).delete()
