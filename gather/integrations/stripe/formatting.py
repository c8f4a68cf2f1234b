"""Stripe amounts are in the currency's minor unit; show them formatted with the currency."""

from decimal import Decimal

# https://docs.stripe.com/currencies#zero-decimal (and the three-decimal ones)
ZERO_DECIMAL = {
    "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd",
    "vuv", "xaf", "xof", "xpf",
}  # fmt: skip
THREE_DECIMAL = {"bhd", "jod", "kwd", "omr", "tnd"}


def format_amount(amount, currency) -> str:
    """``format_amount(1999, "usd") == "19.99 USD"``; ``(500, "jpy") == "500 JPY"``."""
    if amount is None or isinstance(amount, bool):
        return ""
    code = (currency or "").lower()
    digits = 0 if code in ZERO_DECIMAL else 3 if code in THREE_DECIMAL else 2
    value = Decimal(int(amount)).scaleb(-digits)
    return f"{value:,.{digits}f} {code.upper()}".strip()
