"""Sync Stripe Customers benchmark: backfill rate vs SDK paging, webhook → visible latency,
and the accounts view sorted by MRR vs hand-written SQL.

    .venv/bin/python bench/stripe_customers.py [--customers 20000] [--invoices 3]
        [--accounts 100000] [--webhooks 200] [--pages 200] [--db sqlite|postgres]

Everything on 127.0.0.1: our Stripe emulator (in this process) seeded with C customers,
one subscription each and I invoices each; a Gather started with ``gather serve``
(granian + the embedded task consumer) on a fresh database whose Accounts model holds A
accounts, account i naming customer i mod C.

1. Yardstick: page the three lists (customers, subscriptions ``status=all``, invoices)
   with the official SDK (``auto_paging_iter``, 100 a page), the cost of merely reading
   them; also with ``raw_request`` (no typed objects), as the backfill reads.
2. Backfill: add Sync Stripe Customers through the API; time until it is ``live`` with
   every object synced.
3. Webhooks: change W customers' emails (one ``customer.updated`` webhook each, two in
   flight); for each, the time from the emulator starting the delivery until the records
   API shows the new email on an account naming that customer.
4. First page of accounts sorted by ``-stripe_customer.mrr`` (50 rows, through the HTTP
   API, P times) against the hand-written SQL for the same page run in this process.
"""

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.stripe_sync import (  # noqa: E402
    free_port,
    percentile,
    raw_paging_rate,
    start_gather,
    stop_gather,
)

