"""GATHER_PUBLIC_URL: Stripe's webhook endpoint follows it, and failing deliveries show."""

import json
import time

import pytest
import stripe
from django.test import Client

from gather.cli import default_public_url
from gather.integrations.models import IntegrationTask
from gather.integrations.services import task_poll
from tests.factories import make_user
from tests.integrations.helpers import add_task, connect, get_task, task_row

OLD = "http://127.0.0.1:9"
NEW = "http://127.0.0.1:19"


@pytest.mark.parametrize(
    ("host", "port", "url"),
    [("127.0.0.1", 8123, "http://127.0.0.1:8123"), ("0.0.0.0", 9000, "http://127.0.0.1:9000"),  # noqa: S104
     ("::", 80, "http://127.0.0.1:80"), ("::1", 8001, "http://[::1]:8001"),
     ("gather.internal", 8000, "http://gather.internal:8000")],
)  # fmt: skip
def test_default_public_url_follows_host_and_port(host, port, url):
    assert default_public_url(host, port) == url


def test_task_action_points_the_endpoint_at_a_new_public_url(api, orders, stripe_env, settings):
    integ = connect(api)
    task = add_task(api, integ["id"], orders.public_id)
    (endpoint,) = stripe_env.endpoints.values()
    assert endpoint["url"] == f"{OLD}/webhooks/stripe/{integ['id']}"
    base = f"/api/integrations/{integ['id']}/tasks/{task['id']}"

    settings.PUBLIC_URL = NEW
    assert api.post(f"{base}/pause").status_code == 200
    assert list(stripe_env.endpoints) == [endpoint["id"]]  # the same endpoint, re-pointed
    assert endpoint["url"] == f"{NEW}/webhooks/stripe/{integ['id']}"
    shown = get_task(api, integ["id"], task["id"])["keep_current"]
    assert shown["webhook_url"] == endpoint["url"] and shown["mode"] == "webhook"

    # An endpoint deleted in Stripe's dashboard is registered again on the next action.
    stripe_env.endpoints.clear()
    settings.PUBLIC_URL = OLD
    assert api.post(f"{base}/resume").status_code == 200
    (again,) = stripe_env.endpoints.values()
    assert again["url"] == f"{OLD}/webhooks/stripe/{integ['id']}"
    assert task_row(task["id"]).webhook_endpoint_id == again["id"]


def test_failed_registration_is_tried_again_for_a_new_public_url(api, orders, stripe_env, settings):
    stripe_env.refuse_webhook_endpoints()
    integ = connect(api)
    task = add_task(api, integ["id"], orders.public_id)
    assert get_task(api, integ["id"], task["id"])["keep_current"]["mode"] == "polling"
    stripe_env.refuse_endpoints = None
    settings.PUBLIC_URL = NEW
    api.post(f"/api/integrations/{integ['id']}/tasks/{task['id']}/pause")
    (endpoint,) = stripe_env.endpoints.values()
    assert endpoint["url"] == f"{NEW}/webhooks/stripe/{integ['id']}"
    assert get_task(api, integ["id"], task["id"])["keep_current"]["mode"] == "webhook"


def _created_minutes_ago(task_id: str, minutes: int) -> None:
    """The task, its endpoint and its poll cursor as they were ``minutes`` ago."""
    row = task_row(task_id)
    then = int(time.time()) - minutes * 60
    IntegrationTask.objects.filter(pk=row.pk).update(
        keep_current={**row.keep_current, "since": then}, poll_state={"since": then - 60}
    )


def test_task_page_shows_webhooks_that_stopped_arriving(api, team, orders, stripe_env):
    ids = stripe_env.seed_charges(2)
    integ = connect(api)
    task = add_task(api, integ["id"], orders.public_id)
    _created_minutes_ago(task["id"], 15)
    # Stripe's event 5 minutes ago; its delivery to GATHER_PUBLIC_URL (port 9) failed.
    stripe_env.clock_offset = -300
    sdk = stripe.StripeClient("sk_test_emulator", base_addresses={"api": stripe_env.url})
    sdk.v1.refunds.create({"charge": ids[0], "amount": 100})
    stripe_env.clock_offset = 0
    assert get_task(api, integ["id"], task["id"])["keep_current"]["delivery_problem"] is None

    assert task_poll(task_pk=task_row(task["id"]).pk) == 1
    problem = get_task(api, integ["id"], task["id"])["keep_current"]["delivery_problem"]
    assert problem.startswith("No webhook received for 15 minutes while Stripe has newer events")
    assert "Check GATHER_PUBLIC_URL" in problem and f"{OLD}/webhooks/stripe/" in problem
    browser = Client()
    browser.force_login(make_user(team))
    page = browser.get(f"/settings/team/integrations/{integ['id']}/tasks").content.decode()
    assert "No webhook received for 15 minutes" in page

    # A webhook that arrives afterwards: deliveries work again, the warning goes.
    (endpoint,) = stripe_env.endpoints.values()
    charge = sdk.v1.charges.create({"amount": 700, "currency": "usd"})
    event = next(e for e in stripe_env.events.items if e["data"]["object"]["id"] == charge.id)
    body = json.dumps(event)
    header = stripe.WebhookSignature.generate_signature_header(body, endpoint["secret"])
    resp = Client().post(
        f"/webhooks/stripe/{integ['id']}",
        body,
        content_type="application/json",
        headers={"Stripe-Signature": header},
    )
    assert resp.status_code == 200
    assert get_task(api, integ["id"], task["id"])["keep_current"]["delivery_problem"] is None


def test_events_before_the_endpoint_existed_are_not_missed_deliveries(api, orders, stripe_env):
    ids = stripe_env.seed_charges(1)
    stripe_env.clock_offset = -300
    sdk = stripe.StripeClient("sk_test_emulator", base_addresses={"api": stripe_env.url})
    sdk.v1.refunds.create({"charge": ids[0], "amount": 100})
    stripe_env.clock_offset = 0
    integ = connect(api)
    task = add_task(api, integ["id"], orders.public_id)
    row = task_row(task["id"])
    IntegrationTask.objects.filter(pk=row.pk).update(poll_state={"since": 0})
    assert task_poll(task_pk=row.pk) == 1
    assert get_task(api, integ["id"], task["id"])["keep_current"]["delivery_problem"] is None
