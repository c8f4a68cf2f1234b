"""Settings → Integrations in Debian's Chromium, driven by Playwright."""

import pytest

from tests.factories import make_model, make_user

pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser_page):
    browser_page.set_default_timeout(15_000)
    return browser_page


def test_connect_stripe_and_add_sync_task_in_the_browser(page, live_server, team, stripe_env):
    stripe_env.seed_charges(321)
    orders = make_model(team, "Orders")
    make_user(team, email="cs@example.com", password="a long pass phrase")
    page.goto(f"{live_server.url}/login")
    page.fill("input[name=username]", "cs@example.com")
    page.fill("input[name=password]", "a long pass phrase")
    page.click("button.primary")
    page.goto(f"{live_server.url}/settings/team/integrations")

    page.fill("input[name=secret_key]", "sk_test_wrong")
    page.click("button:has-text('Connect Stripe')")
    assert "Stripe did not accept this key" in page.inner_text(".errorlist")

    page.fill("input[name=secret_key]", "sk_test_emulator")
    page.click("button:has-text('Connect Stripe')")
    page.wait_for_url("**/tasks")
    page.goto(f"{live_server.url}/settings/team/integrations")
    page.click("details.menu summary")
    page.click("text=Edit Tasks")
    page.wait_for_url("**/tasks")

    page.select_option("select[name=model]", orders.public_id)
    page.fill("input[name=charge_id_field]", "stripe_charge_id")
    page.click("button:has-text('Add task')")
    page.wait_for_selector(".status-live")
    text = page.inner_text("article.task")
    assert "321 charges synced" in text and "Kept current" in text

    page.click("button:has-text('Pause')")
    page.wait_for_selector(".status-paused")
    page.click("button:has-text('Resume')")
    page.wait_for_selector(".status-live")
    assert "sk_test_emulator" not in page.content()
