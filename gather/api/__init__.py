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


class GatherApi(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        error = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
        for operations in schema["paths"].values():
            for operation in operations.values():
                if "requestBody" not in operation:
                    continue
                responses = operation["responses"]
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

from .routers import integrations, models, records, views  # noqa: E402

api.add_router("/models", models.router)
api.add_router("/models", records.router)
api.add_router("/views", views.router)
api.add_router("/integrations", integrations.router)
