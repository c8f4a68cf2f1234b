"""The filter builder takes a charge amount as the grid shows it ($500 is 500, not 50000)."""

import pytest

from tests.emulators.fixtures import _emulator_server, stripe_emulator  # noqa: F401
from tests.factories import make_user
from tests.integrations.conftest import immediate_tasks, stripe_env  # noqa: F401
from tests.views.test_money_filter import orders_with_charges  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery"


def grid_ids(page) -> list[str]:
    return sorted(page.locator("table.grid tbody tr[data-href] td:first-child").all_inner_texts())


def wait_idle(page) -> None:
    # Not wait_for_function: it evaluates a string, which the pages' CSP forbids.
    page.locator("#view-root.loading").wait_for(state="detached")


def test_money_filter_takes_the_amount_as_shown(
    browser_page,
    live_server,
    team,
    api,
    orders_with_charges,  # noqa: F811
):
    view = api.post("/api/views", json={"name": "Charges", "model": orders_with_charges.public_id})
    view_id = view.json()["id"]
    user = make_user(team, email="cs@acme.test", password=PASSWORD)
    page = browser_page
    page.goto(f"{live_server.url}/login")
    page.fill("input[name=username]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.goto(f"{live_server.url}/views/{view_id}")

    page.click("summary:has-text('Filter')")
    page.click("button:has-text('+ Add condition')")
    row = page.locator(".fgroup[data-group='0'] .frow").last
    row.locator("select[name=ff]").select_option("stripe_charge.amount")
    row.locator("select[name=fo]").select_option("gte")
    assert row.locator("input[name=fv]").get_attribute("placeholder") == "amount, e.g. 19.99"
    row.locator("input[name=fv]").fill("500")
    page.click(".filter-panel button:has-text('Apply')")
    page.wait_for_url("**ff=stripe_charge.amount**")
    wait_idle(page)
    # $969.32, ¥500, ¥50,000, 600.000 BHD and $500.00 are at least 500; £41.09 is not.
    assert grid_ids(page) == ["1001", "1003", "1004", "1005", "1006"]

    page.click("button:has-text('Save')")
    page.wait_for_url(f"**/views/{view_id}")
    assert grid_ids(page) == ["1001", "1003", "1004", "1005", "1006"]
    saved = api.get(f"/api/views/{view_id}").json()["filter"]
    assert saved == [
        {"field": "stripe_charge.amount", "op": "gte", "value": "500", "unit": "major"}
    ]
    page.click("summary:has-text('Filter')")
    row = page.locator(".fgroup[data-group='0'] .frow").first
    assert row.locator("input[name=fv]").input_value() == "500"
