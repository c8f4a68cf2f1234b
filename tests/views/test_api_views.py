import csv
import io

import pytest

from gather.views.models import SavedView


def create(api, model, **body):
    resp = api.post("/api/views", json={"name": "Big orders", "model": model.public_id, **body})
    assert resp.status_code == 201, resp.content
    return resp.json()


def csv_rows(resp) -> list[list[str]]:
    assert resp["Content-Type"].startswith("text/csv")
    text = b"".join(resp.streaming_content).decode()
    return list(csv.reader(io.StringIO(text)))


def test_view_create_returns_the_view(api, orders_with_records):
    view = create(
        api,
        orders_with_records,
        filter=[{"field": "amount", "op": "gte", "value": 250}],
        sort=[{"field": "amount", "dir": "desc"}],
        columns=["id", "amount"],
    )
    assert view["id"].startswith("view_")
    assert view["name"] == "Big orders"
    assert view["model"] == orders_with_records.public_id
    assert view["filter"] == [{"field": "amount", "op": "gte", "value": 250}]
    assert view["sort"] == [{"field": "amount", "dir": "desc"}]
    assert view["columns"] == ["id", "amount"]
    assert view["q"] is None
    assert api.get(f"/api/views/{view['id']}").json() == view


def test_view_create_by_model_slug(api, orders_with_records):
    resp = api.post("/api/views", json={"name": "All", "model": orders_with_records.slug})
    assert resp.status_code == 201
    assert resp.json()["model"] == orders_with_records.public_id


def test_view_create_needs_a_name(api, orders):
    resp = api.post("/api/views", json={"name": "  ", "model": orders.public_id})
    assert resp.status_code == 400
    assert resp.json()["error"] == {
        "code": "invalid",
        "message": "A view needs a name.",
        "field": "name",
    }


def test_view_create_unknown_model_is_404(api):
    resp = api.post("/api/views", json={"name": "x", "model": "mdl_nope"})
    assert resp.status_code == 404
    assert resp.json()["error"]["code"] == "model_not_found"


def test_view_create_rejects_unknown_operator_naming_it(api, orders):
    resp = api.post(
        "/api/views",
        json={"name": "x", "model": orders.public_id, "filter": [{"field": "a", "op": "like"}]},
    )
    assert resp.status_code == 400
    assert resp.json()["error"]["field"] == "filter[0].op"


def test_view_create_rejects_unknown_column(api, orders_with_records):
    resp = api.post(
        "/api/views",
        json={"name": "x", "model": orders_with_records.public_id, "columns": ["id", "nope"]},
    )
    assert resp.status_code == 400
    assert resp.json()["error"]["field"] == "columns[1]"


def test_view_create_rejects_unexpected_keys(api, orders):
    resp = api.post("/api/views", json={"name": "x", "model": orders.public_id, "colour": 1})
    assert resp.status_code == 422
    assert resp.json()["error"]["code"] == "validation_failed"


def test_view_list_shows_only_the_teams_views(api, other_api, orders_with_records):
    create(api, orders_with_records)
    assert [v["name"] for v in api.get("/api/views").json()["data"]] == ["Big orders"]
    assert other_api.get("/api/views").json()["data"] == []


def test_view_update_changes_only_given_parts(api, orders_with_records):
    view = create(
        api, orders_with_records, filter=[{"field": "status", "op": "eq", "value": "paid"}]
    )
    resp = api.patch(f"/api/views/{view['id']}", json={"name": "Paid", "q": "ada"})
    assert resp.status_code == 200
    body = resp.json()
    assert body["name"] == "Paid"
    assert body["q"] == "ada"
    assert body["filter"] == view["filter"]


def test_view_delete_removes_it(api, orders_with_records):
    view = create(api, orders_with_records)
    assert api.delete(f"/api/views/{view['id']}").status_code == 204
    resp = api.get(f"/api/views/{view['id']}")
    assert resp.status_code == 404
    assert resp.json()["error"]["code"] == "view_not_found"


def test_view_records_apply_the_saved_filter_and_sort(api, orders_with_records):
    view = create(
        api,
        orders_with_records,
        filter=[{"field": "amount", "op": "gte", "value": 250}],
        sort=[{"field": "amount", "dir": "desc"}],
    )
    resp = api.get(f"/api/views/{view['id']}/records", {"count": "true"})
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert [r["id"] for r in body["data"]] == ["1003", "1005", "1002"]
    assert body["total"] == 3


def test_view_records_and_the_query_string_filter(api, orders_with_records):
    view = create(api, orders_with_records, filter=[{"field": "amount", "op": "gte", "value": 250}])
    resp = api.get(f"/api/views/{view['id']}/records", {"filter[status]": "paid", "sort": "amount"})
    assert [r["id"] for r in resp.json()["data"]] == ["1002", "1005"]


def test_view_records_or_group(api, orders_with_records):
    view = create(
        api,
        orders_with_records,
        filter=[
            {"or": [{"field": "status", "op": "eq", "value": "failed"},
                    {"field": "amount", "op": "gt", "value": 900}]}
        ],
        sort=[{"field": "amount", "dir": "asc"}],
    )  # fmt: skip
    resp = api.get(f"/api/views/{view['id']}/records")
    assert [r["id"] for r in resp.json()["data"]] == ["1004", "1003"]


