"""Keeps each model's field catalogue in step with the records that arrive.

The catalogue is read on every write and every query, so each process remembers it per
model revision and only writes when a record brings a new field or a value that widens
a field's type; such a write bumps the revision, so every process reloads it.
"""

from dataclasses import dataclass

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


@dataclass(frozen=True)
class Catalogue:
    revision: int
    types: dict[str, str]  # field name -> type
    locked: frozenset[str]  # fields whose type was set by hand
    pks: dict[str, int]  # field name -> Field primary key (names its indexes)


# (pk, Model ID) -> the catalogue at a model revision. A new field, a widened type and a
# hand-set type all bump the revision, which every process sees with the model row it
# reads per request.
_known: dict[tuple[int, str], Catalogue] = {}


def forget(model: DataModel) -> None:
    _known.pop((model.pk, model.public_id), None)


def _load(model: DataModel) -> Catalogue:
    rows = Field.objects.filter(model=model).values_list("name", "type", "type_locked", "pk")
    found = Catalogue(
        revision=model.revision,
        types={name: kind for name, kind, _, _ in rows},
        locked=frozenset(name for name, _, locked, _ in rows if locked),
        pks={name: pk for name, _, _, pk in rows},
    )
    _known[(model.pk, model.public_id)] = found
    return found


def current(model: DataModel) -> Catalogue:
    """The model's catalogue as of the revision on ``model`` (the row this request read)."""
    cached = _known.get((model.pk, model.public_id))
    return cached if cached is not None and cached.revision == model.revision else _load(model)


def observe(model: DataModel, datas: list[dict]) -> None:
    """Record the fields and value types of incoming records in the catalogue."""
    cat = current(model)
    known, locked = cat.types, cat.locked
    wanted: dict[str, str] = {}
    for data in datas:
        for name, value in data.items():
            if name == model.id_field:
                continue
            have = wanted.get(name, known.get(name))
            if have == FieldType.STRING or name in locked:
                continue  # text absorbs every other type; a hand-set type never changes
            kind = type(value)
            seen = value_type(value) if kind is str else _TYPE_OF.get(kind) or value_type(value)
            if seen == have or (seen is None and have is not None):
                continue
            new = combine(have, seen)
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
    # After the fields are committed, so a process that sees the new revision loads them.
    from .services import model_touch

    model_touch(model)
