"""Reads of data models, their fields and their records, always scoped by team."""

from django.db.models import Count

from gather.accounts.models import Team
from gather.core.db import hot_cursor
from gather.core.errors import InvalidInput, NotFound
from gather.core.models import from_row
from gather.core.timestamps import rfc3339
from gather.query.joins import joined_values, joins_for_model, with_details

from .models import DataModel, Field, Record

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
