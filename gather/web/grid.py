"""Turning records into what the grid and the record page show: text, highlights, money."""

import re
from datetime import UTC, datetime
from typing import Any

import orjson
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from gather.views.cells import cell_text, cell_value
from gather.views.money import CUSTOMER_MONEY, is_money_path

# Stripe amounts are in the currency's smallest unit; these have no minor unit.
ZERO_DECIMAL = {
    "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg",
    "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf",
}  # fmt: skip
THREE_DECIMAL = {"bhd", "jod", "kwd", "omr", "tnd"}
SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥", "cad": "CA$", "aud": "A$", "inr": "₹"}


def money(amount: Any, currency: str | None) -> str | None:
    """Minor units with their currency as people read them: 1999 usd -> $19.99."""
    if isinstance(amount, bool) or not isinstance(amount, int | float | str):
        return None
    try:
        minor = int(str(amount))
    except ValueError:
        return None
    code = (currency or "").lower()
    digits = 0 if code in ZERO_DECIMAL else 3 if code in THREE_DECIMAL else 2
    major = minor / (10**digits)
    sign = "-" if major < 0 else ""
    number = f"{abs(major):,.{digits}f}"
    symbol = SYMBOLS.get(code)
    if symbol:
        return f"{sign}{symbol}{number}"
    return f"{sign}{number} {code.upper()}".strip()


def highlight(text: str, q: str) -> SafeString:
    """``text`` escaped, each case-insensitive occurrence of ``q`` wrapped in <mark>."""
    if not q or not text:
        return escape(text)
    parts = re.split(f"({re.escape(q)})", text, flags=re.IGNORECASE)
    html = "".join(
        format_html("<mark>{}</mark>", part) if i % 2 else escape(part)
        for i, part in enumerate(parts)
    )
    return mark_safe(html)  # noqa: S308 - every piece was escaped above


def datetime_text(value: Any) -> str | None:
    """ISO text or a Unix timestamp as 'YYYY-MM-DD HH:MM' (UTC)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 0 < value < 10**11:
            return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%d %H:%M")
        return None
    if isinstance(value, str) and len(value) >= 16 and value[10] in "T ":
        return value[:10] + " " + value[11:16]
    return None


def humanize(name: str) -> str:
    """A provider's field name as a label: ``amount_captured`` -> ``Amount captured``."""
    words = name.replace("_", " ").strip()
    if not words:
        return name
    words = " ".join("ID" if w.lower() == "id" else w for w in words.split())
    return words[0].upper() + words[1:]


def column_label(path: str, joins: dict[str, str]) -> tuple[str, str]:
    """(group, label) of a column: a joined field as ("Charge", "Amount captured"); the
    model's own fields keep the names the team gave them."""
    head, dot, rest = path.partition(".")
    if dot and head in joins and rest:
        return joins[head], " · ".join(humanize(part) for part in rest.split("."))
    return "", path


def column_title(path: str, joins: dict[str, str]) -> str:
    group, label = column_label(path, joins)
    return f"{group} · {label}" if group else label


# Status words by how they went, for the badge colour; any other status is neutral.
STATUS_GOOD = {"succeeded", "paid", "active", "live", "complete", "completed", "won", "trialing"}
STATUS_BAD = {
    "failed", "canceled", "cancelled", "error", "lost", "expired", "disputed",
    "past_due", "unpaid", "incomplete_expired", "uncollectible",
}  # fmt: skip
STATUS_WAIT = {"pending", "processing", "backfilling", "paused", "open", "draft", "incomplete"}
_BOOL_TEXT = {"true": True, "false": False}


def _badge(css: str, html) -> SafeString:
    return format_html('<span class="badge {}">{}</span>', css, html)


def _status_css(text: str) -> str:
    word = text.strip().lower()
    if word in STATUS_GOOD:
        return "st-good"
    if word in STATUS_BAD:
        return "st-bad"
    if word in STATUS_WAIT:
        return "st-wait"
    return "st"


def is_status_path(path: str) -> bool:
    return path.rpartition(".")[2] == "status" or path == "stripe_customer.subscription_status"


