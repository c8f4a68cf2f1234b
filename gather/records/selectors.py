"""Reads of data models, their fields and their records, always scoped by team."""

import base64

import orjson
from django.db.models import Count

from gather.accounts.models import Team
from gather.core.db import hot_cursor
from gather.core.errors import InvalidInput, NotFound
from gather.core.models import from_row
from gather.core.timestamps import rfc3339
from gather.query.joins import joined_values, joins_for_model, with_details

from .models import DataModel, Field, Record

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


_MODEL_COLUMNS = [f.attname for f in DataModel._meta.concrete_fields]
# Columns named, not *: the statement is prepared, and a prepared * breaks when a
# migration adds a column while the server runs.
_MODEL_GET = (
    f"SELECT {', '.join(_MODEL_COLUMNS)} FROM gather_model"
    " WHERE team_id = %s AND (public_id = %s OR slug = %s)"
)
_PUBLIC_ID = _MODEL_COLUMNS.index("public_id")


def model_get(*, team: Team, ref: str) -> DataModel:
    """A team's model by Model ID or slug; another team's model does not exist."""
    if "\x00" in ref:  # PostgreSQL text cannot hold NUL: no model is named with it
        raise InvalidInput("A model reference cannot contain the NUL character.", field="model")
    # One query on every records request, without the ORM's query compilation;
    # a Model ID wins over a slug that looks like one.
    with hot_cursor() as cur:
        cur.execute(_MODEL_GET, [team.pk, ref, ref])
        rows = cur.fetchall()
    rows.sort(key=lambda row: row[_PUBLIC_ID] != ref)
    if not rows:
        raise NotFound(f"No model {ref!r} in this team.", code="model_not_found")
    return from_row(DataModel, _MODEL_COLUMNS, rows[0])


def model_list(*, team: Team) -> list[DataModel]:
    """The team's models: the standard ones first (Account, User), then by name."""
    models = list(
        DataModel.objects.filter(team=team)
        .annotate(record_count=Count("records"))
        .order_by("name", "id")
    )
    standard = DataModel.STANDARD_TYPES
    models.sort(key=lambda m: standard.index(m.type) if m.type in standard else len(standard))
    return models


def model_record_count(*, model: DataModel) -> int:
    return Record.objects.filter(model=model).count()


def model_fields(*, model: DataModel) -> list[Field]:
    """The catalogue, ID field first, then in the order fields first arrived."""
    fields = list(Field.objects.filter(model=model).order_by("id"))
    fields.sort(key=lambda f: f.name != model.id_field)
    return fields


def record_out(key, data, created_at, updated_at, joined: dict) -> dict:
    """A record as the API shows it; timestamps as datetimes or as UTC text (rfc3339)."""
    out = {"id": key, "data": data}
    out.update(joined)
    out["created_at"] = rfc3339(created_at)
    out["updated_at"] = rfc3339(updated_at)
    return out


def record_get(*, team: Team, model: DataModel, key: str) -> dict:
    rec = Record.objects.filter(model=model, key=key).first()
    if rec is None:
        raise NotFound(f"No record {key!r} in model {model.name!r}.", code="record_not_found")
    specs = joins_for_model(model)
    joined = with_details(specs, joined_values(specs, [rec.data])[0]) if specs else {}
    return record_out(rec.key, rec.data, rec.created_at, rec.updated_at, joined)


def _cursor_encode(pk: int) -> str:
    return base64.urlsafe_b64encode(orjson.dumps({"id": pk})).decode().rstrip("=")


def _cursor_decode(cursor: str) -> int:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = orjson.loads(base64.urlsafe_b64decode(padded))
        pk = value["id"]
        if not isinstance(pk, int) or isinstance(pk, bool):
            raise ValueError
        return pk
    except (ValueError, TypeError, KeyError, orjson.JSONDecodeError):
        raise InvalidInput(
            "The cursor is malformed.", field="cursor", code="invalid_cursor"
        ) from None


def record_list(
    *, team: Team, model: DataModel, limit: int = DEFAULT_LIMIT, cursor: str | None = None
) -> dict:
    """Records newest first, a keyset page at a time."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}.", field="limit")
    qs = Record.objects.filter(model=model).order_by("-id")
    if cursor:
        qs = qs.filter(id__lt=_cursor_decode(cursor))
    rows = list(qs.values_list("id", "key", "data", "created_at", "updated_at")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    specs = joins_for_model(model)
    joined = joined_values(specs, [r[2] for r in rows]) if specs else [{} for _ in rows]
    data = [record_out(r[1], r[2], r[3], r[4], j) for r, j in zip(rows, joined, strict=True)]
    return {"data": data, "next_cursor": _cursor_encode(rows[-1][0]) if more and rows else None}
