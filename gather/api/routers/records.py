"""/api/models/{model}/records: upsert, retrieve, delete and list records."""

import orjson
from django.http import HttpResponse
from ninja import Path, Query, Router, Status

from gather.api.schemas import (
    ERRORS,
    BatchOut,
    ChangeHistory,
    ErrorOut,
    RecordOut,
    RecordPage,
    RelatedList,
)
from gather.changes import selectors as change_selectors
from gather.core.errors import InvalidInput, PayloadTooLarge, UnsupportedMediaType
from gather.query import engine
from gather.query.spec import OPS, spec_from_json, spec_from_params
from gather.records import links, selectors, services
from gather.records.payload import parse_form_body, parse_json, parse_json_items

router = Router(tags=["Records"])

MAX_RECORD_BYTES = 1024 * 1024
FORM_TYPES = ("application/x-www-form-urlencoded",)  # multipart: 415 (api.middleware)
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


def json_response(body: dict, status: int = 200) -> HttpResponse:
    """Serialise with orjson. The service already built the documented shape, so the hot
    path skips a second validation pass through pydantic (tests check it against the spec).
    """
    return HttpResponse(orjson.dumps(body), status=status, content_type="application/json")


def page_response(page: dict) -> HttpResponse:
    """A RecordPage: ``total`` is null unless a count was asked for."""
    page.setdefault("total", None)
    return json_response(page)


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
        return parse_form_body(body)
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
    return json_response(record, 201 if created else 200)


FILTER_PARAMETER = {
    "name": "filter",
    "in": "query",
    "required": False,
    "style": "deepObject",
    "explode": True,
    "description": (
        "Conditions, one query parameter each: `filter[<path>][<op>]=<value>`, or "
        "`filter[<path>]=<value>` for `eq`. E.g. `filter[amount][gte]=250`, "
        "`filter[status]=paid`, `filter[meta.plan][in]=pro,team`, "
        "`filter[stripe_charge.status]=failed`. `<path>` is a field, a dotted nested path or "
        f"a joined field; ops: {' '.join(OPS)}. All conditions are ANDed. An unknown field "
        "or operator, or a value the field's type cannot compare, answers 400 naming it. "
        "Charge amounts are Stripe minor units."
    ),
    "schema": {
        "type": "object",
        # Operators are named in the description, not as properties: schemathesis cannot
        # negate a string-or-object schema that lists them (decision 014).
        "additionalProperties": {
            "description": "The value an `eq` condition compares, or operator -> value.",
            "type": ["string", "object"],
            "additionalProperties": {"type": "string"},
        },
    },
    "example": {"amount": {"gte": "250"}, "status": "paid"},
}

LIST_PARAMETERS = {
    "parameters": [
        FILTER_PARAMETER,
        {
            "name": "sort",
            "in": "query",
            "required": False,
            "description": "Comma list of fields; a leading minus sorts descending. "
            "Empty values sort last. Default: newest first.",
            "schema": {"type": "string"},
            "example": "-created,amount",
        },
        {
            "name": "q",
            "in": "query",
            "required": False,
            "description": "Case-insensitive substring search over every value, "
            "joined values included.",
            "schema": {"type": "string"},
            "example": "acme",
        },
        {
            "name": "limit",
            "in": "query",
            "required": False,
            "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 50},
        },
        {
            "name": "cursor",
            "in": "query",
            "required": False,
            "description": "The `next_cursor` of the previous page (opaque; another value "
            "answers 400 `invalid_cursor`).",
            "schema": {"type": "string"},
        },
        {
            "name": "count",
            "in": "query",
            "required": False,
            "description": "`true` adds `total`, the number of matching records.",
            "schema": {"type": "boolean"},
        },
    ]
}

