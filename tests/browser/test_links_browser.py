"""Links and rollups in a real Chromium: set a link in Settings, add rollups, filter a
view by a linked field, sort by a rollup, and follow Related from an account to its
orders."""

import httpx
import pytest

from gather.records.selectors import model_get
from gather.views.services import view_create
from tests.factories import make_key, make_model, make_team, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery"
ACCOUNTS = [
    {"id": "acme", "name": "Acme Corp", "plan": "pro"},
    {"id": "globex", "name": "Globex", "plan": "free"},
    {"id": "initech", "name": "Initech", "plan": "pro"},
]
ORDERS = [  # id, amount, account
    ("1001", "75", "acme"),
    ("1002", "250", "globex"),
    ("1003", "990", "acme"),
    ("1004", "15", "initech"),
    ("1005", "500", "acme"),
]


def grid_ids(page) -> list[str]:
    return page.locator("table.grid tbody tr[data-href] td:first-child").all_inner_texts()


def wait_idle(page) -> None:
    page.wait_for_function("!document.querySelector('#view-root.loading')")


def test_links_rollups_and_related(browser_page, live_server):
    base = live_server.url
    team = make_team("Acme")
    user = make_user(team, email="cs@acme.test", password=PASSWORD)
    orders = make_model(team, "Orders", "id")
    key = make_key(team)
    with httpx.Client(base_url=base, headers={"Authorization": f"Token {key}"}) as http:
        for account in ACCOUNTS:
            assert http.post("/api/models/account/records", data=account).status_code == 201
        for order_id, amount, account in ORDERS:
            body = {"id": order_id, "amount": amount, "account_id": account}
            assert http.post("/api/models/orders/records", data=body).status_code == 201
    page = browser_page
    page.goto(f"{base}/login")
    page.fill("input[name=username]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url("**/views**")

    # Settings: the standard models come first; Orders.account_id links to Account.
    page.goto(f"{base}/settings/team/models")
    names = page.locator("table tbody tr td:first-child").all_inner_texts()
    assert names[:2] == ["Account", "User"]
    page.goto(f"{base}/settings/team/models/{orders.public_id}")
    form = page.locator("#add-link")
    form.locator("select[name=field]").select_option("account_id")
    form.locator("select[name=target]").select_option(label="Account")
    form.locator("button:has-text('Link')").click()
    page.wait_for_selector("table.links")
    assert page.locator("table.links tbody tr").first.inner_text().split("\t")[:3] == [
        "account_id",
        "Account",
        "account",
    ]

    # Account's page: rollups over Orders via account.
    page.goto(f"{base}/settings/team/models/account")
    for name, fn, field in (("orders", "count", ""), ("revenue", "sum", "amount")):
        form = page.locator("#add-rollup")
        form.locator("input[name=name]").fill(name)
        form.locator("select[name=source]").select_option(label="Orders via account")
        form.locator("select[name=fn]").select_option(fn)
        form.locator("input[name=field]").fill(field)
        form.locator("button:has-text('Add rollup')").click()
        page.wait_for_selector(f"table.rollups code:text-is('{name}')")
    assert page.locator("table.rollups tbody tr").count() == 2

    orders_view = view_create(team=team, name="All orders", model=orders)
    accounts_view = view_create(
        team=team, name="Accounts", model=model_get(team=team, ref="account")
    )

    # Orders filtered by a linked field; the account column shows the account's name.
    page.goto(f"{base}/views/{orders_view.public_id}")
    page.click("summary:has-text('Filter')")
    page.click("button:has-text('+ Add condition')")
    row = page.locator(".fgroup[data-group='0'] .frow").last
    row.locator("select[name=ff]").select_option("account.plan")
    row.locator("input[name=fv]").fill("pro")
    page.click(".filter-panel button:has-text('Apply')")
    page.wait_for_url("**edit=1**")
    wait_idle(page)
    assert sorted(grid_ids(page)) == ["1001", "1003", "1004", "1005"]
    linked = page.locator("table.grid tbody tr[data-href] a.linked")
    assert "Acme Corp" in linked.all_inner_texts()

    # Accounts sorted by a rollup, descending: acme (1565), globex (250), initech (15).
    page.goto(f"{base}/views/{accounts_view.public_id}")
    page.click("th[data-path='rollups.revenue'] a")
    page.wait_for_url("**sort=rollups.revenue**")
    wait_idle(page)
    assert grid_ids(page) == ["initech", "globex", "acme"]
    page.click("th[data-path='rollups.revenue'] a")
    page.wait_for_url("**sort=-rollups.revenue**")
    wait_idle(page)
    assert grid_ids(page) == ["acme", "globex", "initech"]

    # Acme's record page: Related lists its 3 orders; "View all" opens them in a view.
    page.click("table.grid tbody tr[data-href] td:first-child a:text-is('acme')")
    page.wait_for_url("**/records/acme**")
    related = page.locator(f".related-list[data-related='{orders.public_id}:account']")
    assert "3 records" in related.inner_text()
    assert related.locator("li").all_inner_texts() == ["1005", "1003", "1001"]
    related.locator("a.related-all").click()
    page.wait_for_url(f"**/views/{orders_view.public_id}?**")
    wait_idle(page)
    assert sorted(grid_ids(page)) == ["1001", "1003", "1005"]

    # An order's page: the account card links to the account's page.
    page.goto(f"{base}/views/{orders_view.public_id}/records/1002")
    page.click("section[data-join=account] h2 a")
    page.wait_for_url(f"**/views/{accounts_view.public_id}/records/globex")
    assert "Globex" in page.locator(".record-layout").inner_text()
