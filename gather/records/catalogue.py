"""Keeps each model's field catalogue in step with the records that arrive.

The catalogue is read on every write and every query, so each process remembers it per
model revision and only writes when a record brings a new field or a value that widens
a field's type; such a write bumps the revision, so every process reloads it.
"""

from dataclasses import dataclass

from django.db import transaction

from gather.core.errors import ValidationFailed

from .dialects import current as dialect
from .fields import combine, value_type
from .models import DataModel, Field, FieldType

# A model's catalogue holds at most this many fields (its ID field included): every
# query, grid and export walks them, and a record with thousands of new names is far more
# likely a mistake (values sent as names) than a model.
MAX_FIELDS = 1000

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


def too_many_fields(model: DataModel, count: int, name: str | None = None) -> ValidationFailed:
    return ValidationFailed(
        f"Model {model.name!r} would have {count:,} fields; a model holds at most "
        f"{MAX_FIELDS:,}. Nest related values in an object (one field) or use another model.",
        field=name,
        code="too_many_fields",
    )


class FieldBudget:
    """Admits records to a batch while the model's fields stay within MAX_FIELDS, by the
    catalogue this process knows (``_fields_add`` checks again against the database)."""

    def __init__(self, model: DataModel):
        self.model = model
        self.known = current(model).types
        self.added: set[str] = set()

    def admit(self, payload: dict) -> None:
        new = [name for name in payload if name not in self.known and name not in self.added]
        if not new:
            return
        count = len(self.known) + len(self.added) + len(new)
        if count > MAX_FIELDS:
            raise too_many_fields(self.model, count, new[0])
        self.added.update(new)


def _fields_add(model: DataModel, fields: list[tuple[str, str]]) -> None:
    """Register new fields, in the order they arrived (the grid's column order), in one
    statement. Writers adding fields to a model take its row's lock first, one at a time:
    two first writes bringing the same fields in different orders cannot deadlock on the
    unique index, and the cap is checked against what is committed."""
    with transaction.atomic():
        list(
            DataModel.objects.select_for_update(no_key=True)
            .filter(pk=model.pk)
            .values_list("pk", flat=True)
        )
        present = set(Field.objects.filter(model=model).values_list("name", flat=True))
        fresh = [(name, kind) for name, kind in fields if name not in present]
        if len(present) + len(fresh) > MAX_FIELDS:
            raise too_many_fields(model, len(present) + len(fresh), fresh[0][0])
        dialect().fields_insert(model_id=model.pk, fields=fresh)


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
    new = [name for name in wanted if name not in known]
    if new:
        _fields_add(model, [(name, wanted[name]) for name in new])
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
