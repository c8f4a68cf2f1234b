"""ChargesStream: backfill every charge, then follow ``charge.*`` events.

State (``IntegrationTask.state``), committed with each page of charges it describes:
``{"cursor": "<last charge id written>" | None, "done": bool}``. Pages are listed
newest first with ``starting_after``, which is stable while new charges arrive at the
front (they reach Gather as events instead). A prefetch thread fetches the next page
while the current one is written.
"""

from __future__ import annotations

import queue
import threading
import time

import stripe

from gather.integrations.runner import RunContext

from .client import get, translate
from .store import charges_upsert

PAGE_SIZE = 100
PREFETCH_PAGES = 3  # pages fetched ahead of the one being written
RATE_LIMIT_RETRIES = 5


def _fetch_with_backoff(fetch, stop: threading.Event):
    """429 is not retried by the SDK: back off here (1, 2, 4, 8, 16 s) before giving up."""
    delay = 1.0
    for attempt in range(RATE_LIMIT_RETRIES + 1):
        try:
            return fetch()
        except stripe.RateLimitError as exc:
            if attempt == RATE_LIMIT_RETRIES or stop.wait(delay):
                raise translate(exc) from exc
            delay *= 2
        except stripe.StripeError as exc:
            raise translate(exc) from exc
    raise AssertionError("unreachable")


class ChargesStream:
    name = "charges"
    primary_key = "id"
    path = "/v1/charges"  # any Stripe list endpoint pages the same way
    list_params: dict = {}

    def __init__(self, client: stripe.StripeClient, integration_id: int):
        self.client = client
        self.integration_id = integration_id

    def pages(self, cursor: str | None, stop: threading.Event, on_wait=None):
        """Yield (charges, has_more, fetched_at) from ``cursor`` on, one page ahead."""
        out: queue.Queue = queue.Queue(maxsize=PREFETCH_PAGES)

        def produce():
            after = cursor
            try:
                while not stop.is_set():
                    params = {"limit": PAGE_SIZE, **self.list_params}
                    if after:
                        params["starting_after"] = after
                    sent = time.time()
                    page = _fetch_with_backoff(
                        lambda p=params: get(self.client, self.path, **p), stop
                    )
                    data = page.get("data") or []
                    has_more = bool(page.get("has_more")) and bool(data)
                    out.put((data, has_more, sent))
                    if not has_more:
                        return
                    after = data[-1]["id"]
            except BaseException as exc:  # handed to the consumer, which re-raises it
                out.put(exc)

        thread = threading.Thread(target=produce, daemon=True, name="stripe-prefetch")
        thread.start()
        try:
            while True:
                try:
                    item = out.get(timeout=5)
                except queue.Empty:
                    if on_wait is not None:
                        on_wait()  # e.g. renew the lease during a long backoff
                    continue
                if isinstance(item, BaseException):
                    raise item
                yield item
                if not item[1]:
                    return
        finally:
            stop.set()
            # Unblock a producer waiting on a full queue.
            while thread.is_alive():
                try:
                    out.get_nowait()
                except queue.Empty:
                    thread.join(timeout=0.05)

    def backfill(self, ctx: RunContext) -> None:
        if ctx.state.get("done"):
            return
        stop = threading.Event()
        cursor = ctx.state.get("cursor")
        ctx.progress["phase"] = "backfill"
        for charges, has_more, fetched_at in self.pages(cursor, stop, ctx.heartbeat):
            state = {"cursor": charges[-1]["id"] if charges else cursor, "done": not has_more}
            ctx.checkpoint(
                state=state,
                synced=len(charges),
                write=lambda c=charges, v=fetched_at: charges_upsert(
                    integration_id=self.integration_id, charges=c, version=v
                ),
            )
            cursor = state["cursor"]
        if not ctx.state.get("done"):
            ctx.checkpoint(state={"cursor": cursor, "done": True}, synced=0)
