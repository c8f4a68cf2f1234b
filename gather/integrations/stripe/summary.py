"""The Stripe customer summary (MRR, status, what is owed), from stored subscriptions and
invoice aggregates. Pure functions: ``billing`` feeds them what the database holds.

Rules (decision 021):
- ``mrr`` sums, over subscriptions whose status is ``active`` or ``past_due``, each item's
  unit amount × quantity normalised to a month (day × 365 ÷ 12, week × 52 ÷ 12, month,
  year ÷ 12, each divided by ``interval_count``), computed exactly and rounded half up to
  the currency's minor unit once, at the end. Discounts and tax are ignored.
- the most relevant subscription has the first status in ``STATUS_ORDER``; among equals
  the newest (``created``, then ID). It gives ``subscription_status``, ``plan`` (the name
  of its largest item by monthly amount), ``current_period_end``, ``cancel_at_period_end``.
"""

from __future__ import annotations

from fractions import Fraction

STATUS_ORDER = (
    "active",
    "past_due",
    "unpaid",
    "trialing",
    "incomplete",
    "paused",
    "canceled",
    "incomplete_expired",
)
MRR_STATUSES = ("active", "past_due")
ACTIVE_STATUSES = ("active", "trialing", "past_due")
MONTHS_PER = {
    "day": Fraction(365, 12),
    "week": Fraction(52, 12),
    "month": Fraction(1),
    "year": Fraction(1, 12),
}

SUMMARY_FIELDS: dict[str, str] = {
    "mrr": "number",
    "subscription_status": "string",
    "active_subscriptions": "number",
    "plan": "string",
    "current_period_end": "datetime",
    "cancel_at_period_end": "boolean",
    "open_invoices": "number",
    "amount_due": "number",
    "last_invoice_paid_at": "datetime",
}


def item_monthly(item: dict) -> Fraction | None:
    """An item's amount per month (exact), or None when it has no amount or interval."""
    amount, interval = item.get("amount"), item.get("interval")
    if not isinstance(amount, int) or isinstance(amount, bool) or interval not in MONTHS_PER:
        return None
    quantity = item.get("quantity")
    quantity = quantity if isinstance(quantity, int) and not isinstance(quantity, bool) else 1
    count = item.get("interval_count")
    count = count if isinstance(count, int) and count > 0 else 1
    return Fraction(amount * quantity) * MONTHS_PER[interval] / count


def round_half_up(value: Fraction) -> int:
    if value >= 0:
        return int(value + Fraction(1, 2)) if value.denominator != 1 else int(value)
    return -round_half_up(-value)


def _rank(sub: dict) -> tuple:
    status = sub.get("status")
    order = STATUS_ORDER.index(status) if status in STATUS_ORDER else len(STATUS_ORDER)
    # Newest first among equal statuses: negate created; IDs break the last ties.
    return (order, -(sub.get("created_ts") or 0), sub.get("id") or "")


def most_relevant(subscriptions: list[dict]) -> dict | None:
    known = [s for s in subscriptions if s.get("status") in STATUS_ORDER]
    return min(known, key=_rank) if known else None


def summarize(
    subscriptions: list[dict],
    invoices: dict | None,
    product_names: dict[str, str | None],
) -> dict:
    """``subscriptions``: stored subscription projections (``billing.subscription_project``);
    ``invoices``: ``{"open": n, "owed": n | None, "paid_at": iso | None}``."""
    total = Fraction(0)
    for sub in subscriptions:
        if sub.get("status") in MRR_STATUSES:
            for item in sub.get("items") or []:
                monthly = item_monthly(item)
                if monthly is not None:
                    total += monthly
    top = most_relevant(subscriptions)
    plan = None
    if top is not None:
        items = top.get("items") or []
        if items:
            largest = max(
                enumerate(items),
                key=lambda pair: (item_monthly(pair[1]) or Fraction(-1), -pair[0]),
            )[1]
            plan = (
                product_names.get(largest.get("product") or "")
                or largest.get("nickname")
                or largest.get("price")
                or largest.get("plan")
            )
    invoices = invoices or {}
    return {
        "mrr": round_half_up(total),
        "subscription_status": top.get("status") if top else None,
        "active_subscriptions": sum(1 for s in subscriptions if s.get("status") in ACTIVE_STATUSES),
        "plan": plan,
        "current_period_end": top.get("current_period_end") if top else None,
        "cancel_at_period_end": top.get("cancel_at_period_end") if top else None,
        "open_invoices": int(invoices.get("open") or 0),
        "amount_due": int(invoices.get("owed") or 0),
        "last_invoice_paid_at": invoices.get("paid_at"),
    }