QUERY_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "filter": {
            "type": ["array", "null"],
            "maxItems": 100,
            "items": {"type": "object"},
            "description": 'Conditions ANDed: `{"field", "op"?, "value"}` (op '
            'defaults to `eq`), or a group `{"or": [...]}` / `{"and": [...]}` of them, '
            "nested up to 4 deep, at most 100 conditions in all.",
        },
        "sort": {
            "anyOf": [
                {"type": "string", "description": "As the list's `sort` parameter."},
                {
                    "type": "array",
                    "maxItems": 8,
                    "items": {
                        "type": "object",
                        "required": ["field"],
                        "additionalProperties": False,
                        "properties": {
                            "field": {"type": "string"},
                            "dir": {"enum": ["asc", "desc"]},
                        },
                    },
                },
                {"type": "null"},
            ]
        },
        "q": {"type": ["string", "null"]},
        "limit": {"type": ["integer", "null"], "minimum": 1, "maximum": 500},
        "cursor": {"type": ["string", "null"]},
        "count": {"type": ["boolean", "null"]},
    },
}

QUERY_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": QUERY_SCHEMA,
                "example": {
                    "filter": [
                        {"field": "amount", "op": "gte", "value": 250},
                        {
                            "or": [
                                {"field": "status", "op": "eq", "value": "paid"},
                                {"field": "stripe_charge.status", "op": "eq", "value": "failed"},
                            ]
                        },
                    ],
                    "sort": [{"field": "amount", "dir": "desc"}],
                    "q": "acme",
                    "limit": 50,
                    "count": True,
                },
            }
        },
    }
}


MAX_BATCH_BYTES = 16 * 1024 * 1024
NDJSON_TYPES = ("application/x-ndjson", "application/ndjson", "application/jsonl")

BATCH_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "array",
                    "maxItems": 10000,
                    "items": {
                        "description": "A record: a JSON object. Any other item (a number, a "
                        "list, null...) gets its own 400 `invalid_record` result; the others "
                        "are still stored."
                    },
                },
                "example": [
                    {"id": "1234", "amount": 75, "stripe_charge_id": "ch_4567"},
                    {"id": "1235", "amount": 120},
                ],
            },
            "application/x-ndjson": {
                "schema": {"type": "string"},
                "example": '{"id": "1234", "amount": 75}\n{"id": "1235", "amount": 120}\n',
            },
        },
    }
}


