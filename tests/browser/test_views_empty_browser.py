"""A view whose filter matches nothing says so where the user looks."""

import httpx
import pytest

from tests.factories import make_key, make_model, make_team, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery"


def within_viewport(page, locator) -> bool:
    box = locator.bounding_box()
    size = page.viewport_size
    return (
        box is not None
        and box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= size["width"]
        and box["y"] + box["height"] <= size["height"]
    )


def test_no_match_message_is_in_view_on_a_wide_grid(browser_page, live_server):
    page, base = browser_page, live_server.url
    team = make_team("Acme")
    user = make_user(team, email="cs@acme.test", password=PASSWORD)
    model = make_model(team, "Orders", "id")
    key = make_key(team)
    # 60 columns: the header row is several viewports wide.
    record = {"id": "1001", **{f"a_rather_long_field_name_{n:02}": "some value" for n in range(60)}}
    with httpx.Client(base_url=base, headers={"Authorization": f"Token {key}"}) as http:
        assert http.post(f"/api/models/{model.public_id}/records", json=record).is_success
        view = http.post("/api/views", json={"name": "Wide", "model": model.public_id}).json()

    page.goto(f"{base}/login")
    page.fill("input[name=username]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url("**/views**")

    page.goto(f"{base}/views/{view['id']}?edit=1&q=nothing-has-this")
    assert page.locator("table.grid").bounding_box()["width"] > 3 * page.viewport_size["width"]
    message = page.get_by_text("No records match.")
    assert message.is_visible()
    assert within_viewport(page, message)

    # Scrolled to the far right of the headers, the message is still on screen.
    page.locator(".grid-wrap").evaluate("el => { el.scrollLeft = el.scrollWidth }")
    assert within_viewport(page, message)
