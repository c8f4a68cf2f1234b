"""The views walkthrough in a real Chromium: add a view, filter, sort, search, save,
reload, export — asserting what is on the screen."""

import csv
import io
import os
import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from tests.factories import make_key, make_model, make_team, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery"
SHOTS = os.environ.get("GATHER_SCREENSHOTS")
ORDERS = [
    {"id": "1001", "amount": "75", "status": "paid", "customer": "Ada Lovelace",
     "created": "2026-11-20T10:00:00Z", "meta[plan]": "pro"},
    {"id": "1002", "amount": "250", "status": "paid", "customer": "Alan Turing",
     "created": "2026-11-21T11:30:00Z", "meta[plan]": "free"},
    {"id": "1003", "amount": "990", "status": "refunded", "customer": "Grace Hopper",
     "created": "2026-11-22T09:15:00Z"},
    {"id": "1004", "amount": "15", "status": "failed", "customer": "Edsger Dijkstra",
     "created": "2026-11-23T16:45:00Z"},
    {"id": "1005", "amount": "500", "status": "paid", "customer": "Barbara Liskov",
     "created": "2026-11-24T08:05:00Z"},
]  # fmt: skip


def shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def grid_ids(page) -> list[str]:
    return page.locator("table.grid tbody tr[data-href] td:first-child").all_inner_texts()


def wait_idle(page) -> None:
    # Not wait_for_function: it evaluates a string, which the pages' CSP forbids.
    page.locator("#view-root.loading").wait_for(state="detached")


