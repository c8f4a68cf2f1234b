import csv
import io
from urllib.parse import urlencode

import pytest
from django.test import Client

from gather.views.models import SavedView
from gather.views.services import view_create
from tests.factories import make_user


@pytest.fixture
def client_in(team):
    client = Client()
    client.force_login(make_user(team))
    return client


@pytest.fixture
def other_client(other_team):
    client = Client()
    client.force_login(make_user(other_team))
    return client


@pytest.fixture
def view(team, orders_with_records):
    return view_create(team=team, name="Orders", model=orders_with_records)


def grid_ids(html: str) -> list[str]:
    """The record IDs of the grid's rows, in order (first cell links to the record)."""
    import re

    return re.findall(r'<tr data-href="/views/[^/]+/records/([^"?]+)', html)


def test_views_page_needs_sign_in(db):
    resp = Client().get("/views")
    assert resp.status_code == 302
    assert resp["Location"].startswith("/login")


def test_views_page_lists_views_and_models(client_in, view):
    html = client_in.get("/views").content.decode()
    assert "Orders" in html
    assert f'href="/views/{view.public_id}"' in html
    assert "Add View" in html
    assert f'value="{view.model.public_id}"' in html


def test_add_view_creates_and_opens_it(client_in, orders_with_records):
    resp = client_in.post("/views", {"name": "Paid", "model": orders_with_records.public_id})
    assert resp.status_code == 302
    view = SavedView.objects.get(name="Paid")
    assert resp["Location"] == f"/views/{view.public_id}"


def test_add_view_without_name_shows_the_error(client_in, orders_with_records):
    resp = client_in.post("/views", {"name": "", "model": orders_with_records.public_id})
    assert resp.status_code == 400
    assert "A view needs a name." in resp.content.decode()


def test_grid_shows_every_column_id_first_and_all_records(client_in, view):
    html = client_in.get(f"/views/{view.public_id}").content.decode()
    heads = [
        h for h in ("id", "amount", "status", "customer", "meta") if f'data-path="{h}"' in html
    ]
    assert heads == ["id", "amount", "status", "customer", "meta"]
    assert html.index('data-path="id"') < html.index('data-path="amount"')
    assert sorted(grid_ids(html)) == ["1001", "1002", "1003", "1004", "1005"]
    assert '<strong class="total">5</strong>' in html


def test_grid_filters_from_the_url_rows(client_in, view):
    query = urlencode(
        [("edit", "1"), ("ff", "amount"), ("fo", "gte"), ("fv", "250"), ("fv2", ""), ("fg", "0"),
         ("sort", "-amount")]
    )  # fmt: skip
    html = client_in.get(f"/views/{view.public_id}?{query}").content.decode()
    assert grid_ids(html) == ["1003", "1005", "1002"]
    assert "Unsaved changes" in html
    assert "amount ≥ 250" in html


def test_grid_or_group_and_between(client_in, view):
    query = urlencode(
        [("edit", "1"),
         ("ff", "amount"), ("fo", "between"), ("fv", "10"), ("fv2", "600"), ("fg", "0"),
         ("ff", "status"), ("fo", "eq"), ("fv", "failed"), ("fv2", ""), ("fg", "1"),
         ("ff", "customer"), ("fo", "contains"), ("fv", "ada"), ("fv2", ""), ("fg", "1"),
         ("sort", "amount")]
    )  # fmt: skip
    html = client_in.get(f"/views/{view.public_id}?{query}").content.decode()
    assert grid_ids(html) == ["1004", "1001"]


def test_grid_search_highlights_matches(client_in, view):
    html = client_in.get(f"/views/{view.public_id}?edit=1&q=LOVE").content.decode()
    assert grid_ids(html) == ["1001"]
    assert "Ada <mark>Love</mark>lace" in html


def test_grid_shows_an_invalid_filter_as_a_message(client_in, view):
    query = urlencode([("edit", "1"), ("ff", "amount"), ("fo", "gt"), ("fv", "lots"), ("fg", "0")])
    resp = client_in.get(f"/views/{view.public_id}?{query}")
    assert resp.status_code == 200
    assert 'class="error-banner"' in resp.content.decode()


def test_grid_pages_with_next_and_previous(client_in, team, orders):
    from gather.records.services import record_upsert

    for i in range(60):
        record_upsert(team=team, model=orders, payload={"id": f"r{i:02d}", "n": i})
    view = view_create(team=team, name="All", model=orders, sort=[{"field": "n", "dir": "asc"}])
    first = client_in.get(f"/views/{view.public_id}")
    html = first.content.decode()
    assert grid_ids(html)[:2] == ["r00", "r01"]
    assert len(grid_ids(html)) == 50
    assert "1–50" in html
    assert '<strong class="total">60</strong>' in html
    next_href = first.context["nav"]["next"]
    second = client_in.get(next_href)
    assert grid_ids(second.content.decode()) == [f"r{i}" for i in range(50, 60)]
    assert "51–60" in second.content.decode()
    assert second.context["nav"]["next"] is None
    back = client_in.get(second.context["nav"]["prev"])
    assert grid_ids(back.content.decode())[0] == "r00"


