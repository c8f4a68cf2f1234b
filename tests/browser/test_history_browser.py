"""A record's History on its page in a real Chromium: who, when, and each field from → to,
newest first; an upsert that changes nothing adds no entry."""

from urllib.parse import quote

import httpx
import pytest

from gather.accounts.models import ApiKey
from gather.views.services import view_create
from tests.factories import make_key, make_model, make_team, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery"


def test_record_page_shows_history(browser_page, live_server):
    base = live_server.url
    team = make_team("Acme")
    user = make_user(team, email="cs@acme.test", password=PASSWORD)
    orders = make_model(team, "Orders", "id")
    view = view_create(team=team, name="All orders", model=orders)
    key = make_key(team)
    prefix = ApiKey.objects.get(team=team).prefix
    with httpx.Client(base_url=base, headers={"Authorization": f"Token {key}"}) as http:
        url = f"/api/models/{orders.public_id}/records"
        assert http.post(url, json={"id": "o/1", "status": "trial"}).status_code == 201
        assert (
            http.post(url, json={"id": "o/1", "status": "paid", "plan": "pro"}).status_code == 200
        )
        assert http.post(url, json={"id": "o/1", "status": "paid"}).status_code == 200  # no-op

    page = browser_page
    page.goto(f"{base}/login")
    page.fill("input[name=username]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url("**/views**")
    page.goto(f"{base}/views/{view.public_id}/records/{quote('o/1', safe='')}")

    entries = page.locator("#history .history-list > li")
    assert entries.count() == 2
    newest = entries.nth(0)
    assert newest.locator("strong").inner_text() == "Updated"
    assert newest.locator(".who").inner_text() == f"API key {prefix}"
    assert newest.locator("time").inner_text().endswith("UTC")
    rows = newest.locator("table.changes tbody tr")
    assert [rows.nth(i).inner_text().split("\t") for i in range(rows.count())] == [
        ["plan", "—", "→", "pro"],  # by field name
        ["status", "trial", "→", "paid"],
    ]
    oldest = entries.nth(1)
    assert oldest.locator("strong").inner_text() == "Created"
    assert "status\t—\t→\ttrial" in oldest.locator("table.changes").inner_text()
