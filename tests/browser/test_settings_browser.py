"""Settings in a real Chromium, as a new user: sign up, add a model, see its Model ID,
set a field type, create and revoke an API key, invite a teammate."""

import os
from pathlib import Path

import httpx
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("GATHER_SCREENSHOTS")


def shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def test_settings_walkthrough_in_the_browser(browser, browser_page, live_server):
    page, base = browser_page, live_server.url
    page.goto(f"{base}/signup")
    page.fill("input[name=email]", "lead@acme.test")
    page.fill("input[name=password]", "a long passphrase")
    page.fill("input[name=team]", "Acme")
    page.click("button:has-text('Create account')")
    page.wait_for_url("**/settings/team/models")

    # Add New Model: name, Model Type Custom, ID Field
    page.fill("#add-model input[name=name]", "Orders")
    assert page.locator("#add-model select[name=type]").input_value() == "custom"
    page.fill("#add-model input[name=id_field]", "id")
    page.click("button:has-text('Add New Model')")
    model_id = page.locator("#model-id").inner_text()
    assert model_id.startswith("mdl_")
    shot(page, "settings-model")

    # Developer: the key is shown once, then only its prefix
    page.goto(f"{base}/settings/team/developer")
    page.fill("input[name=name]", "backend")
    page.click("button:has-text('Create API key')")
    key = page.locator("#new-key").inner_text()
    assert key.startswith("gth_")
    assert model_id in page.content()  # the curl example uses a real Model ID
    shot(page, "settings-developer")
    page.reload()
    assert key not in page.content() and key[:10] in page.content()
    assert page.locator("#new-key").count() == 0  # the reload did not send the form again

    # the guide's curl, then the field shows up with its inferred type
    resp = httpx.post(
        f"{base}/api/models/{model_id}/records",
        headers={"Authorization": f"Token {key}"},
        data={"id": "1234", "amount": "75", "stripe_charge_id": "ch_4567"},
    )
    assert resp.status_code == 201
    page.goto(f"{base}/settings/team/models/{model_id}")
    amount_type = page.locator("tr:has(code:text-is('amount')) select[name=type]")
    assert amount_type.input_value() == "number"
    amount_type.select_option("string")  # saves on change
    page.wait_for_load_state()
    page.wait_for_selector("text=is now a string")
    assert page.locator("tr:has(code:text-is('amount'))").inner_text().count("set by hand") == 1

    # revoke: the key stops working at once
    page.goto(f"{base}/settings/team/developer")
    page.click("a:has-text('Revoke')")
    page.click("button:has-text('Revoke key')")
    page.wait_for_url("**/settings/team/developer")
    shot(page, "settings-revoked")
    assert page.locator("tr.revoked").count() == 1
    resp = httpx.get(f"{base}/api/models", headers={"Authorization": f"Token {key}"})
    assert resp.status_code == 401

    # invite a teammate; they join through the link in a fresh browser context
    page.goto(f"{base}/settings/team/members")
    page.fill("input[name=email]", "mate@acme.test")
    page.click("button:has-text('Create invite link')")
    link = page.locator("#invite-link").inner_text()
    other = browser.new_context().new_page()
    other.goto(link)
    other.fill("input[name=password]", "another long passphrase")
    other.click("button:has-text('Create account and join')")
    other.wait_for_url("**/settings/team/models")
    assert "Orders" in other.content()
    other.context.close()

    # delete with confirmation
    page.goto(f"{base}/settings/team/models/{model_id}")
    page.click("a:has-text('Delete this model')")
    page.fill("input[name=confirm]", "Orders")
    page.click("button:has-text('Delete model')")
    page.wait_for_url("**/settings/team/models")
    # Only the standard models are left.
    names = page.locator("table tbody tr td:first-child").all_inner_texts()
    assert names == ["Account", "User"]


def test_rename_logout_and_login_again(browser_page, live_server, signer):
    page, base = browser_page, live_server.url
    email = signer.sign_up(page, team="Initech")
    page.fill("#add-model input[name=name]", "Orders")
    page.click("button:has-text('Add New Model')")
    model_id = page.locator("#model-id").inner_text()

    page.fill("form:has(input[name=rename]) input[name=name]", "Purchases")
    page.click("button:has-text('Rename')")
    page.wait_for_selector("text=Model renamed.")
    assert page.locator("h1").inner_text() == "Purchases"
    assert page.locator("#model-id").inner_text() == model_id  # the Model ID never changes
    shot(page, "settings-renamed")

    signer.log_out(page)
    page.goto(f"{base}/settings/team/models")
    assert "/login" in page.url  # signed out: settings redirect to sign in
    signer.log_in(page, email)
    page.goto(f"{base}/settings/team/models")
    assert "Purchases" in page.locator("table").inner_text()
    shot(page, "settings-models")


def test_used_invite_link_is_refused(browser, browser_page, live_server, signer):
    page, base = browser_page, live_server.url
    signer.sign_up(page, team="Hooli")
    page.goto(f"{base}/settings/team/members")
    page.fill("input[name=email]", "mate@hooli.test")
    page.click("button:has-text('Create invite link')")
    link = page.locator("#invite-link").inner_text()
    shot(page, "settings-members")

    # an existing user signs in from the invite page, then joins
    other = browser.new_context().new_page()
    signer.sign_up(other, email="mate@hooli.test", team="Mate's own")
    signer.log_out(other)
    other.goto(link)
    other.click("a:has-text('sign in')")
    other.fill("input[name=username]", "mate@hooli.test")
    other.fill("input[name=password]", "a long passphrase")
    other.click("button:has-text('Sign in')")
    other.wait_for_url(link)
    other.click("button:has-text('Join Hooli')")
    other.wait_for_url("**/settings/team/models")
    # Two teams now: the top bar's switcher shows the one just joined.
    switcher = other.locator(".topbar select[name=team]")
    assert switcher.evaluate("s => s.selectedOptions[0].textContent") == "Hooli"
    other.goto(link)
    assert "does not work" in other.content()
    other.context.close()
