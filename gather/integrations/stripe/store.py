"""Writes of synced charges: one upsert statement per page, newer observations win."""

import time

from django.db import connection

from .models import StripeCharge

# The contract's charge fields (what records show as ``stripe_charge``) and their types.
CHARGE_FIELDS: dict[str, str] = {
    "id": "string",
    "amount": "number",
    "amount_captured": "number",
    "amount_refunded": "number",
    "currency": "string",
    "status": "string",
    "paid": "boolean",
    "refunded": "boolean",
    "captured": "boolean",
    "disputed": "boolean",
    "failure_code": "string",
    "failure_message": "string",
    "customer": "string",
    "description": "string",
    "receipt_email": "string",
    "payment_intent": "string",
    "created": "datetime",
    "metadata": "object",
}

_TABLE = StripeCharge._meta.db_table
_ROW = "(%s, %s, %s, %s, %s)"


def _upsert_sql(rows: int) -> str:
    """One multi-row statement (a round trip per page), the same on both databases."""
    return (
        f"INSERT INTO {_TABLE} (integration_id, charge_id, data, created, version) "
        f"VALUES {', '.join([_ROW] * rows)} "
        "ON CONFLICT (integration_id, charge_id) DO UPDATE SET "
        "data = excluded.data, created = excluded.created, version = excluded.version "
        f"WHERE {_TABLE}.version <= excluded.version"
    )


def _ref(value):
    """An expandable field (customer, payment_intent) as its ID."""
    if isinstance(value, dict):
        return value.get("id")
    return value


def iso_utc(ts: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(ts)))


def charge_project(charge: dict) -> dict:
    """Stripe's charge object -> the stored field set (minor units kept, created in ISO)."""
    return {
        "id": charge["id"],
        "amount": charge.get("amount"),
        "amount_captured": charge.get("amount_captured"),
        "amount_refunded": charge.get("amount_refunded"),
        "currency": charge.get("currency"),
        "status": charge.get("status"),
        "paid": charge.get("paid"),
        "refunded": charge.get("refunded"),
        "captured": charge.get("captured"),
        "disputed": charge.get("disputed"),
        "failure_code": charge.get("failure_code"),
        "failure_message": charge.get("failure_message"),
        "customer": _ref(charge.get("customer")),
        "description": charge.get("description"),
        "receipt_email": charge.get("receipt_email"),
        "payment_intent": _ref(charge.get("payment_intent")),
        "created": iso_utc(charge.get("created") or 0),
        "metadata": dict(charge.get("metadata") or {}),
    }


def charges_upsert(*, integration_id: int, charges: list[dict], version: float) -> None:
    """Store Stripe charge objects observed at ``version``; never overwrite a newer one."""
    if not charges:
        return
    adapt = connection.ops.adapt_json_value
    # A charge twice in one statement would be an error on PostgreSQL: keep the last copy.
    latest = {c["id"]: c for c in charges}
    params: list = []
    for c in latest.values():
        created = int(c.get("created") or 0)
        params += [integration_id, c["id"], adapt(charge_project(c), None), created, version]
    with connection.cursor() as cur:
        cur.execute(_upsert_sql(len(latest)), params)


def charge_get(*, integration_id: int, charge_id: str) -> dict | None:
    row = (
        StripeCharge.objects.filter(integration_id=integration_id, charge_id=charge_id)
        .values("data")
        .first()
    )
    return row["data"] if row else None


def charges_count(*, integration_id: int) -> int:
    return StripeCharge.objects.filter(integration_id=integration_id).count()


def charges_delete(*, integration_id: int) -> None:
    StripeCharge.objects.filter(integration_id=integration_id).delete()
