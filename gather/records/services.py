"""Writes for data models, their field catalogue and their records."""

from django.db import IntegrityError, connection, transaction
from django.utils.text import slugify

from gather.accounts.models import Team
from gather.changes import log as change_log
from gather.changes.models import Change
from gather.core.errors import (
    Conflict,
    GatherError,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    ValidationFailed,
)
from gather.query import joins
from gather.query.joins import joined_values, joins_for_model

from . import catalogue, rollups
from .dialects import current as dialect
from .fields import field_name_problem
from .models import DataModel, Field, FieldType, Link, Record, Rollup
from .payload import check_finite
from .selectors import record_out

MAX_KEY_LENGTH = 512
MODEL_TYPES = {DataModel.TYPE_CUSTOM}


def _unique_slug(team: Team, name: str, exclude_pk: int | None = None) -> str:
    base = slugify(name)[:180] or "model"
    slug, n = base, 1
    taken = DataModel.objects.filter(team=team)
    if exclude_pk:
        taken = taken.exclude(pk=exclude_pk)
    while taken.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def _clean_name(name) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ValidationFailed("A model needs a name.", field="name")
    name = name.strip()
    if len(name) > 200:
        raise ValidationFailed("Model names are at most 200 characters.", field="name")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        # PostgreSQL text cannot hold NUL at all; no control character belongs in a name.
        raise ValidationFailed("Model names cannot contain control characters.", field="name")
    return name


def _clean_id_field(id_field) -> str:
    if not isinstance(id_field, str):
        raise ValidationFailed("id_field must be a field name.", field="id_field")
    id_field = id_field.strip()
    if problem := field_name_problem(id_field):
        raise ValidationFailed(problem, field="id_field")
    return id_field


def model_create(*, team: Team, name, type="custom", id_field="id") -> DataModel:
    name = _clean_name(name)
    if isinstance(type, str):
        type = type.strip().lower()  # the app shows it as "Custom"
    if type in DataModel.STANDARD_TYPES:
        raise ValidationFailed(
            f"Every team has exactly one {type!r} model already; create 'custom' models.",
            field="type",
        )
    if type not in MODEL_TYPES:
        raise ValidationFailed(
            f"Unknown model type {type!r}; the supported type is 'custom'.", field="type"
        )
    id_field = _clean_id_field(id_field)
    for _ in range(3):
        try:
            with transaction.atomic():
                model = DataModel.objects.create(
                    team=team,
                    name=name,
                    slug=_unique_slug(team, name),
                    type=type,
                    id_field=id_field,
                )
                Field.objects.create(
                    model=model, name=id_field, type=FieldType.STRING, type_locked=True
                )
            return model
        except IntegrityError:
            continue  # a concurrent create took the slug; pick the next one
    raise Conflict("Could not allocate a unique slug for this model; try again.", field="name")


def model_update(*, team: Team, model: DataModel, name=None, id_field=None) -> DataModel:
    if name is not None:
        model.name = _clean_name(name)
        model.slug = _unique_slug(team, model.name, exclude_pk=model.pk)
    if id_field is not None:
        id_field = _clean_id_field(id_field)
        if id_field != model.id_field:
            if Record.objects.filter(model=model).exists():
                raise Conflict(
                    "The ID field cannot change once the model has records.", field="id_field"
                )
            with transaction.atomic():
                Field.objects.filter(model=model, name=model.id_field).delete()
                Field.objects.update_or_create(
                    model=model,
                    name=id_field,
                    defaults={"type": FieldType.STRING, "type_locked": True},
                )
            model.id_field = id_field
            model.save(update_fields=["name", "slug", "id_field", "updated_at"])
            model_touch(model)
            return model
    model.save(update_fields=["name", "slug", "updated_at"])
    return model


def model_touch(model: DataModel) -> None:
    """Mark what processes derived from the model (types, joins) as stale, everywhere:
    other processes see the new revision with the model row every request reads."""
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE gather_model SET revision = revision + 1 WHERE id = %s RETURNING revision",
            [model.pk],
        )
        row = cur.fetchone()
        # Models linking to this one join its catalogue (the types of ``account.plan``).
        cur.execute(
            "UPDATE gather_model SET revision = revision + 1 WHERE id IN"
            " (SELECT model_id FROM gather_link WHERE target_id = %s AND model_id <> %s)",
            [model.pk, model.pk],
        )
    if row is not None:
        model.revision = row[0]
    catalogue.forget(model)
    joins.forget(model)


