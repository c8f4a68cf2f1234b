"""The interactive API docs work on a machine without internet access."""

import pytest

from tests.factories import make_key, make_model, make_team

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_api_docs_work_offline(browser_page, live_server):
    page, base = browser_page, live_server.url
    team = make_team("Acme")
    key = make_key(team)
    make_model(team, "Orders", "id")

    outside = []

    def only_this_server(route):
        if route.request.url.startswith(base):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_this_server)
    page.goto(f"{base}/api/docs")

    # Swagger UI rendered from the server's own files: the operations are listed.
    page.get_by_role("button", name="Authorize").first.click()
    dialog = page.locator(".dialog-ux")
    dialog.locator("input").first.fill(f"Token {key}")
    dialog.get_by_role("button", name="Apply credentials").click()
    assert dialog.get_by_role("button", name="Remove authorization").is_visible()
    dialog.get_by_role("button", name="Close").click()

    operation = page.locator(".opblock-get:has([data-path='/api/models'])").first
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()
    status = operation.locator(".live-responses-table .response .response-col_status")
    assert status.first.inner_text(timeout=10_000).strip() == "200"
    assert "Orders" in operation.locator(".live-responses-table").inner_text()
    assert outside == []
