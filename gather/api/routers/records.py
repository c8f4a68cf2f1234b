"""/api/models/{model}/records: upsert, retrieve, delete and list records."""

from urllib.parse import parse_qsl

from ninja import Query, Router, Schema, Status
from pydantic import Field

from gather.api.schemas import ERRORS, ErrorOut, RecordOut, RecordPage
from gather.core.errors import InvalidInput, PayloadTooLarge, UnsupportedMediaType
from gather.records import selectors, services
from gather.records.payload import parse_form, parse_json

router = Router(tags=["Records"])

MAX_RECORD_BYTES = 1024 * 1024
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
    return Status((201 if created else 200), record)


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
