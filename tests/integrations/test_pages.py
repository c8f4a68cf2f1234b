"""Settings → Integrations pages, signed in as a team member."""

import pytest
from django.test import Client

from gather.integrations.models import Integration, IntegrationTask
from gather.integrations.stripe.formatting import format_amount
from tests.factories import make_model, make_user

INDEX = "/settings/team/integrations"


@pytest.fixture
def browser(team):
    client = Client()
    client.force_login(make_user(team))
    return client


def test_integrations_page_connects_stripe_with_clear_messages(browser, stripe_env):
    page = browser.get(INDEX)
    assert page.status_code == 200 and b"Connect Stripe" in page.content
    resp = browser.post(INDEX, {"type": "stripe", "secret_key": "sk_test_wrong"})
    assert resp.status_code == 422
    assert b"Stripe did not accept this key" in resp.content
    resp = browser.post(INDEX, {"type": "stripe", "secret_key": "sk_test_emulator"})
    integration = Integration.objects.get()
    assert resp.status_code == 302
    assert resp["Location"] == f"{INDEX}/{integration.public_id}/tasks"
    page = browser.get(INDEX)
    assert b"Edit Tasks" in page.content and b"sk_test_emulator" not in page.content


def test_edit_tasks_adds_sync_task_and_shows_status(browser, team, stripe_env):
    stripe_env.seed_charges(42)
    orders = make_model(team, "Orders")
    browser.post(INDEX, {"type": "stripe", "secret_key": "sk_test_emulator"})
    integration = Integration.objects.get()
    url = f"{INDEX}/{integration.public_id}/tasks"
    page = browser.get(url)
    assert f'value="{orders.public_id}"'.encode() in page.content
    assert b"Stripe Charge ID Field" in page.content
    resp = browser.post(
        url,
        {"type": "sync_stripe_charges", "model": orders.public_id, "charge_id_field": "x_id"},
    )
    assert resp.status_code == 302
    task = IntegrationTask.objects.get()
    page = browser.get(url).content.decode()
    assert "live" in page and "42 charges synced" in page and "Re-sync from scratch" in page
    browser.post(f"{url}/{task.public_id}/pause")
    assert IntegrationTask.objects.get().status == "paused"
    assert "Resume" in browser.get(url).content.decode()
    browser.post(f"{url}/{task.public_id}/resume")
    assert IntegrationTask.objects.get().status == "live"
    browser.post(f"{url}/{task.public_id}/delete")
    assert IntegrationTask.objects.count() == 0


def test_integration_pages_of_another_team_are_404(browser, other_team, stripe_env):
    other = Client()
    other.force_login(make_user(other_team))
    other.post(INDEX, {"type": "stripe", "secret_key": "sk_test_emulator"})
    integration = Integration.objects.get()
    assert browser.get(f"{INDEX}/{integration.public_id}/tasks").status_code == 404
    assert browser.post(f"{INDEX}/{integration.public_id}/disconnect").status_code == 404
    assert Integration.objects.count() == 1
    assert integration.public_id.encode() not in browser.get(INDEX).content


def test_integrations_page_needs_sign_in(db):
    resp = Client().get(INDEX)
    assert resp.status_code == 302 and resp["Location"].startswith("/login")


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [(1999, "usd", "19.99 USD"), (500, "jpy", "500 JPY"), (123456, "eur", "1,234.56 EUR"),
     (1005, "kwd", "1.005 KWD"), (None, "usd", "")],
)  # fmt: skip
def test_format_amount_keeps_minor_units_and_currency(amount, currency, text):
    assert format_amount(amount, currency) == text


