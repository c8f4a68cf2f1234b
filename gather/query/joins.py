"""The one way a record reaches other data through a key: joins.

A provider, given a data model, returns the ``JoinSpec``s that apply to it: a connector's
when one of its tasks targets the model (Sync Stripe Charges joins ``stripe_charge``), the
model's links to other models (``gather.records.links``: ``account`` from ``account_id``).
The records API, views, CSV and the record page show the joined object under
``JoinSpec.name``, and the query compiler lets filters, sorts and columns reach
``<name>.<field>`` -- all from the spec, whatever provided it (decision 023).
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import orjson
from django.db import connection


@dataclass(frozen=True)
class JoinSpec:
    name: str  # key in record JSON and path prefix in queries, e.g. "stripe_charge"
    table: str  # e.g. "gather_stripe_charge"
    scope_column: str  # e.g. "integration_id"
    scope_value: int
    key_column: str  # text column matched against the record's field, e.g. "charge_id"
    data_column: str  # JSON object with the joined fields
    record_field: str  # the record's top-level field holding the key, e.g. "stripe_charge_id"
    fields: dict[str, str] = field(default_factory=dict)  # joined field name -> type
    label: str = ""  # what the app calls the joined object, e.g. "Charge"
    # Whether ``q`` searches the joined values too (links: no, see decision 023).
    searched: bool = True
    kind: str = "join"  # "join" (a connector's) or "link" (another model of the team)
    target: str = ""  # for links: the linked model's Model ID
    # Values of fields when nothing is joined (rollups: a count of nothing is 0). With
    # defaults, the joined object always shows exactly these fields.
    defaults: dict = field(default_factory=dict)
    # What only the single record shows besides the joined object (e.g. a customer's
    # subscriptions and invoices): key -> extra keys. Lists never call it.
    detail: Callable[[str], dict] | None = field(default=None, compare=False)

    def shape(self, value):
        """The joined object as record JSON shows it."""
        if not self.defaults:
            return value
        out = dict(self.defaults)
        if isinstance(value, dict):
            out.update((k, v) for k, v in value.items() if k in out and v is not None)
        return out


# A provider returns one spec, several, or None.
Provider = Callable[[object], "JoinSpec | list[JoinSpec] | None"]


JOIN_PROVIDERS: list[Provider] = []

# (pk, Model ID) -> (revision, specs). Whatever changes a model's joins bumps its
# revision (gather.records.services.model_touch), and every request reads the model row,
# so a process never serves joins older than the row it just read.
_cache: dict[tuple[int, str], tuple[int, list[JoinSpec]]] = {}


def joins_for_model(model) -> list[JoinSpec]:
    cache_key = (model.pk, model.public_id)
    cached = _cache.get(cache_key)
    if cached is not None and cached[0] == model.revision:
        return cached[1]
    specs = []
    for provider in JOIN_PROVIDERS:
        found = provider(model)
        if isinstance(found, JoinSpec):
            specs.append(found)
        elif found:
            specs.extend(found)
    _cache[cache_key] = (model.revision, specs)
    return specs


def forget(model) -> None:
    _cache.pop((model.pk, model.public_id), None)


def _as_key(value) -> str | None:
    if value is None or isinstance(value, dict | list | bool):
        return None
    return str(value)


def joined_values(specs: list[JoinSpec], datas: list[dict]) -> list[dict[str, dict | None]]:
    """For each record's data, the joined objects by join name (None where nothing matches).

    Used where a handful of records are shown one by one (single upsert, retrieve); list
    queries join in SQL instead.
    """
    result: list[dict[str, dict | None]] = [{} for _ in datas]
    for spec in specs:
        keys = {k for d in datas if (k := _as_key(d.get(spec.record_field))) is not None}
        found: dict[str, dict] = {}
        if keys:
            marks = ",".join(["%s"] * len(keys))
            sql = (
                f"SELECT {spec.key_column}, {spec.data_column} FROM {spec.table} "
                f"WHERE {spec.scope_column} = %s AND {spec.key_column} IN ({marks})"
            )
            with connection.cursor() as cur:
                cur.execute(sql, [spec.scope_value, *keys])
                for key, data in cur.fetchall():
                    found[key] = orjson.loads(data) if isinstance(data, str | bytes) else data
        for i, d in enumerate(datas):
            key = _as_key(d.get(spec.record_field))
            result[i][spec.name] = spec.shape(found.get(key) if key is not None else None)
    return result


def with_details(specs: list[JoinSpec], joined: dict[str, dict | None]) -> dict:
    """One record's joined objects with each spec's ``detail`` merged in (single record)."""
    for spec in specs:
        obj = joined.get(spec.name)
        if spec.detail is not None and isinstance(obj, dict) and not obj.get("deleted"):
            key = _as_key(obj.get("id"))
            if key is not None:
                joined[spec.name] = {**obj, **spec.detail(key)}
    return joined
