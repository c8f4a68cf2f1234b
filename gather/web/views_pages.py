"""HTML pages of saved views: the list, the grid, saving, export and the record page."""

from dataclasses import replace
from urllib.parse import quote, urlencode

import orjson
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from gather.changes import selectors as change_selectors
from gather.core.errors import GatherError
from gather.query.joins import joins_for_model
from gather.records import selectors as records
from gather.records.links import record_related
from gather.views import selectors, services
from gather.views.export import csv_filename, view_csv

from .grid import (
    cell,
    column_label,
    column_title,
    datetime_text,
    highlight,
    is_money_path,
    money,
    pretty_json,
    render_tree,
    stripe_customer_card,
)
from .view_state import (
    NO_VALUE,
    OPS_BY_TYPE,
    TWO_VALUES,
    GridState,
    Row,
    op_label,
    ops_for,
    state_from_params,
    state_from_view,
)

PAGE_SIZE = 50


def _team(request):
    if request.team is None:
        raise Http404("You are not in a team.")
    return request.team


def _view(request, view_id: str):
    try:
        return selectors.view_get(team=_team(request), ref=view_id)
    except GatherError:
        raise Http404("No such view.") from None


@login_required
def views_index(request):
    team = _team(request)
    error = None
    if request.method == "POST":
        try:
            model = records.model_get(team=team, ref=request.POST.get("model", ""))
            view = services.view_create(team=team, name=request.POST.get("name", ""), model=model)
        except GatherError as exc:
            error = exc.message
        else:
            return redirect("view_detail", view_id=view.public_id)
    return render(
        request,
        "views/list.html",
        {
            "views": selectors.view_list(team=team),
            "models": records.model_list(team=team),
            "error": error,
            "form": request.POST if error else {},
        },
        status=400 if error else 200,
    )


class Grid:
    """Everything the grid page needs, worked out from the view and the URL."""

    def __init__(self, request, view):
        self.request, self.view = request, view
        self.available = selectors.model_columns(model=view.model)
        self.types = dict(self.available)
        self.all_paths = [p for p, _ in self.available]
        self.joins = selectors.join_labels(model=view.model)
        self.saved = state_from_view(view, self.types)
        self.edited = request.GET.get("edit") == "1"
        self.state = state_from_params(request.GET, self.types) if self.edited else self.saved
        self.columns = selectors.view_columns(
            model=view.model, columns=self.state.columns, available=self.available
        )
        self.dirty = self.key(self.state) != self.key(self.saved)

    def key(self, state: GridState) -> tuple:
        return state.canonical(self.types, self.all_paths)

    def query(self, state: GridState | None = None, **extra) -> str:
        """The query string of a state (empty when it is the saved one) plus paging."""
        state = state or self.state
        params = state.params() if self.key(state) != self.key(self.saved) else []
        for name, value in extra.items():
            if isinstance(value, list):
                params += [(name, item) for item in value]  # "" marks the first page
            elif value not in (None, ""):
                params.append((name, value))
        return urlencode(params)

    def href(self, state: GridState | None = None, **extra) -> str:
        query = self.query(state, **extra)
        return f"/views/{self.view.public_id}" + (f"?{query}" if query else "")


def _sort_toggle(sort: list[dict], path: str) -> list[dict]:
    """A plain click: sort by this column alone; again flips it; a third time clears it."""
    if sort and sort[0]["field"] == path and len(sort) == 1:
        return [] if sort[0]["dir"] == "desc" else [{"field": path, "dir": "desc"}]
    return [{"field": path, "dir": "asc"}]


def _headers(grid: Grid) -> list[dict]:
    sort_pos = {k["field"]: (i, k["dir"]) for i, k in enumerate(grid.state.sort)}
    out = []
    for path, type_ in grid.columns:
        pos = sort_pos.get(path)
        toggled = replace(grid.state, sort=_sort_toggle(grid.state.sort, path))
        group, label = column_label(path, grid.joins)
        out.append(
            {
                "path": path,
                "group": group,
                "label": label,
                "type": type_,
                "href": grid.href(toggled),
                "dir": pos[1] if pos else "",
                "rank": pos[0] + 1 if pos and len(grid.state.sort) > 1 else None,
                "numeric": type_ == "number" or is_money_path(path),
            }
        )
    return out


