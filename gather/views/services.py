"""Writes of saved views. Each query is checked against its model before it is stored."""

from dataclasses import replace

from django.db import transaction

from gather.accounts.models import Team
from gather.core.errors import InvalidInput
from gather.query.engine import record_query
from gather.query.spec import spec_from_json, spec_to_json
from gather.records.models import DataModel

from .filters import filter_clean, sort_clean
from .models import SavedView
from .money import money_expand
from .selectors import model_columns, query_spec

MAX_NAME = 200


def _clean_name(name) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput("A view needs a name.", field="name")
    name = name.strip()
    if "\x00" in name:
        raise InvalidInput("View names cannot contain the NUL character.", field="name")
    if len(name) > MAX_NAME:
        raise InvalidInput(f"View names are at most {MAX_NAME} characters.", field="name")
    return name


def _clean_columns(model: DataModel, columns) -> list[str]:
    if columns is None:
        return []
    if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
        raise InvalidInput("columns is a list of column paths.", field="columns")
    known = {path for path, _ in model_columns(model=model)}
    for i, column in enumerate(columns):
        if column not in known:
            raise InvalidInput(f"The model has no column {column!r}.", field=f"columns[{i}]")
    return list(dict.fromkeys(columns))


def _normalised(filter, sort, q) -> tuple[list, list, str]:
    """The query as stored: shape checked here, then by the query language's parser (the
    filter is stored as cleaned, ``unit: major`` amounts kept as given)."""
    filter_ = filter_clean(filter)
    body = spec_to_json(spec_from_json({"filter": money_expand(filter_), "sort": sort_clean(sort)}))
    return filter_, body["sort"], (q or "").strip()


def _check_query(team: Team, model: DataModel, filter: list, sort: list, q: str) -> None:
    """Run the query once (one row) so unknown fields or bad values fail now, not later."""
    spec = query_spec(filter=filter, sort=sort, q=q)
    record_query(team=team, model=model, spec=replace(spec, limit=1, count=False))


def view_create(
    *,
    team: Team,
    name,
    model: DataModel,
    filter=None,
    sort=None,
    q: str | None = None,
    columns=None,
) -> SavedView:
    name = _clean_name(name)
    filter_, sort_, q = _normalised(filter, sort, q)
    columns_ = _clean_columns(model, columns)
    _check_query(team, model, filter_, sort_, q)
    return SavedView.objects.create(
        team=team, name=name, model=model, filter=filter_, sort=sort_, q=q, columns=columns_
    )


_UNSET = object()


def view_update(
    *,
    team: Team,
    view: SavedView,
    name=_UNSET,
    filter=_UNSET,
    sort=_UNSET,
    q=_UNSET,
    columns=_UNSET,
) -> SavedView:
    """Change the given parts of a view; parts not given stay as they are."""
    if view.team_id != team.pk:
        raise InvalidInput("This view belongs to another team.")
    if name is not _UNSET:
        view.name = _clean_name(name)
    filter_, sort_, q_ = _normalised(
        view.filter if filter is _UNSET else filter,
        view.sort if sort is _UNSET else sort,
        view.q if q is _UNSET else q,
    )
    view.filter, view.sort, view.q = filter_, sort_, q_
    if columns is not _UNSET:
        view.columns = _clean_columns(view.model, columns)
    _check_query(team, view.model, view.filter, view.sort, view.q)
    with transaction.atomic():
        view.save()
    return view


def view_delete(*, team: Team, view: SavedView) -> None:
    SavedView.objects.filter(team=team, pk=view.pk).delete()
