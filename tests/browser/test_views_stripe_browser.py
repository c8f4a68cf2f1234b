"""Walkthrough step 5 in a real Chromium: a view of Orders with each order's Stripe charge
beside it (synced from the Stripe emulator), filtered, sorted and searched by both."""

import os
from pathlib import Path

import pytest

from tests.emulators.fixtures import _emulator_server, stripe_emulator  # noqa: F401
from tests.factories import make_model, make_user
from tests.integrations.conftest import immediate_tasks, stripe_env  # noqa: F401
from tests.integrations.helpers import add_task, connect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery"
SHOTS = os.environ.get("GATHER_SCREENSHOTS")


def grid_ids(page) -> list[str]:
    return page.locator("table.grid tbody tr[data-href] td:first-child").all_inner_texts()


def column(page, path: str) -> list[str]:
    index = page.locator("table.grid thead th").evaluate_all(
        f"ths => ths.findIndex(t => t.dataset.path === {path!r})"
    )
    cells = page.locator(f"table.grid tbody tr[data-href] td:nth-child({index + 1})")
    return cells.all_inner_texts()


def wait_idle(page) -> None:
    # Not wait_for_function: it evaluates a string, which the pages' CSP forbids.
    page.locator("#view-root.loading").wait_for(state="detached")


def test_views_show_orders_with_their_stripe_charge(
    browser_page,
    live_server,
    team,
    api,
    stripe_env,  # noqa: F811
):
    paid = stripe_env.create_charge({"amount": 1999, "currency": "usd", "description": "Mug"})
    big = stripe_env.create_charge({"amount": 50000, "currency": "jpy", "description": "Tea"})
    eur = stripe_env.create_charge({"amount": 12345, "currency": "eur", "description": "Pot"})
    orders = make_model(team, "Orders", "id")
    url = f"/api/models/{orders.public_id}/records"
    for key, amount, charge in (("1001", 75, paid), ("1002", 250, big), ("1003", 120, eur)):
        api.post(url, data=f"id={key}&amount={amount}&stripe_charge_id={charge['id']}")
    api.post(url, data="id=1004&amount=15")  # no charge: empty joined cells
    integration = connect(api)
    add_task(api, integration["id"], orders.public_id)

    user = make_user(team, email="cs@acme.test", password=PASSWORD)
    page = browser_page
    page.goto(f"{live_server.url}/login")
    page.fill("input[name=username]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.goto(f"{live_server.url}/views")
    page.fill("input[name=name]", "Orders with charges")
    page.select_option("select[name=model]", orders.public_id)
    page.click("button:has-text('Add View')")
    page.wait_for_url("**/views/view_*")

    heads = page.locator("table.grid thead th").evaluate_all("ths => ths.map(t => t.dataset.path)")
    assert heads[:4] == ["id", "amount", "stripe_charge_id", "stripe_charge.id"]
    assert "stripe_charge.status" in heads

    # Sort by the charge amount, descending: empty charges last, amounts with currency.
    page.click("th[data-path='stripe_charge.amount'] a")
    wait_idle(page)
    page.click("th[data-path='stripe_charge.amount'] a")
    page.wait_for_url("**sort=-stripe_charge.amount**")
    wait_idle(page)
    assert grid_ids(page) == ["1002", "1003", "1001", "1004"]
    assert column(page, "stripe_charge.amount") == ["¥50,000", "€123.45", "$19.99", ""]
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/10-stripe-join.png")

    # Filter on a joined field; search finds joined values.
    page.click("summary:has-text('Filter')")
    page.click("button:has-text('+ Add condition')")
    row = page.locator(".fgroup[data-group='0'] .frow").last
    row.locator("select[name=ff]").select_option("stripe_charge.currency")
    row.locator("input[name=fv]").fill("usd")
    page.click(".filter-panel button:has-text('Apply')")
    page.wait_for_url("**ff=stripe_charge.currency**")
    wait_idle(page)
    assert grid_ids(page) == ["1001"]
    page.goto(f"{live_server.url}/views")
    page.click("a:has-text('Orders with charges')")
    page.fill("input[name=q]", "TEA")
    page.wait_for_url("**q=TEA**")
    wait_idle(page)
    assert grid_ids(page) == ["1002"]
    assert page.locator("table.grid mark").first.inner_text() == "Tea"

    # The record page shows the charge, its amount readable.
    page.locator("table.grid tbody td:first-child a").first.click()
    page.wait_for_url("**/records/1002**")
    charge_card = page.locator("section.joined")
    assert charge_card.locator("h2").inner_text() == "Charge"
    assert "¥50,000" in charge_card.inner_text()
