"""/api/views: saved views, their records and their CSV export."""

from typing import Any

from django.http import StreamingHttpResponse
from ninja import Router, Schema, Status
from pydantic import ConfigDict, Field

from gather.api.routers.records import LIST_PARAMETERS
from gather.api.schemas import ERRORS, ErrorOut, RecordPage
from gather.core.timestamps import rfc3339
from gather.query.spec import spec_from_params
from gather.records import selectors as records
from gather.views import selectors, services
from gather.views.export import csv_filename, view_csv

router = Router(tags=["Views"])

FILTER_HELP = (
    'Conditions ANDed: [{"field": "amount", "op": "gte", "value": 250}, '
    '{"or": [{...}, {...}]}]. Besides the records query operators, views accept '
    '"between" ([low, high]) and "within_days" (N, relative to now).'
)


class ViewIn(Schema):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(..., examples=["Big orders"])
    model: str = Field(..., description="Model ID or slug.", examples=["orders"])
    filter: list[dict[str, Any]] | None = Field(None, description=FILTER_HELP)
    sort: list[dict[str, Any]] | None = Field(None, examples=[[{"field": "amount", "dir": "desc"}]])
    q: str | None = Field(None, description="Free-text search over all values.")
    columns: list[str] | None = Field(None, description="Visible column paths in order.")


class ViewPatch(Schema):
    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    filter: list[dict[str, Any]] | None = Field(None, description=FILTER_HELP)
    sort: list[dict[str, Any]] | None = None
    q: str | None = None
    columns: list[str] | None = None


class ViewOut(Schema):
    id: str = Field(..., examples=["view_3k9x0c2v8b7n6m5l"])
    name: str
    model: str = Field(..., description="The Model ID.")
    filter: list[dict[str, Any]]
    sort: list[dict[str, Any]]
    q: str | None
    columns: list[str]
    created_at: str
    updated_at: str


class ViewList(Schema):
    data: list[ViewOut]


def view_out(view) -> dict:
    return {
        "id": view.public_id,
        "name": view.name,
        "model": view.model.public_id,
        "filter": view.filter,
        "sort": view.sort,
        "q": view.q or None,
        "columns": view.columns,
        "created_at": rfc3339(view.created_at),
        "updated_at": rfc3339(view.updated_at),
    }


@router.get("", response={200: ViewList, 401: ErrorOut})
def list_views(request):
    """The team's saved views."""
    return {"data": [view_out(v) for v in selectors.view_list(team=request.auth.team)]}


@router.post("", response={201: ViewOut, **ERRORS, 422: ErrorOut})
def create_view(request, payload: ViewIn):
    """Save a view of a model's records: filter, sort, search and columns."""
    team = request.auth.team
    model = records.model_get(team=team, ref=payload.model)
    view = services.view_create(
        team=team,
        name=payload.name,
        model=model,
        filter=payload.filter,
        sort=payload.sort,
        q=payload.q,
        columns=payload.columns,
    )
    return Status(201, view_out(view))


@router.get("/{view_id}", response={200: ViewOut, **ERRORS})
def get_view(request, view_id: str):
    """One saved view."""
    return view_out(selectors.view_get(team=request.auth.team, ref=view_id))


@router.patch("/{view_id}", response={200: ViewOut, **ERRORS, 422: ErrorOut})
def update_view(request, view_id: str, payload: ViewPatch):
    """Change a view's name, filter, sort, search or columns (parts left out stay)."""
    team = request.auth.team
    view = selectors.view_get(team=team, ref=view_id)
    changes = payload.model_dump(exclude_unset=True)
    view = services.view_update(team=team, view=view, **changes)
    return view_out(view)


@router.delete("/{view_id}", response={204: None, **ERRORS})
def delete_view(request, view_id: str):
    """Delete a saved view (its model and records stay)."""
    team = request.auth.team
    services.view_delete(team=team, view=selectors.view_get(team=team, ref=view_id))
    return Status(204, None)


EXPORT_PARAMETERS = {
    "parameters": [
        p for p in LIST_PARAMETERS["parameters"] if p["name"] not in ("limit", "cursor", "count")
    ],
    "responses": {
        "200": {
            "description": "CSV: a header row of column paths, then every matching record.",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    },
}


@router.get(
    "/{view_id}/records",
    response={200: RecordPage, **ERRORS, 422: ErrorOut},
    openapi_extra=LIST_PARAMETERS,
)
def view_records(request, view_id: str):
    """The view's records: its saved filter AND the query string's (same parameters as
    the records list: `filter[path][op]=v`, `sort`, `q`, `limit`, `cursor`, `count`)."""
    team = request.auth.team
    view = selectors.view_get(team=team, ref=view_id)
    spec = selectors.view_spec(view=view, extra=spec_from_params(request.GET))
    return selectors.view_records(team=team, view=view, spec=spec)


@router.get("/{view_id}/export.csv", response=ERRORS, openapi_extra=EXPORT_PARAMETERS)
def export_view(request, view_id: str):
    """Every record the view shows (query-string filters ANDed as for `/records`), as CSV
    streamed from the database: a header row of column paths, nested values as JSON."""
    team = request.auth.team
    view = selectors.view_get(team=team, ref=view_id)
    spec = selectors.view_spec(view=view, extra=spec_from_params(request.GET))
    columns = [p for p, _ in selectors.view_columns(model=view.model, columns=view.columns)]
    response = StreamingHttpResponse(
        view_csv(team=team, model=view.model, spec=spec, columns=columns),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{csv_filename(view.name)}"'
    return response