PAGE = 50


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--invoices", type=int, default=3, help="invoices per customer")
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--webhooks", type=int, default=200)
    parser.add_argument("--pages", type=int, default=200, help="sorted first pages timed")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--poll", type=float, default=0.02, help="records API poll interval")
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="gather-bench-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    if args.db == "sqlite":
        db_url = f"sqlite:///{home / 'gather.db'}"
    else:
        name = f"gather_bench_{os.getpid()}"
        subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f"CREATE DATABASE {name}"],
            check=True,
        )
        db_url = f"postgres://postgres@127.0.0.1:5432/{name}"

    from tests.emulators.stripe_emulator import DEFAULT_KEY, StripeEmulator

    emu = StripeEmulator().start()
    t0 = time.perf_counter()
    customer_ids = emu.seed_billing(args.customers, invoices_per_customer=args.invoices)
    objects = args.customers * (2 + args.invoices)
    print(
        f"seeded {args.customers} customers, {args.customers} subscriptions, "
        f"{args.customers * args.invoices} invoices in {time.perf_counter() - t0:.1f}s",
        flush=True,
    )

    os.environ.update(
        GATHER_HOME=str(home),
        DATABASE_URL=db_url,
        GATHER_STRIPE_API_BASE=emu.url,
        GATHER_PUBLIC_URL=base,
        GATHER_LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="gather.settings",
    )
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from gather.accounts.services import apikey_create, team_create
    from gather.records.models import Record
    from gather.records.services import model_create

    team = team_create(name="Bench")
    _, key = apikey_create(team=team, name="bench")
    model = model_create(team=team, name="Accounts", type="custom", id_field="id")
    now = timezone.now()
    for start in range(0, args.accounts, 20_000):
        Record.objects.bulk_create(
            [
                Record(
                    model=model,
                    key=f"a{i}",
                    data={
                        "id": f"a{i}",
                        "seats": i % 50,
                        "stripe_customer_id": customer_ids[i % args.customers],
                    },
                    created_at=now,
                    updated_at=now,
                )
                for i in range(start, min(args.accounts, start + 20_000))
            ],
            batch_size=2000,
        )
    from django.db import connection, connections

    connections.close_all()
    print(f"{args.accounts} accounts stored", flush=True)

    import httpx
    import stripe

    # 1. Yardstick: the SDK merely paging through the same three lists.
    client = stripe.StripeClient(DEFAULT_KEY, base_addresses={"api": emu.url})
    lists = (
        (client.v1.customers, {}),
        (client.v1.subscriptions, {"status": "all"}),
        (client.v1.invoices, {}),
    )
    t0 = time.perf_counter()
    n = sum(
        1
        for service, extra in lists
        for _ in service.list({"limit": 100, **extra}).auto_paging_iter()
    )
    yard_rate = n / (time.perf_counter() - t0)
    assert n == objects, (n, objects)
    print(f"yardstick: SDK paging {n} objects = {yard_rate:,.0f}/s", flush=True)
    raw_rate = raw_paging_rate(
        client,
        [("/v1/customers", {}), ("/v1/subscriptions", {"status": "all"}), ("/v1/invoices", {})],
    )
    print(f"reference: SDK raw_request paging = {raw_rate:,.0f}/s", flush=True)

    server, http = start_gather(port, home, key, timeout=60)
    try:
        # 2. Backfill through the product.
        integ = http.post("/api/integrations", json={"type": "stripe", "secret_key": DEFAULT_KEY})
        integ.raise_for_status()
        iid = integ.json()["id"]
        t0 = time.perf_counter()
        task = http.post(
            f"/api/integrations/{iid}/tasks",
            json={"type": "sync_stripe_customers", "options": {"model": model.public_id}},
        )
        task.raise_for_status()
        tid = task.json()["id"]
        while True:
            got = http.get(f"/api/integrations/{iid}/tasks/{tid}").json()
            if got["status"] == "live":
                break
            if got["status"] == "error" or time.perf_counter() - t0 > 1800:
                raise SystemExit(f"backfill failed: {got}")
            time.sleep(0.1)
        backfill_s = time.perf_counter() - t0
        assert got["progress"]["synced"] == objects, got
        backfill_rate = objects / backfill_s
        print(
            f"backfill: {objects} objects in {backfill_s:.2f}s = {backfill_rate:,.0f}/s; "
            f"{backfill_rate / yard_rate:.2f} of the yardstick, "
            f"{backfill_rate / raw_rate:.2f} of raw paging",
            flush=True,
        )
        sample = http.get(f"/api/models/{model.public_id}/records/a7").json()
        assert sample["stripe_customer"]["id"] == customer_ids[7], sample

        # 3. Webhooks: a changed email, delivery start -> visible in the records API.
        w = min(args.webhooks, args.customers)
        todo = list(range(w))
        seen: dict[str, float] = {}
        lock = threading.Lock()

        def lane():
            api = httpx.Client(base_url=base, headers={"Authorization": f"Token {key}"}, timeout=30)
            sdk = stripe.StripeClient(DEFAULT_KEY, base_addresses={"api": emu.url})
            while True:
                with lock:
                    if not todo:
                        return
                    i = todo.pop(0)
                cid, email = customer_ids[i], f"changed{i}@example.com"
                sdk.v1.customers.update(cid, {"email": email})
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline:
                    rec = api.get(f"/api/models/{model.public_id}/records/a{i}").json()
                    if (rec.get("stripe_customer") or {}).get("email") == email:
                        seen[cid] = time.time()
                        break
                    time.sleep(args.poll)

        lanes = [threading.Thread(target=lane) for _ in range(2)]
        for t in lanes:
            t.start()
        for t in lanes:
            t.join()
        by_event = {
            e["id"]: e["data"]["object"]["id"]
            for e in emu.events.items
            if e["type"] == "customer.updated"
        }
        sent: dict[str, float] = {}
        for d in emu.deliveries:
            cid = by_event.get(d["event"])
            if cid and cid not in sent:
                sent[cid] = d["sent_at"]
        lat = [seen[c] - sent[c] for c in seen if c in sent]
        p50, p95 = percentile(lat, 50), percentile(lat, 95)
        print(
            f"webhooks: {len(lat)}/{w} visible; delivery→visible p50 {p50 * 1000:.0f} ms, "
            f"p95 {p95 * 1000:.0f} ms, max {max(lat) * 1000:.0f} ms",
            flush=True,
        )

        # 4. The accounts view's first page sorted by MRR: API vs hand-written SQL.
        url = f"/api/models/{model.public_id}/records"
        params = {"sort": "-stripe_customer.mrr", "limit": PAGE}
        first = http.get(url, params=params).json()["data"]  # warm (and index request)
        time.sleep(2)
        api_ms = []
        for _ in range(args.pages):
            t0 = time.perf_counter()
            resp = http.get(url, params=params)
            api_ms.append((time.perf_counter() - t0) * 1000)
            assert resp.status_code == 200
        if connection.vendor == "postgresql":
            mrr = "(c.data->>'mrr')::numeric"
            key_expr = "r.data->>'stripe_customer_id'"
        else:
            mrr = "json_extract(c.data, '$.mrr')"
            key_expr = "json_extract(r.data, '$.stripe_customer_id')"
        sql = (
            "SELECT r.key, r.data, c.data FROM gather_record r "
            "LEFT JOIN gather_stripe_customer c ON c.integration_id = "
            "(SELECT id FROM gather_integration WHERE public_id = %s) "
            f"AND c.customer_id = {key_expr} WHERE r.model_id = %s "
            f"ORDER BY {mrr} DESC NULLS LAST, r.id DESC LIMIT {PAGE}"
        )
        sql_ms = []
        with connection.cursor() as cur:
            for _ in range(args.pages):
                t0 = time.perf_counter()
                cur.execute(sql, [iid, model.pk])
                rows = cur.fetchall()
                sql_ms.append((time.perf_counter() - t0) * 1000)
        top_api = [r["stripe_customer"]["mrr"] for r in first]
        import orjson

        top_sql = [
            (orjson.loads(c) if isinstance(c, str | bytes) else c)["mrr"] for _, _, c in rows
        ]
        assert top_api == top_sql, (top_api[:5], top_sql[:5])
        api95, sql95 = percentile(api_ms, 95), percentile(sql_ms, 95)
        print(
            f"mrr-sorted first page over {args.accounts} accounts: API p50 "
            f"{percentile(api_ms, 50):.0f} ms p95 {api95:.0f} ms; hand-written SQL p50 "
            f"{percentile(sql_ms, 50):.0f} ms p95 {sql95:.0f} ms",
            flush=True,
        )
        print(
            "\n| date | machine | db | customers / subs / invoices | accounts | yardstick "
            "(SDK paging) | raw paging | backfill | ratio | webhook→visible p50 / p95 "
            "| mrr page p95 API / SQL |\n|---|---|---|---|---|---|---|---|---|---|---|\n"
            f"| {datetime.now(UTC):%Y-%m-%d %H:%M} UTC | {platform.machine()} "
            f"{os.cpu_count()} cores, Python {platform.python_version()} | {args.db} "
            f"| {args.customers:,} / {args.customers:,} / {args.customers * args.invoices:,} "
            f"| {args.accounts:,} | {yard_rate:,.0f}/s | {raw_rate:,.0f}/s "
            f"| {backfill_rate:,.0f}/s | {backfill_rate / yard_rate:.2f} "
            f"(raw {backfill_rate / raw_rate:.2f}) | {p50 * 1000:.0f} / {p95 * 1000:.0f} ms "
            f"({len(lat)}/{w}) | {api95:.0f} / {sql95:.0f} ms |",
            flush=True,
        )
    finally:
        stop_gather(server)
        emu.stop()
        if args.db == "postgres":
            connections.close_all()
            subprocess.run(
                ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f"DROP DATABASE {name}"],
                check=False,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
