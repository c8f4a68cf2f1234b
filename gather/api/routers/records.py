"""/api/models/{model}/records: upsert, retrieve, delete and list records."""

from urllib.parse import parse_qsl

import orjson
from django.http import HttpResponse
from ninja import Query, Router, Schema, Status
from pydantic import Field

from gather.api.schemas import ERRORS, BatchOut, ErrorOut, RecordOut, RecordPage
from gather.core.errors import GatherError, InvalidInput, PayloadTooLarge, UnsupportedMediaType
from gather.records import selectors, services
from gather.records.payload import parse_form, parse_json

router = Router(tags=["Records"])

MAX_RECORD_BYTES = 1024 * 1024
MAX_BATCH_BYTES = 16 * 1024 * 1024
MAX_BATCH_ITEMS = 10_000
NDJSON_TYPES = ("application/x-ndjson", "application/ndjson", "application/jsonl")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
JSON_TYPES = ("application/json",)

RECORD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {"type": "object", "additionalProperties": {"type": "string"}},
                "example": {"id": "1234", "amount": "75", "stripe_charge_id": "ch_4567"},
            },
            "application/json": {
                "schema": {"type": "object", "additionalProperties": True},
                "example": {"id": 1234, "amount": 75, "meta": {"plan": "pro"}},
            },
        },
    }
}


def media_type(request) -> str:
    return request.META.get("CONTENT_TYPE", "").split(";", 1)[0].strip().lower()


def read_body(request, limit: int) -> bytes:
    length = request.META.get("CONTENT_LENGTH") or "0"
    if length.isdigit() and int(length) > limit:
        raise PayloadTooLarge(f"The body is larger than {limit // 1024} KiB.")
    body = request.body
    if len(body) > limit:
        raise PayloadTooLarge(f"The body is larger than {limit // 1024} KiB.")
    return body


def _too_many(count: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"A batch holds at most {MAX_BATCH_ITEMS} records (got {count}); split it.",
        code="too_many_records",
    )


def batch_items(request) -> list:
    """The items of a batch: payloads, or the error that made a NDJSON line unusable."""
    kind = media_type(request)
    body = read_body(request, MAX_BATCH_BYTES)
    if kind in NDJSON_TYPES:
        lines = [line for line in body.split(b"\n") if line.strip()]
        if len(lines) > MAX_BATCH_ITEMS:
            raise _too_many(len(lines))
        items: list = []
        for line in lines:
            try:
                items.append(parse_json(line))
            except GatherError as exc:
                items.append(exc)
        return items
    if kind in JSON_TYPES or kind.endswith("+json"):
        items = parse_json(body)
        if not isinstance(items, list):
            raise InvalidInput(
                "A batch is a JSON array of records (or NDJSON: one record a line).",
                code="invalid_batch",
            )
        if len(items) > MAX_BATCH_ITEMS:
            raise _too_many(len(items))
        return items
    raise UnsupportedMediaType(
        "Send batches as application/json (an array) or application/x-ndjson"
        f" (got {kind or 'no Content-Type'})."
    )


def record_payload(request):
    """The single record in a request, form-encoded or JSON."""
    kind = media_type(request)
    body = read_body(request, MAX_RECORD_BYTES)
    if kind in JSON_TYPES or kind.endswith("+json"):
        return parse_json(body)
    if kind in FORM_TYPES:
        if kind == "multipart/form-data":
            items = list(request.POST.lists())
            return parse_form([(k, v) for k, values in items for v in values])
        try:
            pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
        except UnicodeDecodeError:
            raise InvalidInput("Form bodies must be UTF-8.") from None
        return parse_form(pairs)
    raise UnsupportedMediaType(
        "Send records as application/json or application/x-www-form-urlencoded"
        f" (got {kind or 'no Content-Type'})."
    )


