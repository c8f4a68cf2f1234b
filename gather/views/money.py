"""Charge amounts in a view's filter: as people read them, converted per charge currency.

Stripe keeps amounts in the currency's minor unit (1999 = 19.99 USD, 500 = 500 JPY), and
so do the API, the records and the query language. A filter condition may carry
``"unit": "major"``: its value is then an amount as shown (``500`` = 500.00 in the
charge's currency, 500 yen for a JPY charge), and it is compared per charge in that
charge's minor unit (docs/decisions/019-money-in-filters.md).
"""

from decimal import Decimal, InvalidOperation

from gather.core.errors import InvalidInput
from gather.integrations.stripe.formatting import THREE_DECIMAL, ZERO_DECIMAL

JOIN = "stripe_charge"
MONEY_PREFIX = "amount"
CURRENCY = f"{JOIN}.currency"
# The Stripe customer's amounts, in the customer's currency (Sync Stripe Customers).
CUSTOMER_JOIN = "stripe_customer"
CUSTOMER_MONEY = ("mrr", "amount_due", "balance")
UNITS = ("major", "minor")
SCALED_OPS = ("eq", "ne", "gt", "gte", "lt", "lte", "between", "in")
_ZERO = sorted(ZERO_DECIMAL)
_THREE = sorted(THREE_DECIMAL)


def is_money_path(path: str) -> bool:
    """``stripe_charge.amount``, ``stripe_charge.amount_captured``, ``…amount_refunded``;
    ``stripe_customer.mrr``, ``…amount_due``, ``…balance``."""
    head, _, rest = path.partition(".")
    if head == CUSTOMER_JOIN:
        return rest in CUSTOMER_MONEY
    return head == JOIN and rest.startswith(MONEY_PREFIX) and "." not in rest


def _currency_of(path: str) -> str:
    """The currency field beside a money field: ``stripe_charge.currency`` for a charge's
    amounts, ``stripe_customer.currency`` for a customer's."""
    head = path.partition(".")[0]
    return f"{head}.currency" if head == CUSTOMER_JOIN else CURRENCY


def _scaled(value, factor: int, where: str) -> str:
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        number = None
    if isinstance(value, bool) or number is None or not number.is_finite():
        raise InvalidInput(f"{where}: {value!r} is not an amount.", field=where)
    return str(number * factor)


def _scale(cond: dict, factor: int, where: str) -> dict:
    value = cond.get("value")
    if isinstance(value, list):
        value = [_scaled(v, factor, where) for v in value]
    elif cond["op"] == "in" and isinstance(value, str):
        value = [_scaled(v, factor, where) for v in value.split(",") if v.strip()]
    else:
        value = _scaled(value, factor, where)
    return {"field": cond["field"], "op": cond["op"], "value": value}


def money_condition(cond: dict, where: str) -> dict:
    """One ``unit: major`` condition as plain query language: each currency class compares
    the amount in its own minor unit."""
    op = cond.get("op", "eq")
    if op not in SCALED_OPS:  # "empty" and the like do not depend on the unit
        return {k: v for k, v in cond.items() if k != "unit"}
    cond = {**cond, "op": op}
    currency = _currency_of(str(cond.get("field") or ""))
    return {
        "or": [
            {"and": [{"field": currency, "op": "in", "value": _ZERO}, _scale(cond, 1, where)]},
            {"and": [{"field": currency, "op": "in", "value": _THREE}, _scale(cond, 1000, where)]},
            {
                "and": [
                    {"field": currency, "op": "nin", "value": _ZERO + _THREE},
                    _scale(cond, 100, where),
                ]
            },
        ]
    }


def money_expand(items, where: str = "filter"):
    """A stored filter with its ``unit: major`` conditions turned into plain conditions;
    anything else is returned as it is (the query parser checks it)."""
    if not isinstance(items, list):
        return items
    out = []
    for i, item in enumerate(items):
        part = f"{where}[{i}]"
        if not isinstance(item, dict):
            out.append(item)
        elif "or" in item or "and" in item:
            kind = "or" if "or" in item else "and"
            out.append({**item, kind: money_expand(item[kind], f"{part}.{kind}")})
        elif "unit" in item:
            if item["unit"] == "major":
                out.append(money_condition(item, part))
            else:
                out.append({k: v for k, v in item.items() if k != "unit"})
        else:
            out.append(item)
    return out