def cell(record: dict, path: str, type_: str, q: str) -> dict:
    """One grid cell: its display html, full text (for the tooltip) and a CSS class.
    Amounts show with their currency, dates readable, booleans and statuses as badges."""
    value = cell_value(record, path)
    text = cell_text(value)
    shown, css = text, type_
    if value is None:
        css += " null"
    elif is_money_path(path):
        head = path.partition(".")[0]
        shown = money(value, cell_value(record, f"{head}.currency")) or text
        css = "number money"
    elif type_ == "datetime":
        shown = datetime_text(value) or text
    elif type_ == "boolean" and (isinstance(value, bool) or text in _BOOL_TEXT):
        truth = value if isinstance(value, bool) else _BOOL_TEXT[text]
        html = _badge("yes" if truth else "no", highlight("Yes" if truth else "No", q))
        return {"html": html, "title": text, "css": css}
    elif is_status_path(path) and isinstance(value, str) and value.strip():
        return {"html": _badge(_status_css(value), highlight(text, q)), "title": text, "css": css}
    return {"html": highlight(shown, q), "title": text, "css": css}


def render_tree(value: Any, q: str = "") -> SafeString:
    """A readable nested value: objects as definition lists, lists as numbered lists."""
    if isinstance(value, dict):
        if not value:
            return mark_safe('<span class="null">{}</span>')
        items = "".join(
            format_html("<dt>{}</dt><dd>{}</dd>", k, render_tree(v, q)) for k, v in value.items()
        )
        return mark_safe(f'<dl class="tree">{items}</dl>')  # noqa: S308 - escaped parts
    if isinstance(value, list):
        if not value:
            return mark_safe('<span class="null">[]</span>')
        items = "".join(format_html("<li>{}</li>", render_tree(v, q)) for v in value)
        return mark_safe(f'<ol class="tree">{items}</ol>')  # noqa: S308 - escaped parts
    if value is None:
        return mark_safe('<span class="null">null</span>')
    return highlight(cell_text(value), q)


def pretty_json(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()


STRIPE_DASHBOARD = "https://dashboard.stripe.com"


def stripe_customer_card(customer: dict, q: str = "") -> dict:
    """The record page's Stripe customer card: the summary first, then subscriptions and
    invoices as small tables, each object linked to Stripe's dashboard."""
    currency = customer.get("currency")
    card = {
        "name": "stripe_customer",
        "label": "Stripe customer",
        "customer": customer,
        "deleted": bool(customer.get("deleted")),
        "link": f"{STRIPE_DASHBOARD}/customers/{customer.get('id')}",
        "items": [],
    }
    if card["deleted"]:
        return card
    order = [
        "mrr", "subscription_status", "plan", "active_subscriptions", "current_period_end",
        "cancel_at_period_end", "open_invoices", "amount_due", "last_invoice_paid_at",
        "email", "name", "description", "phone", "currency", "balance", "delinquent",
        "created", "metadata", "id",
    ]  # fmt: skip
    for key in order:
        value = customer.get(key)
        shown = money(value, currency) if key in CUSTOMER_MONEY and value is not None else None
        if shown is None and key.endswith(("_end", "_at", "created")) and value:
            shown = datetime_text(value)
        card["items"].append((key, shown, render_tree(value, q)))
    subs = []
    for sub in customer.get("subscriptions") or []:
        items = sub.get("items") or []
        subs.append(
            {
                "id": sub.get("id"),
                "status": sub.get("status"),
                "link": f"{STRIPE_DASHBOARD}/subscriptions/{sub.get('id')}",
                "items": [
                    {
                        "what": i.get("product_name")
                        or i.get("nickname")
                        or i.get("product")
                        or i.get("price")
                        or "",
                        "amount": money(i.get("amount"), i.get("currency")) or "",
                        "interval": (
                            f"{i.get('interval_count')} {i.get('interval')}s"
                            if (i.get("interval_count") or 1) > 1
                            else i.get("interval") or ""
                        ),
                        "quantity": i.get("quantity"),
                    }
                    for i in items
                ],
                "period_end": datetime_text(sub.get("current_period_end")) or "",
                "cancel_at_period_end": sub.get("cancel_at_period_end"),
                "created": datetime_text(sub.get("created")) or "",
            }
        )
    invoices = []
    for inv in customer.get("invoices") or []:
        cur = inv.get("currency") or currency
        invoices.append(
            {
                "id": inv.get("id"),
                "number": inv.get("number") or inv.get("id"),
                "status": inv.get("status"),
                "link": f"{STRIPE_DASHBOARD}/invoices/{inv.get('id')}",
                "hosted": inv.get("hosted_invoice_url"),
                "amount_due": money(inv.get("amount_due"), cur) or "",
                "amount_paid": money(inv.get("amount_paid"), cur) or "",
                "amount_remaining": money(inv.get("amount_remaining"), cur) or "",
                "due_date": datetime_text(inv.get("due_date")) or "",
                "created": datetime_text(inv.get("created")) or "",
            }
        )
    card["subscriptions"], card["invoices"] = subs, invoices
    return card
