"""The Stripe customer summary against a plain Python reference over Stripe's own objects."""

from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from gather.integrations.stripe.billing import (
    invoice_owed,
    invoice_paid_at,
    subscription_project,
)
from gather.integrations.stripe.store import iso_utc
from gather.integrations.stripe.summary import summarize

RANK = [
    "active",
    "past_due",
    "unpaid",
    "trialing",
    "incomplete",
    "paused",
    "canceled",
    "incomplete_expired",
]
PER_MONTH = {
    "day": Decimal(365) / 12,
    "week": Decimal(52) / 12,
    "month": 1,
    "year": Decimal(1) / 12,
}


def reference(subs: list[dict], invoices: list[dict], names: dict) -> dict:
    """The contract's rules, written out on Stripe's wire objects."""

    def monthly(item):
        price = item.get("price") or {}
        rec = price.get("recurring") or {}
        plan = item.get("plan") or {}
        amount = price.get("unit_amount", plan.get("amount"))
        interval = rec.get("interval", plan.get("interval"))
        count = rec.get("interval_count", plan.get("interval_count")) or 1
        if amount is None or interval is None:
            return None
        # Fractions written as integer arithmetic: amount × qty × (days or weeks) / (12 × n)
        num = {"day": 365, "week": 52, "month": 12, "year": 1}[interval]
        from fractions import Fraction

        return Fraction(amount * (item.get("quantity") or 1) * num, 12 * count)

    from fractions import Fraction

    total = Fraction(0)
    for s in subs:
        if s["status"] in ("active", "past_due"):
            for item in s["items"]["data"]:
                m = monthly(item)
                if m is not None:
                    total += m
    mrr = int(
        (Decimal(total.numerator) / Decimal(total.denominator)).quantize(
            Decimal(1), rounding=ROUND_HALF_UP
        )
    )
    ordered = sorted(subs, key=lambda s: (RANK.index(s["status"]), -s["created"], s["id"]))
    top = ordered[0] if ordered else None
    plan = None
    if top is not None and top["items"]["data"]:
        items = top["items"]["data"]
        best = None
        for item in items:  # the first of equally large items wins
            m = monthly(item)
            m = Fraction(-1) if m is None else m
            if best is None or m > best[0]:
                best = (m, item)
        item = best[1]
        price = item.get("price") or {}
        plan = names.get(price.get("product") or (item.get("plan") or {}).get("product"))
        plan = plan or price.get("nickname") or price.get("id")
    open_ = [i for i in invoices if i["status"] == "open"]
    owed = 0
    for i in open_:
        owed += (
            i["amount_remaining"]
            if i.get("amount_remaining") is not None
            else i["amount_due"] - i["amount_paid"]
        )
    paid = [i["status_transitions"]["paid_at"] for i in invoices if i["status"] == "paid"]
    ends = [it["current_period_end"] for it in top["items"]["data"]] if top else []
    return {
        "mrr": mrr,
        "subscription_status": top["status"] if top else None,
        "active_subscriptions": sum(
            s["status"] in ("active", "trialing", "past_due") for s in subs
        ),
        "plan": plan,
        "current_period_end": iso_utc(max(ends)) if ends else None,
        "cancel_at_period_end": top["cancel_at_period_end"] if top else None,
        "open_invoices": len(open_),
        "amount_due": owed,
        "last_invoice_paid_at": iso_utc(max(paid)) if paid else None,
    }


def stored_invoice_aggregates(invoices: list[dict]) -> dict:
    """What billing's SQL aggregate hands the summary, from the same per-invoice helpers."""
    owed = [invoice_owed(i) for i in invoices if i["status"] == "open"]
    paid = [p for i in invoices if (p := invoice_paid_at(i)) is not None]
    return {
        "open": len(owed),
        "owed": sum(o or 0 for o in owed),
        "paid_at": iso_utc(max(paid)) if paid else None,
    }