def _filter_rows(grid: Grid) -> list[dict]:
    rows = []
    for row in grid.state.rows:
        type_ = grid.types.get(row.field, "string")
        custom = row.field not in grid.types  # a nested path set through the API
        placeholder = (
            "days"
            if row.op == "within"
            else "a, b, c"
            if row.op == "in"
            else "YYYY-MM-DD"
            if type_ == "datetime"
            else "amount, e.g. 19.99"
            if is_money_path(row.field)
            else "value"
        )
        rows.append(
            {
                "row": row,
                "type": type_,
                "ops": ops_for(type_),
                "custom": custom,
                "placeholder": placeholder,
            }
        )
    return rows


def _summary(grid: Grid) -> list[str]:
    """Readable chips for the active conditions, e.g. 'amount ≥ 250'."""
    chips, groups = [], {}
    for row in grid.state.rows:
        type_ = grid.types.get(row.field, "string")
        name = column_title(row.field, grid.joins)
        text = f"{name} {op_label(type_, row.op)}"
        if row.op == "within":
            text = f"{name} within the last {row.value} days"
        elif row.op == "between":
            text += f" {row.value} and {row.value2}"
        elif row.op not in NO_VALUE:
            text += f" {row.value}"
        if row.group:
            groups.setdefault(row.group, []).append(text)
        else:
            chips.append(text)
    chips += [" or ".join(texts) for _, texts in sorted(groups.items())]
    chips += ["1 more condition (from the API)"] * len(grid.state.extra)
    return chips


@login_required
@require_GET
def view_detail(request, view_id: str):
    view = _view(request, view_id)
    grid = Grid(request, view)
    cursor = request.GET.get("cursor") or None
    back = request.GET.getlist("back")
    error, result = None, {"data": [], "next_cursor": None, "total": None}
    try:
        extra = {"limit": PAGE_SIZE, "count": True}
        if cursor:
            extra["cursor"] = cursor
        spec = selectors.query_spec(
            filter=grid.state.filter(grid.types), sort=grid.state.sort, q=grid.state.q, **extra
        )
        result = selectors.records_page(team=view.team, model=view.model, spec=spec)
    except GatherError as exc:
        error = exc.message
    q = grid.state.q
    link_fields = {s.record_field: s for s in joins_for_model(view.model) if s.kind == "link"}
    views_for = selectors.views_by_model(team=view.team) if link_fields else {}

    def link_cell(r, path, type_):
        """A link field shows the linked record's name (or ID), linking to its page."""
        c = cell(r, path, type_, q)
        spec = link_fields.get(path)
        if spec is not None and isinstance(linked := r.get(spec.name), dict):
            name = linked.get("name")
            c["html"] = highlight(name if isinstance(name, str) and name else c["title"], q)
            if target := views_for.get(spec.target):
                c["href"] = _record_href(target, r["data"].get(spec.record_field))
        return c

    state_qs = urlencode(grid.state.params())
    record_qs = f"?{grid.query()}" if grid.dirty else ""
    rows = [
        {
            "href": f"/views/{view.public_id}/records/{quote(str(r['id']), safe='')}{record_qs}",
            "id": r["id"],
            "cells": [link_cell(r, path, type_) for path, type_ in grid.columns],
        }
        for r in result["data"]
    ]
    page = len(back) + 1  # back: the cursors of the pages before ("" = the first)
    first = (page - 1) * PAGE_SIZE + 1
    nav = {
        "page": page,
        "first": first if rows else 0,
        "last": first + len(rows) - 1,
        "total": result.get("total"),
        "total_text": f"{result['total']:,}" if result.get("total") is not None else "",
        "first_text": f"{first:,}",
        "last_text": f"{first + len(rows) - 1:,}",
        "next": grid.href(cursor=result["next_cursor"], **_back(back + [cursor or ""]))
        if result["next_cursor"]
        else None,
        "prev": grid.href(cursor=back[-1] if back else None, **_back(back[:-1]))
        if cursor
        else None,
    }
    visible = [p for p, _ in grid.columns]
    hidden = [(p, t) for p, t in grid.available if p not in visible]
    next_group = max([r.group for r in grid.state.rows] + [0]) + 1
    context = {
        "view": view,
        "grid": grid,
        "headers": _headers(grid),
        "rows": rows,
        "nav": nav,
        "error": error,
        "q": q,
        "filter_rows": _filter_rows(grid),
        "groups": sorted({r.group for r in grid.state.rows if r.group}),
        "next_group": next_group,
        "summary": _summary(grid),
        "fx": orjson.dumps(grid.state.extra).decode() if grid.state.extra else "",
        "column_menu": [(p, column_title(p, grid.joins), t, True) for p, t in grid.columns]
        + [(p, column_title(p, grid.joins), t, False) for p, t in hidden],
        "all_fields": grid.available,
        "field_options": [
            {"path": p, "type": t, "label": column_title(p, grid.joins), "money": is_money_path(p)}
            for p, t in grid.available
        ],
        "sort_param": grid.state.sort_param(),
        "state_qs": state_qs,
        "export_href": f"/views/{view.public_id}/export.csv"
        + (f"?{grid.query()}" if grid.dirty else ""),
        "ops_by_type": list(OPS_BY_TYPE.items()),
        "no_value": sorted(NO_VALUE),
        "two_values": sorted(TWO_VALUES),
        "blank_row": Row("", ""),
        "blank_group_row": Row("", "", group=next_group),
        "ops_json": {
            "ops": {t: ops for t, ops in OPS_BY_TYPE.items()},
            "noValue": sorted(NO_VALUE),
            "twoValues": sorted(TWO_VALUES),
        },
    }
    return render(request, "views/grid.html", context)


