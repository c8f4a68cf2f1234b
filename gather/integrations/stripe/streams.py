"""ChargesStream: backfill every charge, then follow ``charge.*`` events.

State (``IntegrationTask.state``), committed with each page of charges it describes:
``{"cursor": "<last charge id written>" | None, "done": bool}``. Progress also records
the ``created`` of the newest charge, of the last one written and of the account's
oldest (found beside the backfill), for the estimate of what is left (decision 018).
Pages are listed newest first with ``starting_after``, which is stable while new charges
arrive at the front (they reach Gather as events instead). A prefetch thread fetches the
next page while the current one is written.
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
STRIPE_EPOCH = 1262304000  # 2010-01-01: no Stripe charge is older


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

    def pages(self, cursor: str | None, stop: threading.Event, on_wait=None, after_first=None):
        """Yield (charges, has_more, fetched_at) from ``cursor`` on, one page ahead.

        ``after_first(charges)`` runs in the fetching thread once the first page is
        handed over (the page is written meanwhile), before the next page is fetched.
        """
        out: queue.Queue = queue.Queue(maxsize=PREFETCH_PAGES)

        def produce():
            after, first = cursor, True
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
                    if first and after_first is not None:
                        after_first(data)
                    first = False
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

    def oldest_created(self, newest: int, stop: threading.Event) -> int | None:
        """The ``created`` of the account's oldest charge, to the second: a bisection with
        ``created[lt]`` and ``limit=1`` (about 30 requests once per backfill, made while
        the first page is written). None when the server cannot filter by ``created``
        (localstripe answers 500)."""
        lo, hi = STRIPE_EPOCH, newest + 1  # no charge before lo; one before hi
        try:
            if get(self.client, "/v1/charges", limit=1, created={"lt": lo}).get("data"):
                return None
            while hi - lo > 1 and not stop.is_set():
                mid = (lo + hi) // 2
                page = get(self.client, "/v1/charges", limit=1, created={"lt": mid})
                if page.get("data"):
                    hi = mid
                else:
                    lo = mid
        except stripe.StripeError:
            return None
        return None if stop.is_set() else lo

    def backfill(self, ctx: RunContext) -> None:
        if ctx.state.get("done"):
            return
        stop = threading.Event()
        cursor = ctx.state.get("cursor")
        ctx.progress["phase"] = "backfill"
        found: dict = {}

        def find_oldest(first_page):
            if "oldest" not in ctx.progress and first_page:
                newest = ctx.progress.get("newest") or max(c["created"] for c in first_page)
                found["oldest"] = self.oldest_created(int(newest), stop)

        pages = self.pages(cursor, stop, ctx.heartbeat, after_first=find_oldest)
        for charges, has_more, fetched_at in pages:
            if charges:
                if "newest" not in ctx.progress:
                    ctx.progress["newest"] = max(int(c["created"]) for c in charges)
                ctx.progress["position"] = int(charges[-1]["created"])
                if found.get("oldest") is not None:
                    ctx.progress["oldest"] = found["oldest"]
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
