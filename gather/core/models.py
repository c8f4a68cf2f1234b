import functools
from datetime import UTC

from django.db import models
from django.utils.dateparse import parse_datetime


class TimestampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


@functools.cache
def _columns(model_class) -> tuple[list[str], frozenset[int]]:
    """A model's column names in field order, and the positions of its date/times."""
    fields = model_class._meta.concrete_fields
    names = [f.attname for f in fields]
    return names, frozenset(i for i, f in enumerate(fields) if isinstance(f, models.DateTimeField))


def from_row(model_class, field_names: list[str], row) -> models.Model:
    """An instance from a hand-written query's row, with date/times as the ORM gives them.

    SQLite hands back date/times as text through a plain cursor; PostgreSQL as datetimes.
    """
    names, datetimes = _columns(model_class)
    given = dict(zip(field_names, row, strict=True))
    # from_db takes the values in the model's field order, whatever the query's order.
    present = [i for i, name in enumerate(names) if name in given]
    values = []
    for i in present:
        value = given[names[i]]
        if i in datetimes and value is not None:
            if isinstance(value, str):
                value = parse_datetime(value)
            if value.tzinfo is None:
                value = value.replace(tzinfo=UTC)
        values.append(value)
    names = [names[i] for i in present]
    return model_class.from_db("default", names, values)