def test_view_records_between_is_inclusive(api, orders_with_records):
    view = create(
        api,
        orders_with_records,
        filter=[{"field": "amount", "op": "between", "value": [75, 500]}],
        sort=[{"field": "amount", "dir": "asc"}],
    )
    resp = api.get(f"/api/views/{view['id']}/records")
    assert [r["id"] for r in resp.json()["data"]] == ["1001", "1002", "1005"]


def test_view_records_paginate_with_cursor(api, orders_with_records):
    view = create(api, orders_with_records, sort=[{"field": "amount", "dir": "asc"}])
    first = api.get(f"/api/views/{view['id']}/records", {"limit": "2"}).json()
    assert [r["id"] for r in first["data"]] == ["1004", "1001"]
    second = api.get(
        f"/api/views/{view['id']}/records", {"limit": "2", "cursor": first["next_cursor"]}
    ).json()
    assert [r["id"] for r in second["data"]] == ["1002", "1005"]


def test_view_records_bad_query_string_is_400_naming_the_part(api, orders_with_records):
    view = create(api, orders_with_records)
    resp = api.get(f"/api/views/{view['id']}/records", {"filter[amount][gte]": "lots"})
    assert resp.status_code == 400
    assert resp.json()["error"]["field"]


def test_view_export_csv_has_columns_and_all_matching_rows(api, orders_with_records):
    view = create(
        api,
        orders_with_records,
        filter=[{"field": "status", "op": "eq", "value": "paid"}],
        sort=[{"field": "amount", "dir": "asc"}],
        columns=["id", "amount", "meta"],
    )
    resp = api.get(f"/api/views/{view['id']}/export.csv")
    assert resp.status_code == 200
    assert resp["Content-Disposition"] == 'attachment; filename="big-orders.csv"'
    assert csv_rows(resp) == [
        ["id", "amount", "meta"],
        ["1001", "75", '{"plan":"pro"}'],
        ["1002", "250", '{"plan":"free"}'],
        ["1005", "500", ""],
    ]


def test_view_export_csv_applies_query_string_state(api, orders_with_records):
    view = create(api, orders_with_records, columns=["id", "customer"])
    resp = api.get(f"/api/views/{view['id']}/export.csv", {"q": "LOVE", "sort": "-amount"})
    assert csv_rows(resp) == [["id", "customer"], ["1001", "Ada Lovelace"]]


def test_view_export_csv_streams_every_page_in_order(api, team, orders):
    from gather.records.services import record_upsert_batch
    from gather.views.export import view_csv
    from gather.views.selectors import query_spec

    items = [{"id": f"r{i:05d}", "n": i} for i in range(1205)]
    record_upsert_batch(team=team, model=orders, items=items)
    view = create(api, orders, sort=[{"field": "n", "dir": "desc"}])
    resp = api.get(f"/api/views/{view['id']}/export.csv")
    assert resp.streaming
    rows = csv_rows(resp)
    assert rows[0] == ["id", "n"]
    assert len(rows) == 1206
    assert rows[1] == ["r01204", "1204"]
    assert rows[-1] == ["r00000", "0"]
    # the same export in keyset pages of 500: three pages, no row lost or repeated
    spec = query_spec(filter=[], sort=[{"field": "n", "dir": "desc"}], q=None)
    pieces = list(
        view_csv(team=team, model=orders, spec=spec, columns=["id", "n"], batch=500, chunk=1000)
    )
    expected = "id,n\r\n" + "".join(f"r{i:05d},{i}\r\n" for i in range(1204, -1, -1))
    assert "".join(pieces) == expected
    # handed out in pieces of at least 1,000 characters (the last one: what is left)
    assert len(pieces) > 10 and all(1000 <= len(p) < 1000 + 20 for p in pieces[:-1])


ENDPOINTS = [
    ("get", ""),
    ("patch", ""),
    ("delete", ""),
    ("get", "/records"),
    ("get", "/export.csv"),
]


@pytest.mark.parametrize(("method", "suffix"), ENDPOINTS)
def test_view_api_other_team_gets_404(api, other_api, orders_with_records, method, suffix):
    view = create(api, orders_with_records)
    url = f"/api/views/{view['id']}{suffix}"
    if method == "patch":
        resp = other_api.patch(url, json={"name": "mine now"})
    else:
        resp = getattr(other_api, method)(url)
    assert resp.status_code == 404
    assert resp.json()["error"]["code"] == "view_not_found"
    assert SavedView.objects.get(public_id=view["id"]).name == "Big orders"


def test_view_create_with_other_teams_model_is_404(other_api, orders):
    resp = other_api.post("/api/views", json={"name": "x", "model": orders.public_id})
    assert resp.status_code == 404
    assert resp.json()["error"]["code"] == "model_not_found"


@pytest.mark.parametrize("suffix", ["", "/records", "/export.csv"])
def test_view_api_without_key_is_401(api, orders_with_records, suffix):
    from django.test import Client

    view = create(api, orders_with_records)
    resp = Client().get(f"/api/views/{view['id']}{suffix}")
    assert resp.status_code == 401
    assert resp.json()["error"]["code"] == "unauthorized"
