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


api = NinjaAPI(
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