def model_delete(*, team: Team, model: DataModel) -> None:
    from gather.query.indexes import indexes_drop

    if model.type in DataModel.STANDARD_TYPES:
        raise Conflict(
            f"{model.name} is a standard model ({model.type}); it can be renamed, not deleted."
        )
    catalogue.forget(model)
    joins.forget(model)
    indexes_drop(model=model)
    linking = list(Link.objects.filter(target=model).exclude(model=model).values_list("model_id"))
    # Models with rollups over this one lose them with it: their joins change too.
    linking += list(
        Rollup.objects.filter(source=model).exclude(model=model).values_list("model_id")
    )
    with transaction.atomic():
        model_ref = model.public_id
        model.delete()  # its links, both ways, go with it
        if linking:
            with connection.cursor() as cur:
                marks = ", ".join(["%s"] * len(linking))
                cur.execute(
                    f"UPDATE gather_model SET revision = revision + 1 WHERE id IN ({marks})",
                    [pk for (pk,) in linking],
                )
        # One change for the model, not one per record: a model may hold millions of
        # records (docs/api.md, "Change feed").
        change_log.append(
            team_id=team.pk, model_ref=model_ref, changes=[(Change.MODEL_DELETED, "", {})]
        )


def field_set_type(*, team: Team, model: DataModel, name: str, type: str) -> Field:
    if type not in FieldType.values:
        raise ValidationFailed(
            f"Unknown field type {type!r}; use one of {', '.join(FieldType.values)}.", field="type"
        )
    field = Field.objects.filter(model=model, name=name).first()
    if field is None:
        raise NotFound(f"Model {model.name!r} has no field {name!r}.", field="name")
    if name == model.id_field and type != FieldType.STRING:
        raise ValidationFailed("The ID field is the record's text key.", field="type")
    field.type = type
    field.type_locked = True
    field.save(update_fields=["type", "type_locked", "updated_at"])
    model_touch(model)
    return field


def record_key(model: DataModel, payload: dict) -> str:
    """The record key from the payload's ID field, validated."""
    if model.id_field not in payload:
        raise InvalidInput(
            f"The record has no {model.id_field!r} field, this model's ID field.",
            field=model.id_field,
            code="id_field_missing",
        )
    value = payload[model.id_field]
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InvalidInput(
            f"The ID field {model.id_field!r} must be text or an integer.",
            field=model.id_field,
            code="id_field_invalid",
        )
    key = str(value)
    if not key.strip():
        raise InvalidInput(
            f"The ID field {model.id_field!r} is empty.",
            field=model.id_field,
            code="id_field_invalid",
        )
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidInput(
            f"The ID field {model.id_field!r} is longer than {MAX_KEY_LENGTH} characters.",
            field=model.id_field,
            code="id_field_invalid",
        )
    return key


def record_validate(model: DataModel, payload) -> str:
    """Check a payload can be stored; returns its key."""
    if not isinstance(payload, dict):
        raise InvalidInput("A record must be a JSON object.", code="invalid_record")
    for name in payload:
        if problem := field_name_problem(name):
            raise ValidationFailed(problem, field=name[:200], code="invalid_field_name")
    check_finite(payload)
    return record_key(model, payload)


class _Raced(Exception):
    """A record this write found absent was created by a concurrent write before the
    upsert: its previous values are unknown, so the write is done again."""


RACE_RETRIES = 5


def _old_rows(model: DataModel, keys: list[str]) -> dict[str, tuple]:
    """The records as they are before the write (key -> (data, created_at, updated_at)),
    locked until the write commits. A model feeding rollups also serialises its writers."""
    if rollups.fed_by(model):
        dialect().lock_model_writes(model_id=model.pk)
    return dialect().rows_for_write(model_id=model.pk, keys=keys)


def record_upsert(*, team: Team, model: DataModel, payload) -> tuple[dict, bool]:
    """Create or merge one record. Returns (record JSON, created).

    The record's change is appended in the same transaction; an upsert that changes no
    value writes nothing (``updated_at`` stays) and appends nothing.
    """
    key = record_validate(model, payload)
    catalogue.observe(model, [payload])
    for _ in range(RACE_RETRIES):
        try:
            with transaction.atomic():
                row, created = _upsert_logged(team, model, key, payload)
            break
        except _Raced:
            continue
    else:
        raise Conflict("The record changed concurrently too often; try again.")
    data, created_at, updated_at = row
    specs = joins_for_model(model)
    joined = joined_values(specs, [data])[0] if specs else {}
    return record_out(key, data, created_at, updated_at, joined), created


