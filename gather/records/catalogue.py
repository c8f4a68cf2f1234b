"""Keeps each model's field catalogue in step with the records that arrive.

The catalogue is read on every write, so each process remembers what it last saw and
only writes when a record brings a new field or a value that widens a field's type.
"""

from django.db import IntegrityError, transaction

from .fields import combine, value_type
from .models import DataModel, Field, FieldType

# Keyed by the random Model ID too: SQLite may hand a deleted model's pk to a new one,
# and another process's memory of the old model must not count for the new one.
# Python types whose values always agree with a catalogue type (text is checked in full).
SAME_TYPE = {
    FieldType.NUMBER: (int, float),
    FieldType.BOOLEAN: (bool,),
    FieldType.OBJECT: (dict, list),
}
_known: dict[tuple[int, str], dict[str, str]] = {}


def forget(model_pk: int) -> None:
    for cache_key in [k for k in _known if k[0] == model_pk]:
        _known.pop(cache_key, None)


def _load(model: DataModel) -> dict[str, str]:
    types = dict(Field.objects.filter(model=model).values_list("name", "type"))
    _known[(model.pk, model.public_id)] = types
    return types


def observe(model: DataModel, datas: list[dict]) -> None:
    """Record the fields and value types of incoming records in the catalogue."""
    known = _known.get((model.pk, model.public_id))
    if known is None:
        known = _load(model)
    wanted: dict[str, str] = {}
    id_field = model.id_field
    for data in datas:
        for name, value in data.items():
            if name == id_field or value is None:
                continue  # the ID is always text; null suggests no type
            current = wanted.get(name) or known.get(name)
            if current is not None:
                # Fast paths for values that cannot change the type (the usual case).
                if current == FieldType.STRING:
                    continue  # string is the widest type
                if type(value) in SAME_TYPE.get(current, ()):
                    continue
            seen = value_type(value)
            new = combine(current, seen)
            if new is None:
                new = known.get(name, FieldType.STRING)
            if new != known.get(name):
                wanted[name] = new
    if not wanted:
        return
    try:
        with transaction.atomic():
            existing = {
                f.name: f
                for f in Field.objects.select_for_update().filter(model=model, name__in=wanted)
            }
            for name, new_type in wanted.items():
                field = existing.get(name)
                if field is None:
                    Field.objects.create(model=model, name=name, type=new_type)
                elif not field.type_locked:
                    widened = combine(field.type, new_type)
                    if widened != field.type:
                        Field.objects.filter(pk=field.pk).update(type=widened)
    except IntegrityError:
        # Another writer added the same field at the same moment; its row is as good.
        pass
    _load(model)
