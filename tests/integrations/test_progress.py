"""A backfill's progress in words: whole numbers with separators, and what is left."""

import threading
from datetime import UTC, datetime

import pytest

from gather.integrations.progress import estimate_left, progress_text
from gather.integrations.stripe.client import stripe_client
from gather.integrations.stripe.streams import ChargesStream
from tests.integrations.helpers import add_task, connect, get_task

MARCH_3 = int(datetime(2025, 3, 3, 12, tzinfo=UTC).timestamp())


def test_progress_text_reads_like_the_example():
    progress = {
        "synced": 89700, "rate": 8897.5, "phase": "backfill",
        "newest": MARCH_3 + 89_700, "position": MARCH_3, "oldest": MARCH_3 - 1_067_700,
    }  # fmt: skip
    assert estimate_left(progress) == 1_067_700  # a charge a second so far, and on
    assert progress_text(progress, "backfilling", "charges") == (
        "89,700 charges synced · 8,898 charges/s · back to 3 Mar 2025 · about 2 min left"
    )
    progress["oldest"] = MARCH_3 - 10 * 1_067_700
    assert progress_text(progress, "backfilling", "charges").endswith("about 20 min left")
    progress["oldest"] = MARCH_3 - 10_000
    assert progress_text(progress, "backfilling", "charges").endswith("less than a minute left")


BACK = "1,234 charges synced · 57 charges/s · back to 3 Mar 2025"


@pytest.mark.parametrize(
    ("extra", "status", "text"),
    [({}, "backfilling", BACK),  # where history ends is unknown: no time left
     ({"oldest": MARCH_3 - 500}, "error", BACK),  # not running: no time left
     ({"oldest": MARCH_3 - 10**7}, "backfilling", BACK + " · about 36 min left"),
     ({"oldest": MARCH_3 - 10**8}, "backfilling", BACK + " · about 6.1 h left"),
     ({"oldest": MARCH_3 - 10**9}, "backfilling", BACK + " · about 61 h left"),
     ({"oldest": MARCH_3}, "backfilling", BACK + " · less than a minute left"),
     ({"finished_at": "2026-01-01T00:00:00+00:00"}, "live", "1,234 charges synced · 57 charges/s")],
)  # fmt: skip
def test_progress_text_says_only_what_is_known(extra, status, text):
    progress = {"synced": 1234, "rate": 56.6, "newest": MARCH_3 + 100_000, "position": MARCH_3}
    assert progress_text({**progress, **extra}, status, "charges") == text


def test_progress_text_without_a_rate_or_charges():
    assert progress_text({}, "pending", "charges") == "0 charges synced"


def test_oldest_charge_is_found_by_bisection(stripe_env):
    start = 1_600_000_000
    stripe_env.seed_charges(500, start=start, per_second=2)
    stream = ChargesStream(stripe_client("sk_test_emulator"), integration_id=0)
    assert stream.oldest_created(start + 300, threading.Event()) == start


def test_backfill_progress_estimates_what_is_left(api, orders, stripe_env):
    start = MARCH_3
    stripe_env.seed_charges(1000, start=start, per_second=1)  # one a second, 3 Mar 2025 on
    stripe_env.add_key("sk_test_later")
    integ = connect(api)
    # The key is rolled while the fourth page is read: the backfill stops after 300.
    stripe_env.inject_fault("revoke", path="/v1/charges", after=2, query="starting_after")
    task = add_task(api, integ["id"], orders.public_id)
    task = get_task(api, integ["id"], task["id"])
    progress = task["progress"]
    assert task["status"] == "error" and progress["synced"] == 300
    assert progress["newest"] == start + 999 and progress["position"] == start + 700
    assert progress["oldest"] == start
    assert 695 <= progress["estimated_left"] <= 705 and progress["seconds_left"] is None
    assert task["progress_text"].startswith("300 charges synced · ")
    assert task["progress_text"].endswith(" charges/s · back to 3 Mar 2025")

    resp = api.patch(f"/api/integrations/{integ['id']}", {"secret_key": "sk_test_later"})
    assert resp.status_code == 200
    task = api.post(f"/api/integrations/{integ['id']}/tasks/{task['id']}/resume").json()
    task = get_task(api, integ["id"], task["id"])
    assert task["status"] == "live" and task["progress_text"].startswith("1,000 charges synced")
    assert "estimated_left" not in task["progress"] and "back to" not in task["progress_text"]