def batch_items(request) -> list:
    kind = media_type(request)
    body = read_body(request, MAX_BATCH_BYTES)
    if kind in NDJSON_TYPES:
        items: list = []
        for number, line in enumerate(body.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                items.append(parse_json(line))
            except InvalidInput as exc:
                exc.message = f"Line {number}: {exc.message}"
                items.append(exc)
            if len(items) > services.MAX_BATCH:
                break
        return items
    if kind in JSON_TYPES or kind.endswith("+json"):
        return parse_json_items(body)
    raise UnsupportedMediaType(
        "Send batches as application/json (an array) or application/x-ndjson"
        f" (got {kind or 'no Content-Type'})."
    )


@router.post(
    "/{model}/records/batch",
    response={200: BatchOut, **ERRORS, 413: ErrorOut, 415: ErrorOut},
    openapi_extra=BATCH_BODY,
)
def upsert_batch(request, model: str):
    """Create or merge up to 10,000 records at once; each item gets its own result.

    Items with the same ID apply in order. An invalid item is reported (with the
    contract's error body) and skipped; it does not stop the others. A 200 means every
    valid item is committed.
    """
    team = request.auth.team
    obj = selectors.model_get(team=team, ref=model)
    return json_response(
        services.record_upsert_batch(team=team, model=obj, items=batch_items(request))
    )


@router.get(
    "/{model}/records",
    response={200: RecordPage, **ERRORS, 422: ErrorOut},
    openapi_extra=LIST_PARAMETERS,
)
def list_records(request, model: str):
    """Records matching the filters, sorted, a keyset page at a time."""
    team = request.auth.team
    obj = selectors.model_get(team=team, ref=model)
    return page_response(
        engine.record_query(team=team, model=obj, spec=spec_from_params(request.GET))
    )


@router.post(
    "/{model}/records/query",
    response={200: RecordPage, **ERRORS, 415: ErrorOut, 422: ErrorOut},
    openapi_extra=QUERY_BODY,
)
def query_records(request, model: str):
    """The list query as JSON, with `or` / `and` groups in `filter`."""
    team = request.auth.team
    obj = selectors.model_get(team=team, ref=model)
    if media_type(request) not in JSON_TYPES:
        raise UnsupportedMediaType("Send the query as application/json.")
    body = parse_json(read_body(request, MAX_RECORD_BYTES))
    return page_response(engine.record_query(team=team, model=obj, spec=spec_from_json(body)))


# A record ID is any text (docs/decisions/013-record-ids-in-paths.md): the `path`
# converter takes the rest of the path, slashes included, since servers decode `%2F`
# before routing. The document still shows a plain `{record_id}` parameter.
RECORD_PATH = "/{model}/records/{path:record_id}"
RECORD_ID = Path(..., description="The record's ID, percent-encoded: `a/b` as `a%2Fb`.")


@router.get(RECORD_PATH + "/history", response={200: ChangeHistory, **ERRORS})
def record_history(
    request,
    model: str,
    record_id: str = RECORD_ID,
    limit: str | None = Query(None, description="At most this many changes (1–1000, 100)."),
    cursor: str | None = Query(None, description="`next_cursor` of the page before."),
):
    """The record's changes, newest first; still readable after the record is deleted.
    (Registered before the record's own URL, whose ID may hold a `/`.)"""
    change_selectors.check_query_keys(request.GET, {"limit", "cursor"})
    team = request.auth.team
    obj = selectors.model_get(team=team, ref=model)
    return change_selectors.record_history(
        team=team, model_ref=obj.public_id, key=record_id, limit=limit, cursor=cursor
    )


@router.get(RECORD_PATH + "/related", response={200: RelatedList, **ERRORS})
def related_records(request, model: str, record_id: str = RECORD_ID):
    """Records linking to this one: one entry per link from any model of the team to
    this model, with how many records link here and the newest 10 of them.

    An entry's records are what its model's list query
    `filter[<entry.field>]=<record_id>` returns, newest first. (Registered before the
    record's own URL, whose ID may hold a `/`.)
    """
    team = request.auth.team
    obj = selectors.model_get(team=team, ref=model)
    return json_response({"data": links.record_related(team=team, model=obj, key=record_id)})


@router.get(RECORD_PATH, response={200: RecordOut, **ERRORS})
def get_record(request, model: str, record_id: str = RECORD_ID):
    """One record by its ID, percent-encoded in the path (`a/b` as `a%2Fb`)."""
    team = request.auth.team
    obj = selectors.model_get(team=team, ref=model)
    return selectors.record_get(team=team, model=obj, key=record_id)


@router.delete(RECORD_PATH, response={204: None, **ERRORS})
def delete_record(request, model: str, record_id: str = RECORD_ID):
    """Delete one record by its ID, percent-encoded in the path."""
    team = request.auth.team
    obj = selectors.model_get(team=team, ref=model)
    services.record_delete(team=team, model=obj, key=record_id)
    return Status(204, None)


def _literal_id_routes(name: str) -> None:
    """GET and DELETE for the record whose ID is ``name`` ("batch", "query"): its URL is
    the POST endpoint's, which would otherwise answer 405."""

    def get_named(request, model: str):
        return get_record(request, model, name)

    def delete_named(request, model: str):
        return delete_record(request, model, name)

    path = f"/{{model}}/records/{name}"
    for method, view, response in (
        ("GET", get_named, {200: RecordOut, **ERRORS}),
        ("DELETE", delete_named, {204: None, **ERRORS}),
    ):
        router.add_api_operation(
            path,
            [method],
            view,
            response=response,
            operation_id=f"{method.lower()}_record_{name}",
            include_in_schema=False,
        )


_literal_id_routes("batch")
_literal_id_routes("query")
