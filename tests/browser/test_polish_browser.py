"""Small visual defects, checked in a real Chromium: favicon, help text, card alignment,
long URLs, the top bar on a phone, page titles, grid labels and badges."""

import httpx
import pytest

from tests.emulators.fixtures import _emulator_server, stripe_emulator  # noqa: F401
from tests.factories import make_user
from tests.integrations.conftest import immediate_tasks, stripe_env  # noqa: F401
from tests.views.test_money_filter import orders_with_charges  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery"


def sign_in(page, base, team):
    user = make_user(team, email="cs@acme.test", password=PASSWORD)
    page.goto(f"{base}/login")
    page.fill("input[name=username]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url(lambda url: "/login" not in url)


def box(locator) -> dict:
    found = locator.bounding_box()
    assert found is not None, locator
    return found


def test_favicon_is_served_and_no_page_asks_for_a_missing_file(browser_page, live_server):
    page, base = browser_page, live_server.url
    missing = []
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    for path in ("/login", "/signup"):
        page.goto(f"{base}{path}")
        icon = page.locator("link[rel=icon]").get_attribute("href")
        assert httpx.get(f"{base}{icon}").status_code == 200
    resp = httpx.get(f"{base}/favicon.ico", follow_redirects=True)
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("image/svg")
    assert missing == []


def test_signup_help_text_sits_under_its_field_not_beside_the_button(browser_page, live_server):
    page = browser_page
    page.goto(f"{live_server.url}/signup")
    help_text = page.get_by_text("Your company or team name.")
    button = page.get_by_role("button", name="Create account")
    assert box(help_text)["y"] + box(help_text)["height"] <= box(button)["y"]
    assert box(help_text)["y"] >= box(page.locator("input[name=team]"))["y"]


def test_settings_cards_line_up_and_keep_long_urls_inside(
    browser_page,
    live_server,
    team,
    api,
    orders_with_charges,  # noqa: F811
):
    page, base = browser_page, live_server.url
    sign_in(page, base, team)
    page.goto(f"{base}/settings/team/integrations")
    cards = page.locator(".settings-body > section.card")
    assert box(cards.nth(1))["x"] == box(cards.nth(0))["x"]  # Connect Stripe, left-aligned

    page.click("details.menu summary")
    page.locator("a:has-text('Edit Tasks')").click()
    page.wait_for_url("**/tasks")
    assert page.locator("h1").inner_text().startswith("Stripe tasks")
    assert page.title() == "Edit Tasks · Stripe · Gather"
    cards = page.locator(".settings-body > section.card")
    left = box(cards.nth(0))["x"]
    add_task = page.locator("section.card:has(h2:text-is('Add task'))")
    webhook = page.locator("section.card:has(h2:text-is('Webhook signing secret'))")
    assert box(add_task)["x"] == left and box(webhook)["x"] == left
    overflow = webhook.evaluate("el => el.scrollWidth - el.clientWidth")
    assert overflow <= 0, overflow
    url = webhook.locator("code").first
    assert box(url)["x"] + box(url)["width"] <= box(webhook)["x"] + box(webhook)["width"]


def test_top_bar_fits_a_phone(browser, live_server, team):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        sign_in(page, live_server.url, team)
        for path in ("/settings/team/models", "/settings/team/integrations", "/views"):
            page.goto(f"{live_server.url}{path}")
            sign_out = page.get_by_role("button", name="Sign out")
            assert sign_out.is_visible()
            b = box(sign_out)
            assert b["x"] >= 0 and b["x"] + b["width"] <= 390, (path, b)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, (path, width)
    finally:
        context.close()


def test_grid_headers_are_labels_and_values_are_badges(
    browser_page,
    live_server,
    team,
    api,
    orders_with_charges,  # noqa: F811
):
    page, base = browser_page, live_server.url
    view = api.post("/api/views", json={"name": "Charges", "model": orders_with_charges.public_id})
    sign_in(page, base, team)
    page.goto(f"{base}/views/{view.json()['id']}?edit=1&sort=stripe_charge_id")

    captured = page.locator("th[data-path='stripe_charge.amount_captured']")
    assert captured.inner_text().strip() == "Charge · Amount captured"
    assert captured.get_attribute("title") == "stripe_charge.amount_captured"
    assert page.locator("th[data-path='stripe_charge.id']").inner_text().strip() == "Charge · ID"
    assert page.locator("th[data-path='id']").inner_text().strip() == "id"  # the team's name

    paths = page.locator("table.grid thead th").evaluate_all("ths => ths.map(t => t.dataset.path)")
    first = page.locator("table.grid tbody tr[data-href]").first
    status = first.locator("td").nth(paths.index("stripe_charge.status"))
    assert status.locator(".badge").inner_text() == "succeeded"
    paid = first.locator("td").nth(paths.index("stripe_charge.paid"))
    assert paid.locator(".badge").inner_text() == "Yes"
    created = first.locator("td").nth(paths.index("stripe_charge.created")).inner_text()
    assert created[:2] == "20" and "T" not in created and ":" in created  # 2026-12-02 11:54

    page.click("summary:has-text('Columns')")
    item = page.locator(".column-list li[data-path='stripe_charge.amount_refunded']")
    assert item.locator(".path").inner_text() == "Charge · Amount refunded"

    first.locator("td:first-child a").click()
    page.wait_for_url("**/records/**")
    charge = page.locator("section.joined")
    assert charge.locator("h2").inner_text() == "Charge"
    assert " UTC (" in charge.inner_text()  # created: readable, the Unix time beside it
