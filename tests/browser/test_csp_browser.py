"""Every page works under the Content-Security-Policy (scripts from Gather's static files
only): a walk through sign-up, settings, views, integrations and the API docs in
Chromium, failing on any CSP violation or script error."""

import httpx
import pytest

from tests.emulators.fixtures import (  # noqa: F401
    _emulator_server,
    emulator_key,
    stripe_emulator,
)
from tests.integrations.conftest import immediate_tasks, stripe_env  # noqa: F401

pytestmark = pytest.mark.browser

PASSWORD = "a long passphrase"
WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


@pytest.fixture
def page(browser_page):
    browser_page.set_default_timeout(15_000)
    problems: list[str] = []

    def on_console(msg):
        if msg.type == "error" and ("Content Security Policy" in msg.text or "Refused" in msg.text):
            problems.append(msg.text)

    browser_page.on("console", on_console)
    browser_page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    browser_page.add_init_script(WATCH)
    browser_page.problems = problems
    return browser_page


def idle(page) -> None:
    # Locators, not wait_for_function: that evaluates a string, which the CSP forbids.
    page.locator("#view-root.loading").wait_for(state="detached")


def assert_clean(page) -> None:
    violations = page.evaluate("window.__csp || []")
    assert violations == [] and page.problems == [], (page.url, violations, page.problems)


def test_pages_work_under_the_content_security_policy(page, live_server, stripe_env):  # noqa: F811
    base = live_server.url
    stripe_env.seed_charges(3)
    resp = page.goto(f"{base}/signup")
    csp = resp.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    page.fill("input[name=email]", "csp@acme.test")
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=team]", "Acme")
    page.click("button:has-text('Create account')")
    page.wait_for_url("**/settings/team/models")
    assert_clean(page)

    page.fill("#add-model input[name=name]", "Orders")
    page.fill("#add-model input[name=id_field]", "id")
    page.click("button:has-text('Add New Model')")
    page.wait_for_url("**/settings/team/models/mdl_*")
    model_id = page.url.rsplit("/", 1)[1]
    assert_clean(page)

    page.goto(f"{base}/settings/team/developer")
    page.fill("input[name=name]", "backend")
    page.click("button:has-text('Create API key')")
    key = page.locator("#new-key").inner_text()
    with httpx.Client(base_url=base, headers={"Authorization": f"Token {key}"}) as http:
        for n, amount in enumerate(("75", "250", "990")):
            resp = http.post(
                f"/api/models/{model_id}/records",
                data={"id": str(n), "amount": amount, "stripe_charge_id": f"ch_{n}"},
            )
            assert resp.status_code == 201
    # gather.js turned the POST's history entry into a GET: the reload shows no key.
    page.reload()
    assert page.locator("#new-key").count() == 0
    assert_clean(page)

    page.goto(f"{base}/settings/team/members")
    page.fill("input[name=email]", "friend@acme.test")
    page.click("button:has-text('Create invite link')")
    page.click("button:has-text('Revoke')")
    page.wait_for_selector("text=revoked")
    assert_clean(page)

    # Views: the grid's early script (a file now) marks the page as scripted.
    page.goto(f"{base}/views")
    page.fill("input[name=name]", "Big orders")
    page.select_option("select[name=model]", label="Orders (3 records)")
    page.click("button:has-text('Add View')")
    page.wait_for_url("**/views/*")
    assert page.evaluate("document.documentElement.classList.contains('js')")
    page.click("summary:has-text('Filter')")
    page.click("button:has-text('+ Add condition')")
    page.click(".filter-panel button:has-text('Apply')")
    idle(page)
    page.click("th[data-path=amount] a")
    idle(page)
    assert_clean(page)

    # A data-confirm form (was an inline onsubmit=): declined, nothing happens.
    page.goto(f"{base}/views")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click("form[data-confirm] button")
    page.wait_for_timeout(300)
    assert page.locator("text=Big orders").count() >= 1
    assert_clean(page)

    # Integrations: connect the Stripe emulator, add the task, decline then confirm.
    page.goto(f"{base}/settings/team/integrations")
    page.fill("input[name=secret_key]", "sk_test_emulator")
    page.click("button:has-text('Connect Stripe')")
    page.wait_for_url("**/tasks")
    page.select_option("select[name=model]", model_id)
    page.fill("input[name=charge_id_field]", "stripe_charge_id")
    page.click("button:has-text('Add task')")
    page.wait_for_selector("article.task")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click("article.task button:has-text('Delete')")
    page.wait_for_timeout(300)
    assert page.locator("article.task").count() == 1
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("article.task button:has-text('Delete')")
    page.wait_for_load_state()
    page.locator("article.task").wait_for(state="detached")
    page.goto(f"{base}/settings/team/integrations")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("details.menu summary")
    page.click("button:has-text('Disconnect')")
    page.wait_for_selector("button:has-text('Connect Stripe')")
    assert_clean(page)

    # The API docs (Swagger UI, served by Gather): Authorize, then Try it out.
    page.goto(f"{base}/api/docs")
    page.get_by_role("button", name="Authorize").first.click()
    dialog = page.locator(".dialog-ux")
    dialog.locator("input").first.fill(f"Token {key}")
    dialog.get_by_role("button", name="Apply credentials").click()
    dialog.get_by_role("button", name="Close").click()
    operation = page.locator(".opblock-get:has([data-path='/api/models'])").first
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()
    status = operation.locator(".live-responses-table .response .response-col_status")
    assert status.first.inner_text().strip() == "200"
    assert "Orders" in operation.locator(".live-responses-table").inner_text()
    assert_clean(page)