@router.post(
    "/{model}/records",
    response={
        200: RecordOut,
        201: RecordOut,
        **ERRORS,
        413: ErrorOut,
        415: ErrorOut,
        422: ErrorOut,
    },
    openapi_extra=RECORD_BODY,
)
def upsert_record(request, model: str):
    """Create a record, or merge into the one with the same ID (payload keys win).

    Form-encoded values arrive as text; bracket keys nest (`meta[plan]=pro`).
    """
    team = request.auth.team
    obj = selectors.model_get(team=team, ref=model)
    record, created = services.record_upsert(team=team, model=obj, payload=record_payload(request))
    return HttpResponse(
        orjson.dumps(record), status=201 if created else 200, content_type="application/json"
    )


BATCH_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "array",
                    "maxItems": MAX_BATCH_ITEMS,
                    "items": {"type": "object", "additionalProperties": True},
                },
                "example": [
                    {"id": "1234", "amount": 75},
                    {"id": "1235", "amount": 20, "meta": {"plan": "pro"}},
                    {"amount": 5},
                ],
            },
            "application/x-ndjson": {
                "schema": {"type": "string"},
                "example": '{"id": "1234", "amount": 75}\n{"id": "1235", "amount": 20}\n',
            },
        },
    }
}

BATCH_EXAMPLE = {
    "created": 1,
    "updated": 1,
    "failed": 1,
    "data": [
        {"index": 0, "result": "updated", "id": "1234"},
        {"index": 1, "result": "created", "id": "1235"},
        {
            "index": 2,
            "result": "error",
            "error": {
                "code": "id_field_missing",
                "message": "The record has no 'id' field, this model's ID field.",
                "field": "id",
            },
        },
    ],
}


@router.post(
    "/{model}/records/batch",
    response={200: BatchOut, **ERRORS, 413: ErrorOut, 415: ErrorOut},
    openapi_extra={
        **BATCH_BODY,
        "responses": {"200": {"content": {"application/json": {"example": BATCH_EXAMPLE}}}},
    },
)
def upsert_batch(request, model: str):
    """Upsert up to 10,000 records: a JSON array, or NDJSON (one JSON object a line).

    Each item is merged like a single upsert. The response has one result per item, in
    order; an invalid item gets an error and does not stop the others. Items with the same
    ID apply in order. A 200 means every valid item is committed.
    """
    team = request.auth.team
    obj = selectors.model_get(team=team, ref=model)
    results = services.record_upsert_batch(team=team, model=obj, items=batch_items(request))
    counts = {"created": 0, "updated": 0, "error": 0}
    for item in results:
        counts[item["result"]] += 1
    body = {
        "created": counts["created"],
        "updated": counts["updated"],
        "failed": counts["error"],
        "data": results,
    }
    # Serialised directly: validating 10,000 result items against BatchOut costs more
    # than the upsert; the shape is the documented one (tests check it).
    return HttpResponse(orjson.dumps(body), content_type="application/json")


class ListParams(Schema):
    limit: int = Field(selectors.DEFAULT_LIMIT, ge=1, le=selectors.MAX_LIMIT)
    cursor: str | None = None


@router.get("/{model}/records", response={200: RecordPage, **ERRORS, 422: ErrorOut})
def list_records(request, model: str, params: Query[ListParams]):
    """Records newest first; follow `next_cursor` for the next page."""
    team = request.auth.team
    obj = selectors.model_get(team=team, ref=model)
    return selectors.record_list(team=team, model=obj, limit=params.limit, cursor=params.cursor)


@router.get("/{model}/records/{record_id}", response={200: RecordOut, **ERRORS})
def get_record(request, model: str, record_id: str):
    """One record by its ID."""
    team = request.auth.team
    obj = selectors.model_get(team=team, ref=model)
    return selectors.record_get(team=team, model=obj, key=record_id)


@router.delete("/{model}/records/{record_id}", response={204: None, **ERRORS})
def delete_record(request, model: str, record_id: str):
    """Delete one record by its ID."""
    team = request.auth.team
    obj = selectors.model_get(team=team, ref=model)
    services.record_delete(team=team, model=obj, key=record_id)
    return Status(204, None)