def test_save_stores_the_url_state_in_the_view(client_in, view):
    state = urlencode(
        [("edit", "1"), ("q", "a"), ("ff", "status"), ("fo", "eq"), ("fv", "paid"), ("fv2", ""),
         ("fg", "0"), ("ff", "amount"), ("fo", "within"), ("fv", ""), ("fv2", ""), ("fg", "0"),
         ("sort", "-amount,id"), ("col", "customer"), ("col", "id")]
    )  # fmt: skip
    resp = client_in.post(f"/views/{view.public_id}/save?{state}")
    assert resp.status_code == 302
    view.refresh_from_db()
    assert view.filter == [{"field": "status", "op": "eq", "value": "paid"}]
    assert view.sort == [{"field": "amount", "dir": "desc"}, {"field": "id", "dir": "asc"}]
    assert view.q == "a"
    assert view.columns == ["customer", "id"]
    html = client_in.get(f"/views/{view.public_id}").content.decode()
    assert "Unsaved changes" not in html
    assert grid_ids(html) == ["1005", "1002", "1001"]
    assert html.index('data-path="customer"') < html.index('data-path="id"')
    assert 'data-path="amount"' in html  # hidden columns stay in the column menu
    assert html.count("<th data-path=") == 2


def test_export_csv_is_exactly_the_grid_state(client_in, view):
    state = urlencode(
        [("edit", "1"), ("ff", "status"), ("fo", "eq"), ("fv", "paid"), ("fg", "0"),
         ("sort", "-amount"), ("col", "id"), ("col", "amount"), ("col", "meta")]
    )  # fmt: skip
    resp = client_in.get(f"/views/{view.public_id}/export.csv?{state}")
    assert resp.status_code == 200
    text = b"".join(resp.streaming_content).decode()
    assert list(csv.reader(io.StringIO(text))) == [
        ["id", "amount", "meta"],
        ["1005", "500", ""],
        ["1002", "250", '{"plan":"free"}'],
        ["1001", "75", '{"plan":"pro"}'],
    ]


def test_record_page_shows_every_field_nested_readable(client_in, view):
    resp = client_in.get(f"/views/{view.public_id}/records/1001")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "Ada Lovelace" in html
    assert '<dl class="tree"><dt>plan</dt><dd>pro</dd></dl>' in html


def test_record_page_unknown_record_is_404(client_in, view):
    assert client_in.get(f"/views/{view.public_id}/records/nope").status_code == 404


@pytest.mark.parametrize(
    "path",
    ["", "/export.csv", "/records/1001"],
)
def test_view_pages_other_team_gets_404(other_client, view, path):
    assert other_client.get(f"/views/{view.public_id}{path}").status_code == 404


@pytest.mark.parametrize("action", ["save", "rename", "delete"])
def test_view_actions_other_team_gets_404(other_client, view, action):
    resp = other_client.post(f"/views/{view.public_id}/{action}", {"name": "mine"})
    assert resp.status_code == 404
    view.refresh_from_db()
    assert view.name == "Orders"


def test_views_page_does_not_list_other_teams_views(other_client, view):
    assert view.public_id not in other_client.get("/views").content.decode()


def test_add_view_with_other_teams_model_fails(other_client, orders_with_records):
    resp = other_client.post("/views", {"name": "x", "model": orders_with_records.public_id})
    assert resp.status_code == 400
    assert not SavedView.objects.filter(name="x").exists()


def test_rename_and_delete(client_in, view):
    client_in.post(f"/views/{view.public_id}/rename", {"name": "Renamed"})
    view.refresh_from_db()
    assert view.name == "Renamed"
    resp = client_in.post(f"/views/{view.public_id}/delete")
    assert resp["Location"] == "/views"
    assert not SavedView.objects.filter(pk=view.pk).exists()


def test_grid_datetime_within_days_and_boolean_is_true(client_in, team, orders):
    from datetime import UTC, datetime, timedelta

    from gather.records.services import record_upsert

    now = datetime.now(UTC)
    for key, days, vip in (("recent", 2, True), ("older", 20, True), ("recent-not-vip", 1, False)):
        stamp = (now - timedelta(days=days)).isoformat(timespec="seconds").replace("+00:00", "Z")
        record_upsert(team=team, model=orders, payload={"id": key, "seen": stamp, "vip": vip})
    view = view_create(team=team, name="Recent VIPs", model=orders)
    query = urlencode(
        [("edit", "1"), ("ff", "seen"), ("fo", "within"), ("fv", "7"), ("fg", "0"),
         ("ff", "vip"), ("fo", "true"), ("fv", ""), ("fg", "0")]
    )  # fmt: skip
    resp = client_in.get(f"/views/{view.public_id}?{query}")
    html = resp.content.decode()
    assert grid_ids(html) == ["recent"]
    assert "seen within the last 7 days" in html
    assert "vip is true" in html
    client_in.post(f"/views/{view.public_id}/save?{query}")
    view.refresh_from_db()
    assert view.filter == [
        {"field": "seen", "op": "within_days", "value": 7},
        {"field": "vip", "op": "eq", "value": True},
    ]
    assert grid_ids(client_in.get(f"/views/{view.public_id}").content.decode()) == ["recent"]


def test_grid_keeps_nested_path_conditions_set_through_the_api(
    client_in, team, orders_with_records
):
    view = view_create(
        team=team,
        name="Pro plans",
        model=orders_with_records,
        filter=[{"field": "meta.plan", "op": "eq", "value": "pro"}],
        sort=[{"field": "meta.plan", "dir": "asc"}],
    )
    html = client_in.get(f"/views/{view.public_id}").content.decode()
    assert grid_ids(html) == ["1001"]
    assert '<option value="meta.plan" data-type="string" selected>' in html
    resp = client_in.get(
        f"/views/{view.public_id}?edit=1&ff=meta.plan&fo=eq&fv=pro&fg=0&sort=meta.plan"
    )
    assert resp.context["grid"].dirty is False


def test_grid_of_an_empty_model_says_so(client_in, team, orders):
    view = view_create(team=team, name="Nothing yet", model=orders)
    resp = client_in.get(f"/views/{view.public_id}")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "No records yet. Push some through the records API." in html
    assert 'data-path="id"' in html
