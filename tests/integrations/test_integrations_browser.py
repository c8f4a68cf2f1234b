"""Settings → Integrations in Debian's Chromium, driven by Playwright."""

import re

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


def _sign_in(page, live_server, team):
    make_user(team, email="ops@example.com", password="a long pass phrase")
    page.goto(f"{live_server.url}/login")
    page.fill("input[name=username]", "ops@example.com")
    page.fill("input[name=password]", "a long pass phrase")
    page.click("button.primary")
    page.wait_for_url(lambda url: "/login" not in url)


def test_update_key_in_the_browser_then_resume_continues(page, live_server, team, stripe_env):
    from gather.integrations.models import IntegrationTask

    stripe_env.seed_charges(1000)
    stripe_env.add_key("sk_test_oldkey01")
    stripe_env.add_key("sk_test_newkey02")
    orders = make_model(team, "Orders")
    _sign_in(page, live_server, team)
    page.goto(f"{live_server.url}/settings/team/integrations")
    page.fill("input[name=secret_key]", "sk_test_oldkey01")
    page.click("button:has-text('Connect Stripe')")
    page.wait_for_url("**/tasks")
    stripe_env.inject_fault(
        "revoke", path="/v1/charges", after=2, query="starting_after"
    )  # rolled mid-backfill
    page.select_option("select[name=model]", orders.public_id)
    page.click("button:has-text('Add task')")
    page.wait_for_selector(".status-error")
    assert "Stripe rejected the API key" in page.inner_text("article.task")

    page.goto(f"{live_server.url}/settings/team/integrations")
    page.click("details.menu summary")
    page.click("text=Update key")
    page.wait_for_url("**/tasks#key")
    page.fill("#key input[name=secret_key]", "sk_test_newkey02")
    page.click("button:has-text('Update key')")
    page.wait_for_selector("text=Key updated (sk_test_…ey02)")
    listed = stripe_env.listed_charges
    page.click("button:has-text('Resume')")
    page.wait_for_selector(".status-live")
    task = IntegrationTask.objects.get()
    assert task.progress["synced"] == 1000 and task.error == ""
    assert stripe_env.listed_charges - listed == 700  # from where it stopped
    assert "sk_test_newkey02" not in page.content()


@pytest.fixture
def background_stripe(settings, stripe_emulator, transactional_db):
    """The emulator, with tasks queued (not run at once): the test runs the backfill."""
    settings.STRIPE_API_BASE = stripe_emulator.url
    settings.PUBLIC_URL = "http://127.0.0.1:9"
    stripe_emulator.delivery_retries = 1
    return stripe_emulator


def test_progress_updates_in_place_and_typing_survives(
    page, live_server, team, api, background_stripe
):
    import threading

    from django.db import connection

    from gather.integrations.models import IntegrationTask
    from gather.integrations.runner import task_backfill
    from tests.integrations.helpers import add_task, connect

    emu = background_stripe
    emu.seed_charges(3000)
    orders = make_model(team, "Orders")
    integ = connect(api)
    add_task(api, integ["id"], orders.public_id)
    task = IntegrationTask.objects.get()
    _sign_in(page, live_server, team)
    page.goto(f"{live_server.url}/settings/team/integrations/{integ['id']}/tasks")
    assert page.inner_text("[data-field=progress]") == "0 charges synced"
    page.evaluate("window.sameDocument = true")  # gone if the page reloads

    field = page.locator("input[name=charge_id_field]")
    field.fill("")
    field.type("order_charge")
    secret = page.locator("#key input[name=secret_key]")
    secret.type("sk_test_half_typed")

    emu.latency = 0.1  # a slow network: the backfill takes several seconds

    def run():
        try:
            task_backfill(task_pk=task.pk)
        finally:
            connection.close()

    worker = threading.Thread(target=run)
    worker.start()
    try:
        # Numbers and status move on the page that was loaded before the backfill began.
        # (Locators, not wait_for_function: the pages' CSP forbids evaluating strings.)
        moving = (
            page.locator("article.task")
            .filter(has=page.locator("[data-field=status]", has_text=re.compile("^backfilling$")))
            .filter(
                has=page.locator(
                    "[data-field=progress]", has_text=re.compile(r"^[1-9][\d,]* charges synced")
                )
            )
        )
        moving.wait_for()
        secret.type("_more")  # still typing while the numbers move
        page.wait_for_selector(".status-live", timeout=60_000)
    finally:
        worker.join(timeout=120)
    assert page.inner_text("[data-field=progress]").startswith("3,000 charges synced")
    assert page.evaluate("window.sameDocument") is True
    assert field.input_value() == "order_charge"
    assert secret.input_value() == "sk_test_half_typed_more"
    assert page.locator("[data-field=toggle] button").inner_text() == "Pause"


def test_delete_asks_first_without_inline_handlers(page, live_server, team, api, stripe_env):
    from gather.integrations.models import IntegrationTask
    from tests.integrations.helpers import add_task, connect

    integ = connect(api)
    add_task(api, integ["id"], make_model(team, "Orders").public_id)
    _sign_in(page, live_server, team)
    page.goto(f"{live_server.url}/settings/team/integrations/{integ['id']}/tasks")
    assert page.locator("[onsubmit], [onclick]").count() == 0
    questions = []

    def answer(dialog, accept):
        questions.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda d: answer(d, False))
    page.click("button:has-text('Delete')")
    assert questions and page.locator("article.task").count() == 1  # dismissed: still here
    page.once("dialog", lambda d: answer(d, True))
    page.click("button:has-text('Delete')")
    page.wait_for_selector("text=Task deleted")
    assert IntegrationTask.objects.count() == 0
    assert questions == ["Delete this task, its Stripe webhook endpoint and its synced data?"] * 2