def _when(value) -> str | None:
    """A timestamp as people read it (the stored value stays beside it)."""
    text = datetime_text(value)
    return f"{text} UTC" if text else None


def _back(back: list[str]) -> dict:
    return {"back": back} if back else {}


@login_required
@require_POST
def view_save(request, view_id: str):
    """Store the state carried by the query string (the grid's current URL) in the view."""
    view = _view(request, view_id)
    grid = Grid(request, view)
    state = grid.state
    columns = [] if state.columns == grid.all_paths else state.columns
    try:
        services.view_update(
            team=view.team,
            view=view,
            filter=state.filter(grid.types),
            sort=state.sort,
            q=state.q,
            columns=columns,
        )
    except GatherError as exc:
        messages.error(request, f"Not saved: {exc.message}")
        return redirect(grid.href())
    messages.success(request, f"Saved “{view.name}”.")
    return redirect("view_detail", view_id=view.public_id)


@login_required
@require_POST
def view_rename(request, view_id: str):
    view = _view(request, view_id)
    try:
        services.view_update(team=view.team, view=view, name=request.POST.get("name", ""))
    except GatherError as exc:
        messages.error(request, exc.message)
    return redirect("view_detail", view_id=view.public_id)


@login_required
@require_POST
def view_delete(request, view_id: str):
    view = _view(request, view_id)
    services.view_delete(team=view.team, view=view)
    messages.success(request, f"Deleted the view “{view.name}”.")
    return redirect("views")


@login_required
@require_GET
def view_export(request, view_id: str):
    """CSV of exactly what the grid shows: its columns, filters, sort and search, all pages."""
    view = _view(request, view_id)
    grid = Grid(request, view)
    try:
        spec = selectors.query_spec(
            filter=grid.state.filter(grid.types), sort=grid.state.sort, q=grid.state.q
        )
        columns = [p for p, _ in grid.columns]
        # Runs the first page now: a query that does not compile is reported here, not
        # by a download that stops after its first bytes.
        content = view_csv(team=view.team, model=view.model, spec=spec, columns=columns)
    except GatherError as exc:
        messages.error(request, f"Export failed: {exc.message}")
        return redirect(grid.href())
    response = StreamingHttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{csv_filename(view.name)}"'
    return response


