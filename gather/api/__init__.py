"""The one NinjaAPI, mounted at /api."""

from ninja import NinjaAPI
from ninja.parser import Parser

from gather.records.payload import parse_form_body, parse_json

from . import errors
from .auth import ApiKeyAuth

FORM_TYPE = "application/x-www-form-urlencoded"


class JsonParser(Parser):
    """JSON bodies, and form-encoded ones read as the records endpoint reads them (values
    arrive as text, bracket keys nest), so `curl -d name=Orders` works everywhere."""

    def parse_body(self, request):
        kind = request.META.get("CONTENT_TYPE", "").split(";", 1)[0].strip().lower()
        if kind == FORM_TYPE:
            return parse_form_body(request.body)
        return parse_json(request.body)


# Every operation that reads a body can refuse it for its size or its media type, before
# the endpoint runs (DATA_UPLOAD_MAX_MEMORY_SIZE; ApiMediaTypeMiddleware, the parser).
BODY_ERRORS = {
    413: "The body is larger than the endpoint takes.",
    415: "The body's Content-Type is not one the endpoint reads (multipart/form-data never is).",
}

RATE_LIMITED = {
    "description": (
        "Too many failed API key checks from this client address (10 in 15 minutes); "
        "`Retry-After` says how many seconds to wait. A valid key is never throttled."
    ),
    "headers": {"Retry-After": {"schema": {"type": "integer"}}},
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}},
}


class GatherApi(NinjaAPI):
    def get_openapi_schema(self, **kwargs):
        """Ninja's document, with the 429 that the key check (decision 015) can answer on
        every operation that takes a key, and the 413 and 415 that every operation reading
        a body can answer (decision 014)."""
        schema = super().get_openapi_schema(**kwargs)
        error = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
        for operations in schema["paths"].values():
            for operation in operations.values():
                responses = operation["responses"]
                if operation.get("security"):
                    responses.setdefault(429, RATE_LIMITED)
                if "requestBody" not in operation:
                    continue
                for status, description in BODY_ERRORS.items():
                    if status not in responses and str(status) not in responses:
                        responses[status] = {"description": description, "content": error}
        return schema


api = GatherApi(
    title="Gather API",
    version="1",
    description=(
        "Push your business records into data models, join them with Stripe, and query "
        "them like the views in the app. Authenticate with `Authorization: Token <key>`. "
        'Errors are always `{"error": {"code", "message", "field"?}}`.'
    ),
    auth=ApiKeyAuth(),
    parser=JsonParser(),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
errors.install(api)

from .routers import changes, integrations, models, records, views  # noqa: E402

api.add_router("/models", models.router)
api.add_router("/models", records.router)
api.add_router("/views", views.router)
api.add_router("/integrations", integrations.router)
api.add_router("/changes", changes.router)
