"""Sync Stripe Customers in a real Chromium: the task added in Edit Tasks (the Account
model proposed), a view of accounts by MRR with money as shown, and the record page's
Stripe customer card."""

import os
from pathlib import Path

import pytest
import stripe

from gather.records.models import DataModel
from tests.emulators.fixtures import _emulator_server, stripe_emulator  # noqa: F401
from tests.factories import make_model, make_user
from tests.integrations.conftest import immediate_tasks, stripe_env  # noqa: F401

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


def seed(emu) -> dict:
    c = stripe.StripeClient("sk_test_emulator", base_addresses={"api": emu.url})

    def price(amount, interval, currency, name):
        return c.v1.prices.create(
            {
                "currency": currency,
                "unit_amount": amount,
                "recurring": {"interval": interval},
                "product_data": {"name": name},
            }
        ).id

    pro, ent = price(2500, "month", "usd", "Pro"), price(120000, "year", "eur", "Enterprise")
    a = c.v1.customers.create({"email": "acme@example.com", "name": "Acme"}).id
    b = c.v1.customers.create(
        {"email": "globex@example.com", "invoice_settings": {"default_payment_method": "pm_x"}}
    ).id
    t = c.v1.customers.create({"email": "trial@example.com"}).id
    c.v1.subscriptions.create({"customer": a, "items": [{"price": pro, "quantity": 2}]})
    sub_b = c.v1.subscriptions.create({"customer": b, "items": [{"price": ent}]}).id
    c.v1.subscriptions.create({"customer": t, "items": [{"price": pro}], "trial_period_days": 7})
    c.v1.customers.update(
        b, {"invoice_settings": {"default_payment_method": "pm_card_chargeDeclined"}}
    )
    emu.advance_subscription(sub_b)
    return {"a": a, "b": b, "t": t}


def test_customers_task_view_and_record_card_in_the_browser(
    browser_page,
    live_server,
    team,
    api,
    stripe_env,  # noqa: F811
):
    ids = seed(stripe_env)
    make_model(team, "Orders", "id")
    accounts = DataModel.objects.get(team=team, type="account")  # the standard Account model
    url = f"/api/models/{accounts.public_id}/records"
    for key, cus in (("A1", ids["a"]), ("A2", ids["b"]), ("A3", ids["t"])):
        api.post(url, data=f"id={key}&stripe_customer_id={cus}")

    user = make_user(team, email="cs@acme.test", password=PASSWORD)
    page = browser_page
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/login")
    page.fill("input[name=username]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.goto(f"{live_server.url}/settings/team/integrations")
    page.fill("input[name=secret_key]", "sk_test_emulator")
    page.click("button:has-text('Connect Stripe')")
    page.wait_for_url("**/tasks")

    # Choosing the customers task shows its field and proposes the Account model.
    assert page.locator("input[name=customer_id_field]").is_hidden()
    page.select_option("select[name=type]", "sync_stripe_customers")
    assert page.locator("input[name=customer_id_field]").is_visible()
    assert page.locator("input[name=charge_id_field]").is_hidden()
    assert page.locator("select[name=model]").input_value() == accounts.public_id
    assert page.locator("input[name=customer_id_field]").input_value() == "stripe_customer_id"
    page.click("button:has-text('Add task')")
    page.wait_for_selector(".status-live")
    text = page.inner_text("article.task")
    assert f"Sync Stripe Customers → {accounts.name}" in text
    assert "10 objects synced" in text  # 3 customers, 3 subscriptions, 4 invoices

    # A view of accounts sorted by MRR; amounts in the customer's currency.
    page.goto(f"{live_server.url}/views")
    page.fill("input[name=name]", "Accounts by MRR")
    page.select_option("select[name=model]", accounts.public_id)
    page.click("button:has-text('Add View')")
    page.wait_for_url("**/views/view_*")
    view_url = page.url.split("?")[0]
    page.goto(f"{view_url}?edit=1&sort=-stripe_customer.mrr")
    wait_idle(page)
    assert grid_ids(page) == ["A2", "A1", "A3"]
    assert column(page, "stripe_customer.mrr") == ["€100.00", "$50.00", "$0.00"]
    assert column(page, "stripe_customer.subscription_status") == [
        "past_due",
        "active",
        "trialing",
    ]
    assert column(page, "stripe_customer.amount_due") == ["€1,200.00", "$0.00", "$0.00"]

    # Filters take amounts as shown: MRR ≥ 50.00 means 5000 minor units.
    page.click("summary:has-text('Filter')")
    page.click("button:has-text('+ Add condition')")
    row = page.locator(".fgroup[data-group='0'] .frow").last
    row.locator("select[name=ff]").select_option("stripe_customer.mrr")
    row.locator("select[name=fo]").select_option("gte")
    row.locator("input[name=fv]").fill("50.00")
    page.click(".filter-panel button:has-text('Apply')")
    page.wait_for_url("**ff=stripe_customer.mrr**")
    wait_idle(page)
    assert grid_ids(page) == ["A2", "A1"]
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/20-stripe-customers.png")

    # The record page: the summary, then subscriptions and invoices linked to Stripe.
    page.goto(f"{view_url}/records/A2")
    card = page.locator("section.stripe-customer")
    assert "Stripe customer" in card.locator("h2").inner_text()
    body = card.inner_text()
    assert "€100.00" in body and "past_due" in body and "Enterprise" in body
    assert card.locator("table.subscriptions tbody tr").count() == 1
    assert card.locator("table.invoices tbody tr").count() == 2
    assert "€1,200.00" in card.locator("table.invoices").inner_text()
    link = card.locator("table.subscriptions a").first.get_attribute("href")
    assert link.startswith("https://dashboard.stripe.com/subscriptions/sub_")
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/21-stripe-customer-card.png", full_page=True)
