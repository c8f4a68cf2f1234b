import pytest


@pytest.fixture
def loaded(api, orders):
    url = f"/api/models/{orders.public_id}/records"
    rows = [
        "id=1&amount=9&status=paid&email=a@x.com&created=2026-01-05&meta[plan]=pro",
        "id=2&amount=75&status=failed&email=b@x.com&created=2026-02-01&meta[plan]=team",
        "id=3&amount=100&status=paid&email=c@y.com&created=2026-03-10",
        "id=4&status=PAID&email=&created=not a date",
    ]
    for body in rows:
        assert api.post(url, data=body).status_code == 201
    return url


def ids(resp):
    assert resp.status_code == 200, resp.content
    return [r["id"] for r in resp.json()["data"]]


def test_record_list_sorts_text_numbers_as_numbers(api, loaded):
    assert ids(api.get(loaded, {"sort": "amount"})) == ["1", "2", "3", "4"]
    assert ids(api.get(loaded, {"sort": "-amount"})) == ["3", "2", "1", "4"]


def test_record_list_default_order_is_newest_first(api, loaded):
    assert ids(api.get(loaded)) == ["4", "3", "2", "1"]


def test_record_list_filters_by_type(api, loaded):
    assert ids(api.get(loaded, {"filter[amount][gt]": "9", "sort": "amount"})) == ["2", "3"]
    assert ids(api.get(loaded, {"filter[status]": "paid", "sort": "id"})) == ["1", "3"]
    assert ids(api.get(loaded, {"filter[status][contains]": "PAI", "sort": "id"})) == [
        "1", "3", "4",
    ]  # fmt: skip
    assert ids(api.get(loaded, {"filter[status][ne]": "paid", "sort": "id"})) == ["2", "4"]
    assert ids(api.get(loaded, {"filter[email][empty]": "true"})) == ["4"]
    assert ids(api.get(loaded, {"filter[created][lt]": "2026-02-15", "sort": "id"})) == [
        "1", "2",
    ]  # fmt: skip
    assert ids(api.get(loaded, {"filter[meta.plan][in]": "pro,team", "sort": "id"})) == [
        "1", "2",
    ]  # fmt: skip
    assert ids(api.get(loaded, {"filter[amount][between]": "10,100", "sort": "id"})) == [
        "2", "3",
    ]  # fmt: skip


def test_record_list_search_matches_values_not_keys(api, loaded):
    assert ids(api.get(loaded, {"q": "Y.COM"})) == ["3"]
    assert ids(api.get(loaded, {"q": "status"})) == []


def test_record_list_count_and_cursor_pages_cover_everything_once(api, loaded):
    seen, cursor = [], None
    while True:
        params = {"sort": "-amount", "limit": 1, "count": "true"}
        if cursor:
            params["cursor"] = cursor
        body = api.get(loaded, params).json()
        assert body["total"] == 4
        seen += [r["id"] for r in body["data"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == ["3", "2", "1", "4"]


def test_record_query_or_groups(api, loaded):
    body = {
        "filter": [
            {
                "or": [
                    {"field": "amount", "op": "lt", "value": 10},
                    {"field": "status", "value": "failed"},
                ]
            }
        ],
        "sort": [{"field": "amount", "dir": "desc"}],
    }
    assert ids(api.post(loaded + "/query", json=body)) == ["2", "1"]


@pytest.mark.parametrize(
    "params, field",
    [
        ({"filter[amount][gt]": "abc"}, "filter[amount][gt]"),
        ({"filter[amount][bogus]": "1"}, "filter[amount][bogus]"),
        ({"filter[nope]": "1"}, "filter[nope][eq]"),
        ({"sort": "nope"}, "sort"),
        ({"cursor": "!!!"}, "cursor"),
        ({"limit": "501"}, "limit"),
        ({"filter[a'); DROP TABLE gather_record;--]": "1"}, None),
        ({'filter[x"y]': "1"}, None),
    ],
)
def test_record_list_bad_queries_get_400_naming_the_part(api, loaded, params, field):
    resp = api.get(loaded, params)
    assert resp.status_code == 400, resp.content
    err = resp.json()["error"]
    if field:
        assert err["field"] == field
    assert api.get(loaded).status_code == 200  # nothing was dropped


def test_record_list_hostile_field_names_are_data(api, orders):
    url = f"/api/models/{orders.public_id}/records"
    name = "a'); DROP TABLE gather_record;--"
    assert api.post(url, json={"id": "1", name: "x%_y", "ü": 1}).status_code == 201
    assert api.post(url, json={"id": "2", name: "xzzy", "ü": 2}).status_code == 201
    assert ids(api.get(url, {f"filter[{name}][contains]": "%_"})) == ["1"]
    assert ids(api.get(url, {"sort": "-ü"})) == ["2", "1"]


def test_record_list_other_team_gets_404(other_api, loaded):
    assert other_api.get(loaded).status_code == 404
    assert other_api.post(loaded + "/query", json={}).status_code == 404


def test_list_timestamps_read_exactly_as_the_single_record_shows_them(api, loaded, orders):
    from datetime import UTC, datetime

    from gather.records.models import Record

    # One record stamped on a whole second (isoformat then has no fraction), one with a
    # fraction ending in zeros.
    Record.objects.filter(model=orders, key="2").update(
        created_at=datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC),
        updated_at=datetime(2026, 3, 1, 12, 0, 5, 120000, tzinfo=UTC),
    )
    listed = {r["id"]: r for r in api.get(loaded).json()["data"]}
    assert listed["2"]["created_at"] == "2026-03-01T12:00:00Z"
    assert listed["2"]["updated_at"] == "2026-03-01T12:00:05.120000Z"
    for key, row in listed.items():
        one = api.get(f"{loaded}/{key}").json()
        assert (row["created_at"], row["updated_at"]) == (one["created_at"], one["updated_at"])
        datetime.fromisoformat(row["created_at"].replace("Z", "+00:00"))  # RFC 3339