def _upsert_logged(team: Team, model: DataModel, key: str, payload: dict):
    before = _old_rows(model, [key]).get(key)
    old = before[0] if before else None
    changed = change_log.merge_changed(old, payload)
    if before is not None and not changed:
        return before, False
    row = dialect().upsert_one(model_id=model.pk, key=key, data=payload)
    if row.created != (before is None):
        raise _Raced
    if rollups.fed_by(model):
        rollups.after_write(model, {key: old} if old is not None else {}, {key: row.data})
    kind = Change.CREATED if row.created else Change.UPDATED
    change_log.append(team_id=team.pk, model_ref=model.public_id, changes=[(kind, key, changed)])
    return (row.data, row.created_at, row.updated_at), row.created


def record_delete(*, team: Team, model: DataModel, key: str) -> None:
    with transaction.atomic():
        before = _old_rows(model, [key]).get(key)
        if before is None:
            raise NotFound(f"No record {key!r} in model {model.name!r}.")
        Record.objects.filter(model=model, key=key).delete()
        if rollups.fed_by(model):
            rollups.after_write(model, {key: before[0]}, {key: None})
        change_log.append(
            team_id=team.pk,
            model_ref=model.public_id,
            changes=[(Change.DELETED, key, change_log.delete_changed(before[0]))],
        )


MAX_BATCH = 10_000


def _upsert_many_logged(team: Team, model: DataModel, items: list) -> dict[str, bool]:
    """Write the items that change something; append their changes in one statement."""
    before = _old_rows(model, [key for key, _ in items])
    writes, changes = [], []
    for key, data in items:
        row = before.get(key)
        changed = change_log.merge_changed(row[0] if row else None, data)
        if row is None:
            changes.append((Change.CREATED, key, changed))
        elif changed:
            changes.append((Change.UPDATED, key, changed))
        else:
            continue  # every value as stored: nothing to write, nothing to append
        writes.append((key, data))
    created = dialect().upsert_many(model_id=model.pk, items=writes)
    if any(is_new != (key not in before) for key, is_new in created.items()):
        raise _Raced
    if rollups.fed_by(model):
        old = {key: before[key][0] for key, _ in writes if key in before}
        # Top-level keys of the payload replace the stored ones: the contract's merge.
        rollups.after_write(model, old, {k: {**old.get(k, {}), **data} for k, data in writes})
    change_log.append(team_id=team.pk, model_ref=model.public_id, changes=changes)
    return created


def record_upsert_batch(*, team: Team, model: DataModel, items: list) -> dict:
    """Upsert many records in one statement; each item gets its own result.

    ``items`` holds payloads, or ``GatherError`` instances for items that could not even
    be parsed (NDJSON lines). Invalid items are reported and skipped; the valid ones are
    merged in order per ID and written together, atomically.
    """
    if len(items) > MAX_BATCH:
        raise PayloadTooLarge(f"A batch holds at most {MAX_BATCH:,} records (got {len(items):,}).")
    results: list[dict] = []
    merged: dict[str, dict] = {}
    first_index: dict[str, int] = {}
    budget = catalogue.FieldBudget(model)
    for index, payload in enumerate(items):
        try:
            if isinstance(payload, GatherError):
                raise payload
            key = record_validate(model, payload)
            budget.admit(payload)
        except GatherError as exc:
            results.append({"index": index, "status": exc.status, **exc.as_dict()})
            continue
        if key in merged:
            merged[key].update(payload)
        else:
            merged[key] = dict(payload)
            first_index[key] = index
        results.append({"index": index, "id": key})
    if merged:
        catalogue.observe(model, list(merged.values()))
        # In key order, so concurrent batches lock shared rows in the same order and
        # never deadlock each other (PostgreSQL aborts one of them otherwise).
        items = sorted(merged.items())
        for _ in range(RACE_RETRIES):
            try:
                with transaction.atomic():
                    created = _upsert_many_logged(team, model, items)
                break
            except _Raced:
                continue
        else:
            raise Conflict("Records of the batch changed concurrently too often; try again.")
    else:
        created = {}
    counts = {"created": 0, "updated": 0, "failed": 0}
    for result in results:
        key = result.get("id")
        if key is None:
            counts["failed"] += 1
            continue
        is_new = created.get(key, False) and first_index[key] == result["index"]
        result["status"] = 201 if is_new else 200
        counts["created" if is_new else "updated"] += 1
    return {**counts, "results": results}
