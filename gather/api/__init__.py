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
        every operation that takes a key."""
        schema = super().get_openapi_schema(**kwargs)
        for operations in schema["paths"].values():
            for operation in operations.values():
                if operation.get("security"):
                    operation["responses"].setdefault(429, RATE_LIMITED)
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

from .routers import integrations, models, records, views  # noqa: E402

api.add_router("/models", models.router)
api.add_router("/models", records.router)
api.add_router("/views", views.router)
api.add_router("/integrations", integrations.router)
