from django.db import models


class TimestampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


def from_row(model_class, field_names: list[str], row) -> models.Model:
    """An instance from a hand-written query's row, with date/times as the ORM gives them.

    SQLite hands back date/times as text through a plain cursor; PostgreSQL as datetimes.
    """
    from datetime import UTC, datetime

    from django.utils.dateparse import parse_datetime

    by_attname = {f.attname: f for f in model_class._meta.concrete_fields}
    given = {}
    for name, value in zip(field_names, row, strict=True):
        if isinstance(value, str) and isinstance(by_attname[name], models.DateTimeField):
            value = parse_datetime(value)
        if isinstance(value, datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        given[name] = value
    # from_db takes the values in the model's field order, whatever the query's order.
    names = [name for name in by_attname if name in given]
    return model_class.from_db("default", names, [given[name] for name in names])