price_st = st.fixed_dictionaries(
    {
        "id": st.sampled_from(["price_a", "price_b", "price_c"]),
        "unit_amount": st.integers(0, 10**7),
        "currency": st.just("usd"),
        "nickname": st.one_of(st.none(), st.just("Nick")),
        "product": st.sampled_from(["prod_1", "prod_2", "prod_unknown"]),
        "recurring": st.fixed_dictionaries(
            {
                "interval": st.sampled_from(["day", "week", "month", "year"]),
                "interval_count": st.integers(1, 12),
            }
        ),
    }
)
item_st = st.fixed_dictionaries(
    {
        "id": st.text("abc", min_size=3, max_size=3).map(lambda t: "si_" + t),
        "price": price_st,
        "quantity": st.integers(1, 50),
        "current_period_end": st.integers(1_700_000_000, 1_800_000_000),
    }
)
sub_st = st.fixed_dictionaries(
    {
        "status": st.sampled_from(RANK),
        "created": st.integers(1_600_000_000, 1_600_000_100),
        "cancel_at_period_end": st.booleans(),
        "items": st.lists(item_st, min_size=0, max_size=3).map(lambda d: {"data": d}),
    }
)
invoice_st = st.fixed_dictionaries(
    {
        "status": st.sampled_from(["draft", "open", "paid", "void", "uncollectible"]),
        "amount_due": st.integers(0, 10**6),
        "amount_paid": st.integers(0, 10**5),
        "amount_remaining": st.one_of(st.none(), st.integers(0, 10**6)),
        "status_transitions": st.fixed_dictionaries(
            {"paid_at": st.integers(1_600_000_000, 1_700_000_000)}
        ),
    }
)


@settings(max_examples=300, deadline=None)
@given(st.lists(sub_st, max_size=6), st.lists(invoice_st, max_size=8))
def test_summary_matches_the_python_reference(subs, invoices):
    for n, s in enumerate(subs):
        s["id"] = f"sub_{n:03d}"
        s["object"] = "subscription"
        s["customer"] = "cus_1"
    names = {"prod_1": "Starter", "prod_2": "Pro"}
    projected = [{**subscription_project(s), "created_ts": s["created"]} for s in subs]
    got = summarize(projected, stored_invoice_aggregates(invoices), names)
    assert got == reference(subs, invoices, names)


def test_summary_normalises_intervals_to_a_month():
    def sub(interval, count, amount, quantity=1, status="active"):
        return {
            "id": f"sub_{interval}{count}",
            "status": status,
            "created": 1,
            "items": {
                "data": [
                    {
                        "price": {
                            "unit_amount": amount,
                            "recurring": {"interval": interval, "interval_count": count},
                        },
                        "quantity": quantity,
                    }
                ]
            },
        }

    def mrr(*subs):
        projected = [{**subscription_project(s), "created_ts": 1} for s in subs]
        return summarize(projected, None, {})["mrr"]

    assert mrr(sub("month", 1, 1000)) == 1000
    assert mrr(sub("month", 3, 3000)) == 1000
    assert mrr(sub("year", 1, 12000)) == 1000
    assert mrr(sub("week", 1, 1200)) == 5200  # 1200 × 52 ÷ 12
    assert mrr(sub("day", 1, 12)) == 365
    assert mrr(sub("month", 1, 1000, quantity=3)) == 3000
    assert mrr(sub("year", 1, 1000)) == 83  # 83.33 rounds down
    assert mrr(sub("year", 1, 1002)) == 84  # 83.5 rounds half up
    assert mrr(sub("month", 1, 1000, status="trialing")) == 0
    assert mrr(sub("month", 1, 1000, status="past_due"), sub("year", 2, 2400)) == 1100


def test_summary_of_legacy_plans_and_missing_fields():
    legacy = {
        "id": "sub_1",
        "status": "past_due",
        "created": 5,
        "items": {"data": [{"plan": {"id": "gold", "amount": 500, "interval": "month"}}]},
    }
    projected = [{**subscription_project(legacy), "created_ts": 5}]
    got = summarize(projected, None, {})
    assert got["mrr"] == 500 and got["plan"] == "gold"
    assert got["subscription_status"] == "past_due" and got["current_period_end"] is None
    assert got["open_invoices"] == 0 and got["amount_due"] == 0
    assert got["last_invoice_paid_at"] is None
    assert summarize([], None, {})["subscription_status"] is None
    # amount_remaining left out by a Stripe-compatible server: amount_due − amount_paid
    assert invoice_owed({"status": "open", "amount_due": 900, "amount_paid": 100}) == 800