@pytest.fixture
def signed_in(browser_page, live_server):
    team = make_team("Acme")
    user = make_user(team, email="cs@acme.test", password=PASSWORD)
    page = browser_page
    page.goto(f"{live_server.url}/login")
    page.fill("input[name=username]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url("**/views**")
    return page, team


def push_orders(base: str, team) -> str:
    model = make_model(team, "Orders", "id")
    key = make_key(team)
    with httpx.Client(base_url=base, headers={"Authorization": f"Token {key}"}) as http:
        for order in ORDERS:
            resp = http.post(f"/api/models/{model.public_id}/records", data=order)
            assert resp.status_code == 201, resp.text
    return model.public_id


def test_views_walkthrough(signed_in, live_server, tmp_path):
    page, team = signed_in
    base = live_server.url

    # Settings → Data models → Add New Model; Settings → Developer → API key.
    page.goto(f"{base}/settings/team/models")
    page.fill("#add-model input[name=name]", "Orders")
    page.fill("#add-model input[name=id_field]", "id")
    page.click("button:has-text('Add New Model')")
    page.wait_for_url("**/settings/team/models/mdl_*")
    model_id = page.url.rsplit("/", 1)[1]
    page.goto(f"{base}/settings/team/developer")
    page.fill("input[name=name]", "backend")
    page.click("button:has-text('Create API key')")
    key = page.locator("#new-key").inner_text()
    with httpx.Client(base_url=base, headers={"Authorization": f"Token {key}"}) as http:
        for order in ORDERS:
            resp = http.post(f"/api/models/{model_id}/records", data=order)
            assert resp.status_code == 201, resp.text

    # Add View: a name and the Orders model.
    page.goto(f"{live_server.url}/views")
    shot(page, "01-views-empty")
    page.fill("input[name=name]", "Paid orders")
    page.select_option("select[name=model]", label="Orders (5 records)")
    page.click("button:has-text('Add View')")
    page.wait_for_url("**/views/view_*")
    view_url = page.url
    assert page.locator("h1").inner_text() == "Paid orders"
    heads = page.locator("table.grid thead th").all_inner_texts()
    assert heads[0] == "id"
    assert set(heads) >= {"id", "amount", "status", "customer", "created", "meta"}
    assert sorted(grid_ids(page)) == ["1001", "1002", "1003", "1004", "1005"]
    assert page.locator(".pager .total").first.inner_text() == "5"
    shot(page, "02-grid")

    # Filter: status is paid.
    page.click("summary:has-text('Filter')")
    page.click("button:has-text('+ Add condition')")
    row = page.locator(".fgroup[data-group='0'] .frow").last
    row.locator("select[name=ff]").select_option("status")
    assert row.locator("select[name=fo] option").first.inner_text() == "is"
    row.locator("select[name=fo]").select_option(label="is")
    row.locator("input[name=fv]").fill("paid")
    shot(page, "03-filter-builder")
    page.click(".filter-panel button:has-text('Apply')")
    page.wait_for_url("**edit=1**")
    wait_idle(page)
    assert sorted(grid_ids(page)) == ["1001", "1002", "1005"]
    assert page.locator(".chip").all_inner_texts() == ["status is paid"]
    assert page.locator(".unsaved").is_visible()

    # Sort: click amount (ascending), click again (descending).
    page.click("th[data-path=amount] a")
    page.wait_for_url("**sort=amount**")
    wait_idle(page)
    assert grid_ids(page) == ["1001", "1002", "1005"]
    page.click("th[data-path=amount] a")
    page.wait_for_url("**sort=-amount**")
    wait_idle(page)
    assert grid_ids(page) == ["1005", "1002", "1001"]
    assert page.locator("th[data-path=amount]").get_attribute("aria-sort") == "descending"

    # Search: case-insensitive, highlighted.
    page.fill("input[name=q]", "TURING")
    page.wait_for_url("**q=TURING**")
    wait_idle(page)
    assert grid_ids(page) == ["1002"]
    assert page.locator("table.grid mark").first.inner_text() == "Turing"
    shot(page, "04-search")
    page.fill("input[name=q]", "")
    expect(page).not_to_have_url(re.compile(r"q="))
    wait_idle(page)
    assert grid_ids(page) == ["1005", "1002", "1001"]
    page.fill("input[name=q]", "ov")  # Lovelace, Liskov
    page.wait_for_url("**q=ov**")
    wait_idle(page)
    assert grid_ids(page) == ["1005", "1001"]

    # Hide a column.
    page.click("summary:has-text('Columns')")
    page.locator(".column-list input[value=meta]").uncheck()
    page.click(".column-panel button:has-text('Apply')")
    page.locator("th[data-path=meta]").wait_for(state="detached")
    wait_idle(page)

    # Save, then reload: the state persists without anything in the URL.
    page.click("button:has-text('Save')")
    page.wait_for_url(view_url)
    assert page.locator(".messages").inner_text().startswith("Saved")
    page.reload()
    assert grid_ids(page) == ["1005", "1001"]
    assert page.locator("input[name=q]").input_value() == "ov"
    assert page.locator(".chip").all_inner_texts() == ["status is paid"]
    assert page.locator("th[data-path=meta]").count() == 0
    assert page.locator(".unsaved").count() == 0
    shot(page, "05-saved")

    # Export CSV of exactly what is shown.
    with page.expect_download() as info:
        page.click("a:has-text('Export CSV')")
    path = tmp_path / "export.csv"
    info.value.save_as(path)
    rows = list(csv.reader(io.StringIO(path.read_text())))
    assert rows[0] == [h for h in heads if h != "meta"]
    assert [r[0] for r in rows[1:]] == ["1005", "1001"]
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["customer"] == "Barbara Liskov"
    assert first["amount"] == "500"
    assert first["status"] == "paid"
    assert first["created"] == "2026-11-24T08:05:00Z"

    # Click a row: the record page with every field.
    page.locator("table.grid tbody tr[data-href]").first.locator("td").nth(2).click()
    page.wait_for_url("**/records/1005**")
    assert "Barbara Liskov" in page.locator("dl.fields").first.inner_text()
    shot(page, "06-record")


def test_views_or_group_and_shift_click_sort(signed_in, live_server):
    page, team = signed_in
    push_orders(live_server.url, team)
    page.goto(f"{live_server.url}/views")
    page.fill("input[name=name]", "Everything")
    page.select_option("select[name=model]", label="Orders (5 records)")
    page.click("button:has-text('Add View')")
    page.wait_for_url("**/views/view_*")

    # amount >= 100 AND (status is refunded OR customer contains "lisk")
    page.click("summary:has-text('Filter')")
    page.click("button:has-text('+ Add condition')")
    row = page.locator(".fgroup[data-group='0'] .frow").last
    row.locator("select[name=ff]").select_option("amount")
    row.locator("select[name=fo]").select_option(label="≥")
    row.locator("input[name=fv]").fill("100")
    page.click("button:has-text('+ Add OR group')")
    group = page.locator(".fgroup.or").last
    first = group.locator(".frow").last
    first.locator("select[name=ff]").select_option("status")
    first.locator("input[name=fv]").fill("refunded")
    group.locator("button:has-text('or” condition')").click()
    second = group.locator(".frow").last
    second.locator("select[name=ff]").select_option("customer")
    second.locator("select[name=fo]").select_option(label="contains")
    second.locator("input[name=fv]").fill("lisk")
    shot(page, "07-or-group")
    page.click(".filter-panel button:has-text('Apply')")
    page.wait_for_url("**edit=1**")
    wait_idle(page)
    assert sorted(grid_ids(page)) == ["1003", "1005"]

    # Sort by status, then shift-click amount as the second key.
    page.click("th[data-path=status] a")
    page.wait_for_url("**sort=status**")
    wait_idle(page)
    page.click("th[data-path=amount] a", modifiers=["Shift"])
    page.wait_for_url("**sort=status%2Camount**")
    wait_idle(page)
    assert page.locator("th[data-path=amount] sub").inner_text() == "2"
    assert grid_ids(page) == ["1005", "1003"]

    # Drag the customer header before amount: the column order follows, in the URL too.
    page.locator("th[data-path=customer]").drag_to(
        page.locator("th[data-path=amount]"), target_position={"x": 5, "y": 10}
    )
    page.wait_for_url("**col=customer**")
    wait_idle(page)
    heads = page.locator("table.grid thead th").evaluate_all("ths => ths.map(t => t.dataset.path)")
    assert heads == ["id", "customer", "amount", "status", "created", "meta"]
    assert grid_ids(page) == ["1005", "1003"]


def test_views_grid_reads_without_javascript(browser, live_server):
    team = make_team("Acme")
    user = make_user(team, email="nojs@acme.test", password=PASSWORD)
    push_orders(live_server.url, team)
    from gather.records.selectors import model_get
    from gather.views.services import view_create

    view = view_create(team=team, name="Orders", model=model_get(team=team, ref="orders"))
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/login")
    page.fill("input[name=username]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.goto(f"{live_server.url}/views/{view.public_id}")
    assert sorted(grid_ids(page)) == ["1001", "1002", "1003", "1004", "1005"]
    # The GET form's blank row adds a filter; the header link sorts.
    page.click("summary:has-text('Filter')")
    row = page.locator(".fgroup[data-group='0'] .frow").last
    row.locator("select[name=ff]").select_option("amount")
    row.locator("select[name=fo]").select_option(label="<")
    row.locator("input[name=fv]").fill("300")
    page.locator("input[name=q]").fill("a")
    page.click(".filter-panel button:has-text('Apply')")
    page.click("th[data-path=amount] a")
    assert grid_ids(page) == ["1004", "1001", "1002"]
    shot(page, "08-no-js")
    page.click("button:has-text('Save')")
    page.goto(f"{live_server.url}/views/{view.public_id}")
    assert grid_ids(page) == ["1004", "1001", "1002"]
    assert page.locator(".chip").all_inner_texts() == ["amount < 300"]
    context.close()


def test_views_paging_and_back_button(signed_in, live_server):
    from gather.records.services import record_upsert
    from gather.views.services import view_create

    page, team = signed_in
    model = make_model(team, "Events", "id")
    for i in range(120):
        record_upsert(team=team, model=model, payload={"id": f"e{i:03d}", "n": i})
    view = view_create(team=team, name="Events", model=model, sort=[{"field": "n", "dir": "asc"}])
    page.goto(f"{live_server.url}/views/{view.public_id}")
    assert page.locator(".pager .range").first.inner_text() == "1–50 of 120 records"
    assert grid_ids(page)[0] == "e000"
    page.locator(".pager a[rel=next]").first.click()
    page.wait_for_url("**cursor=**")
    wait_idle(page)
    assert page.locator(".pager .range").first.inner_text() == "51–100 of 120 records"
    assert grid_ids(page)[0] == "e050"
    page.locator(".pager a[rel=next]").first.click()
    expect(page.locator(".pager .range").first).to_have_text(re.compile(r"^101"))
    assert grid_ids(page)[-1] == "e119"
    assert page.locator(".pager a[rel=next]").count() == 0
    page.locator(".pager a[rel=prev]").first.click()
    expect(page.locator(".pager .range").first).to_have_text(re.compile(r"^51"))
    assert grid_ids(page)[0] == "e050"
    page.go_back()
    expect(page.locator(".pager .range").first).to_have_text(re.compile(r"^101"))
    assert grid_ids(page)[0] == "e100"
    shot(page, "09-paging")