def _record_href(view, key) -> str:
    return f"/views/{view.public_id}/records/{quote(str(key), safe='')}"


@login_required
@require_GET
def view_record(request, view_id: str, key: str):
    """One record with every field, nested values readable, and its joined data."""
    view = _view(request, view_id)
    try:
        record = records.record_get(team=view.team, model=view.model, key=key)
    except GatherError:
        raise Http404("No such record.") from None
    grid = Grid(request, view)
    q = grid.state.q
    views_for = selectors.views_by_model(team=view.team)
    links = {s.name: s for s in joins_for_model(view.model) if s.kind == "link"}
    joined = []
    for name, value in record.items():
        if name in ("id", "data", "created_at", "updated_at"):
            continue
        if name == "stripe_customer" and isinstance(value, dict):
            joined.append(stripe_customer_card(value, q))
            continue
        items = []
        if isinstance(value, dict):
            for k, v in value.items():
                if k.startswith("amount"):
                    shown = money(v, value.get("currency"))
                elif grid.types.get(f"{name}.{k}") == "datetime":
                    shown = _when(v)
                else:
                    shown = None
                items.append((k, shown, render_tree(v, q)))
        href = None
        if (spec := links.get(name)) and value and (target := views_for.get(spec.target)):
            href = _record_href(target, record["data"].get(spec.record_field))
        label = grid.joins.get(name, name.replace("_", " ").capitalize())
        joined.append({"name": name, "label": label, "items": items, "href": href})
    related = []
    for entry in record_related(team=view.team, model=view.model, key=record["id"]):
        target = views_for.get(entry["model"])
        params = {"edit": "1", "ff": entry["field"], "fo": "eq", "fv": record["id"]}
        entry["all_href"] = f"/views/{target.public_id}?{urlencode(params)}" if target else None
        entry["items"] = [
            (r["id"], _record_href(target, r["id"]) if target else None) for r in entry["records"]
        ]
        related.append(entry)
    fields = [
        (k, _when(v) if grid.types.get(k) == "datetime" else None, render_tree(v, q))
        for k, v in record["data"].items()
    ]
    history = change_selectors.record_history(
        team=view.team, model_ref=view.model.public_id, key=record["id"], limit=HISTORY_SHOWN
    )
    return render(
        request,
        "views/record.html",
        {
            "view": view,
            "record": record,
            "fields": fields,
            "joined": joined,
            "related": related,
            "back_href": grid.href(),
            "raw": pretty_json(record),
            "created": datetime_text(record["created_at"]),
            "updated": datetime_text(record["updated_at"]),
            "history": [_history_entry(c) for c in history["data"]],
            "history_more": history["next_cursor"] is not None,
        },
    )


HISTORY_SHOWN = 50
SOURCE_LABELS = {"api_key": "API key", "integration": "Integration"}


def _shown_value(value) -> str:
    """A changed value as one short line of JSON (text as is, "—" for none)."""
    if value is None:
        return "—"
    text = value if isinstance(value, str) else orjson.dumps(value).decode()
    return text if len(text) <= 120 else text[:119] + "…"


def _history_entry(change: dict) -> dict:
    kind, ident = change["source"]["kind"], change["source"]["id"]
    who = {"user": ident, "system": "System"}.get(kind, f"{SOURCE_LABELS.get(kind, kind)} {ident}")
    return {
        "id": change["id"],
        "verb": {"record.created": "Created", "record.deleted": "Deleted"}.get(
            change["type"], "Updated"
        ),
        "who": who,
        "at": change["at"],
        "when": _when(change["at"]),
        "changes": [
            (name, _shown_value(c["from"]), _shown_value(c["to"]))
            for name, c in sorted(change["changed"].items())
        ],
    }