def test_update_key_replaces_a_revoked_key_and_resume_continues(browser, team, stripe_env):
    stripe_env.seed_charges(1000)
    stripe_env.add_key("sk_test_oldkey01")
    stripe_env.add_key("sk_test_newkey02")
    orders = make_model(team, "Orders")
    browser.post(INDEX, {"type": "stripe", "secret_key": "sk_test_oldkey01"})
    integration = Integration.objects.get()
    url = f"{INDEX}/{integration.public_id}/tasks"
    # The key is rolled in Stripe's dashboard after the backfill's third page.
    stripe_env.inject_fault("revoke", path="/v1/charges", after=2, query="starting_after")
    browser.post(
        url, {"type": "sync_stripe_charges", "model": orders.public_id, "charge_id_field": "x"}
    )
    task = IntegrationTask.objects.get()
    assert task.status == "error" and task.progress["synced"] == 300
    page = browser.get(url).content.decode()
    assert "Stripe rejected the API key" in page and "Update key" in page

    resp = browser.post(
        f"{INDEX}/{integration.public_id}/key", {"secret_key": "sk_test_wrong"}, follow=True
    )
    assert "Stripe did not accept this key" in resp.content.decode()
    integration.refresh_from_db()
    assert integration.key_hint == "sk_test_…ey01"

    resp = browser.post(
        f"{INDEX}/{integration.public_id}/key", {"secret_key": "sk_test_newkey02"}, follow=True
    )
    assert "Key updated (sk_test_…ey02). Resume a stopped task" in resp.content.decode()
    listed = stripe_env.listed_charges
    browser.post(f"{url}/{task.public_id}/resume")
    task.refresh_from_db()
    assert task.status == "live" and task.progress["synced"] == 1000
    assert stripe_env.listed_charges - listed == 700  # continued, not started again


def test_update_key_of_another_team_is_404(browser, other_team, stripe_env):
    other = Client()
    other.force_login(make_user(other_team))
    other.post(INDEX, {"type": "stripe", "secret_key": "sk_test_emulator"})
    integration = Integration.objects.get()
    resp = browser.post(f"{INDEX}/{integration.public_id}/key", {"secret_key": "sk_test_emulator"})
    assert resp.status_code == 404


def test_task_status_json_for_the_progress_updates(browser, team, other_team, stripe_env):
    stripe_env.seed_charges(1234)
    orders = make_model(team, "Orders")
    browser.post(INDEX, {"type": "stripe", "secret_key": "sk_test_emulator"})
    integration = Integration.objects.get()
    url = f"{INDEX}/{integration.public_id}/tasks"
    browser.post(
        url, {"type": "sync_stripe_charges", "model": orders.public_id, "charge_id_field": "x"}
    )
    task = IntegrationTask.objects.get()
    resp = browser.get(f"{INDEX}/status.json")
    assert resp.status_code == 200 and resp["Cache-Control"] == "no-store"
    body = resp.json()
    assert body["busy"] is False
    (shown,) = body["tasks"]
    assert shown["id"] == task.public_id and shown["status"] == "live"
    assert shown["progress_text"].startswith("1,234 charges synced") and shown["synced"] == 1234
    assert "sk_test_emulator" not in resp.content.decode()
    # Another team sees none of it; signed out, nothing at all.
    other = Client()
    other.force_login(make_user(other_team))
    assert other.get(f"{INDEX}/status.json").json() == {"busy": False, "tasks": []}
    assert Client().get(f"{INDEX}/status.json").status_code == 302


def test_task_pages_do_not_reload_themselves_during_a_backfill(browser, team, stripe_env):
    orders = make_model(team, "Orders")
    browser.post(INDEX, {"type": "stripe", "secret_key": "sk_test_emulator"})
    integration = Integration.objects.get()
    url = f"{INDEX}/{integration.public_id}/tasks"
    browser.post(
        url, {"type": "sync_stripe_charges", "model": orders.public_id, "charge_id_field": "x"}
    )
    IntegrationTask.objects.update(status="backfilling")
    for page in (browser.get(url), browser.get(INDEX)):
        html = page.content.decode()
        refresh = html.find('http-equiv="refresh"')
        assert refresh == -1 or html.rfind("<noscript>", 0, refresh) > html.rfind(
            "</noscript>", 0, refresh
        )
        assert "/static/gather/integrations.js" in html and "onsubmit" not in html
        assert 'data-task-status="/settings/team/integrations/status.json"' in html
