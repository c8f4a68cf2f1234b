"""Reads of saved views and of the records they show, always scoped by team."""

from collections.abc import Iterator

from gather.accounts.models import Team
from gather.core.errors import NotFound
from gather.query.engine import columns_for_model, record_iter, record_query
from gather.query.joins import joins_for_model
from gather.query.spec import QuerySpec, spec_and, spec_from_json

from .models import SavedView
from .money import money_expand


def view_list(*, team: Team) -> list[SavedView]:
    return list(SavedView.objects.filter(team=team).select_related("model").order_by("name", "id"))


def views_by_model(*, team: Team) -> dict[str, SavedView]:
    """The first view (by name) of each of the team's models, by Model ID: where links
    from a record page to another model's records lead."""
    found: dict[str, SavedView] = {}
    for view in view_list(team=team):
        found.setdefault(view.model.public_id, view)
    return found


def view_list_for_model(*, team: Team, model) -> list[SavedView]:
    """The team's views built on ``model`` (they go when the model goes)."""
    return list(SavedView.objects.filter(team=team, model=model).order_by("name", "id"))


def view_get(*, team: Team, ref: str) -> SavedView:
    """A team's view by its public id; another team's view does not exist."""
    view = SavedView.objects.filter(team=team, public_id=ref).select_related("model").first()
    if view is None:
        raise NotFound(f"No view {ref!r} in this team.", code="view_not_found")
    return view


def query_spec(*, filter: list, sort: list, q: str | None, **extra) -> QuerySpec:
    """A QuerySpec from a view's stored query plus paging (``limit``, ``cursor``, ``count``)."""
    body = {"filter": money_expand(filter or []), "sort": sort or [], **extra}
    if q:
        body["q"] = q
    return spec_from_json(body)


def view_spec(*, view: SavedView, extra: QuerySpec | None = None) -> QuerySpec:
    """The view's saved query, ANDed with ``extra`` (whose sort/q/limit/cursor win)."""
    saved = query_spec(filter=view.filter, sort=view.sort, q=view.q)
    return spec_and(saved, extra) if extra is not None else saved


def model_columns(*, model) -> list[tuple[str, str]]:
    """Every column of a model: (path, type), ID field first, then joined fields."""
    return list(columns_for_model(model))


def join_labels(*, model) -> dict[str, str]:
    """What the app calls each object joined to the model's records, by path prefix
    (``{"stripe_charge": "Charge"}``)."""
    return {
        spec.name: spec.label or spec.name.replace("_", " ").capitalize()
        for spec in joins_for_model(model)
    }


def view_columns(
    *, model, columns: list[str] | None, available: list[tuple[str, str]] | None = None
) -> list[tuple[str, str]]:
    """The visible columns in order; no choice (or none left) means all of them."""
    available = available if available is not None else model_columns(model=model)
    types = dict(available)
    chosen = [(c, types[c]) for c in (columns or []) if c in types]
    return chosen or available


def view_records(*, team: Team, view: SavedView, spec: QuerySpec) -> dict:
    return record_query(team=team, model=view.model, spec=spec)


def records_page(*, team: Team, model, spec: QuerySpec) -> dict:
    return record_query(team=team, model=model, spec=spec)


# Records per keyset page when exporting. Each page re-runs the sorted query, so larger
# pages mean fewer sorts of an unindexed sort key; memory stays bounded by one page.
EXPORT_BATCH = 5000


def records_all(*, team: Team, model, spec: QuerySpec, batch: int = EXPORT_BATCH) -> Iterator[dict]:
    """Every record the spec matches, in order, streamed a page at a time."""
    return record_iter(team=team, model=model, spec=spec, batch=batch)
