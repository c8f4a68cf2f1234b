"""/api/models: the team's data models."""

from ninja import Router, Status

from gather.api.schemas import ERRORS, ErrorOut, ModelIn, ModelList, ModelOut, ModelPatch
from gather.records import links, rollups, selectors, services

router = Router(tags=["Models"])


def model_out(model, record_count: int | None = None) -> dict:
    if record_count is None:
        record_count = getattr(model, "record_count", None)
    if record_count is None:
        record_count = selectors.model_record_count(model=model)
    return {
        "id": model.public_id,
        "name": model.name,
        "slug": model.slug,
        "type": model.type,
        "id_field": model.id_field,
        "fields": [{"name": f.name, "type": f.type} for f in selectors.model_fields(model=model)],
        "links": links.model_links(model=model),
        "rollups": rollups.model_rollups(model=model),
        "record_count": record_count,
    }


MODEL_FORM_BODY = {
    "requestBody": {
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {"$ref": "#/components/schemas/ModelIn"},
                "example": {"name": "Orders", "type": "custom", "id_field": "id"},
            }
        }
    }
}


@router.post(
    "",
    response={201: ModelOut, **ERRORS, 409: ErrorOut, 415: ErrorOut, 422: ErrorOut},
    openapi_extra=MODEL_FORM_BODY,
)
def create_model(request, payload: ModelIn):
    """Create a custom data model (JSON or form-encoded). The response's `id` is the
    Model ID. `type` is case-insensitive (`Custom`, as the app shows it, is `custom`)."""
    model = services.model_create(
        team=request.auth.team, name=payload.name, type=payload.type, id_field=payload.id_field
    )
    return Status(201, model_out(model, 0))


@router.get("", response={200: ModelList, 401: ErrorOut})
def list_models(request):
    """The team's models with their fields and record counts."""
    return {"data": [model_out(m) for m in selectors.model_list(team=request.auth.team)]}


@router.get("/{model}", response={200: ModelOut, **ERRORS})
def get_model(request, model: str):
    """One model, by Model ID or slug."""
    return model_out(selectors.model_get(team=request.auth.team, ref=model))


@router.patch("/{model}", response={200: ModelOut, **ERRORS, 409: ErrorOut, 422: ErrorOut})
def update_model(request, model: str, payload: ModelPatch):
    """Rename a model, change its ID field (only while empty), set field types, or link
    fields to other models (`links`), or add rollups over linking records (`rollups`)."""
    team = request.auth.team
    obj = selectors.model_get(team=team, ref=model)
    if payload.links is not None:
        links.model_links_set(team=team, model=obj, links=payload.links)
    if payload.rollups is not None:
        rollups.model_rollups_set(team=team, model=obj, rollups=payload.rollups)
    obj = services.model_update(team=team, model=obj, name=payload.name, id_field=payload.id_field)
    for name, type_ in (payload.fields or {}).items():
        services.field_set_type(team=team, model=obj, name=name, type=type_)
    return model_out(obj)


@router.delete("/{model}", response={204: None, **ERRORS})
def delete_model(request, model: str):
    """Delete a model and all its records."""
    team = request.auth.team
    services.model_delete(team=team, model=selectors.model_get(team=team, ref=model))
    return Status(204, None)
