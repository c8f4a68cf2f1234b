"""Keeps each model's field catalogue in step with the records that arrive.

The catalogue is read on every write, so each process remembers what it last saw and
only writes when a record brings a new field or a value that widens a field's type.
"""

from django.db import transaction

from .fields import combine, value_type
from .models import DataModel, Field, FieldType

# Keyed by (pk, Model ID): a primary key alone can come back after a rollback.
# Python types of parsed JSON -> catalogue type (text is inspected by value_type).
_TYPE_OF = {
    bool: FieldType.BOOLEAN,
    int: FieldType.NUMBER,
    float: FieldType.NUMBER,
    dict: FieldType.OBJECT,
    list: FieldType.OBJECT,
}

# (pk, Model ID) -> (model revision, field name -> type). A hand-set type bumps the
# model's revision, which every process sees with the model row it reads per request.
_known: dict[tuple[int, str], tuple[int, dict[str, str]]] = {}


def forget(model: DataModel) -> None:
    _known.pop((model.pk, model.public_id), None)


LOCKED = "locked"  # a type set by hand: incoming values never change it


def _load(model: DataModel) -> dict[str, str]:
    types = {
        name: LOCKED if locked else kind
        for name, kind, locked in Field.objects.filter(model=model).values_list(
            "name", "type", "type_locked"
        )
    }
    _known[(model.pk, model.public_id)] = (model.revision, types)
    return types


def observe(model: DataModel, datas: list[dict]) -> None:
    """Record the fields and value types of incoming records in the catalogue."""
    cached = _known.get((model.pk, model.public_id))
    known = cached[1] if cached is not None and cached[0] == model.revision else _load(model)
    wanted: dict[str, str] = {}
    for data in datas:
        for name, value in data.items():
            if name == model.id_field:
                continue
            current = wanted.get(name, known.get(name))
            if current == FieldType.STRING or current == LOCKED:
                continue  # text absorbs every other type; a hand-set type never changes
            kind = type(value)
            seen = value_type(value) if kind is str else _TYPE_OF.get(kind) or value_type(value)
            if seen == current or (seen is None and current is not None):
                continue
            new = combine(current, seen)
            if new is None:
                new = known.get(name, FieldType.STRING)
            if new != known.get(name):
                wanted[name] = new
    if not wanted:
        return
    # New fields first, in the order they arrived (that order is the grid's column order),
    # each committed on its own: a writer never holds one new field while waiting for
    # another, so concurrent first writes cannot deadlock.
    for name, new_type in wanted.items():
        if name not in known:
            Field.objects.bulk_create(
                [Field(model=model, name=name, type=new_type)], ignore_conflicts=True
            )
    # Then widen existing types, locking rows in one order for all writers.
    with transaction.atomic():
        existing = (
            Field.objects.select_for_update()
            .filter(model=model, name__in=wanted, type_locked=False)
            .order_by("name")
        )
        for field in existing:
            widened = combine(field.type, wanted[field.name])
            if widened != field.type:
                Field.objects.filter(pk=field.pk).update(type=widened)
    _load(model)
