"""Stripe sync benchmark: backfill rate vs SDK paging, and webhook → visible latency.

    .venv/bin/python bench/stripe_sync.py [--charges 50000] [--webhooks 1000] [--db sqlite|postgres]

Runs everything on 127.0.0.1: our Stripe emulator (in this process) seeded with N charges,
a Gather started with ``gather serve`` (granian + the embedded task consumer) on a fresh
database whose Orders model already holds N orders referencing those charges.

1. Yardstick: page through the N charges with the official SDK (``auto_paging_iter``,
   100 a page), i.e. the cost of merely reading them.
2. Backfill: add the Sync Stripe Charges task through the API; time from the task's
   creation until the API reports it ``live`` with N charges synced.
3. Webhooks: refund W charges (one ``charge.refunded`` webhook each, ``--lanes`` in
   flight at a time, each polling its order every ``--poll`` s); for each,
   the time from the emulator starting the delivery until the records API shows the new
   ``stripe_charge.amount_refunded`` on the order that references the charge.
"""

import argparse
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values, p):
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))
    return values[k]


def raw_paging_rate(client, lists) -> float:
    """Objects per second paging each (path, params) list with the SDK's raw_request (no
    typed objects), as the backfill reads: the stricter reference."""
    t0, n = time.perf_counter(), 0
    for path, extra in lists:
        after = None
        while True:
            params = {"limit": 100, **extra, **({"starting_after": after} if after else {})}
            page = client.raw_request("get", path, **params).data
            n += len(page["data"])
            if not page["has_more"]:
                break
            after = page["data"][-1]["id"]
    return n / (time.perf_counter() - t0)


def start_gather(port: int, home: Path, key: str, timeout: float):
    """`gather serve` on ``port`` (two web processes), and a client for its API once
    /healthz answers."""
    server = subprocess.Popen(
        [sys.executable, "-m", "gather.cli", "serve", "--port", str(port), "--workers", "2"],
        cwd=ROOT,
        env=os.environ.copy(),
        start_new_session=True,
        stdout=open(home / "server.log", "wb"),  # noqa: SIM115 - closed with the process
        stderr=subprocess.STDOUT,
    )
    http = httpx.Client(
        base_url=f"http://127.0.0.1:{port}",
        headers={"Authorization": f"Token {key}"},
        timeout=timeout,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            if http.get("/healthz").status_code == 200:
                return server, http
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or server.poll() is not None:
            stop_gather(server)
            raise SystemExit("gather serve did not start")
        time.sleep(0.2)


def stop_gather(server) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--charges", type=int, default=50_000)
    parser.add_argument("--webhooks", type=int, default=1000)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--lanes", type=int, default=2, help="refunds in flight at once")
    parser.add_argument("--poll", type=float, default=0.02, help="records API poll interval")
    parser.add_argument("--verbose", action="store_true", help="list the slowest webhooks")
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
    ids = emu.seed_charges(args.charges)
    print(f"seeded {args.charges} charges in {time.perf_counter() - t0:.1f}s", flush=True)

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
    model = model_create(team=team, name="Orders", type="custom", id_field="id")
    now = timezone.now()
    Record.objects.bulk_create(
        [
            Record(
                model=model,
                key=f"o{i}",
                data={"id": f"o{i}", "amount": i % 997, "stripe_charge_id": cid},
                created_at=now,
                updated_at=now,
            )
            for i, cid in enumerate(ids)
        ],
        batch_size=2000,
    )
    from django.db import connections

    connections.close_all()
    print(f"{args.charges} orders stored", flush=True)

    import stripe

    # 1. Yardstick: the SDK merely paging through the same charges.
    client = stripe.StripeClient(DEFAULT_KEY, base_addresses={"api": emu.url})
    t0 = time.perf_counter()
    n = sum(1 for _ in client.v1.charges.list({"limit": 100}).auto_paging_iter())
    yard_s = time.perf_counter() - t0
    assert n == args.charges
    yard_rate = n / yard_s
    print(f"yardstick: SDK paging {n} charges in {yard_s:.2f}s = {yard_rate:,.0f}/s", flush=True)
    # A stricter reference: the SDK's raw_request (no typed objects), as the backfill reads.
    raw_rate = raw_paging_rate(client, [("/v1/charges", {})])
    print(f"reference: SDK raw_request paging = {raw_rate:,.0f}/s", flush=True)

    server, http = start_gather(port, home, key, timeout=30)
    try:
        # 2. Backfill through the product: connect, add the task, wait for live.
        integ = http.post("/api/integrations", json={"type": "stripe", "secret_key": DEFAULT_KEY})
        integ.raise_for_status()
        iid = integ.json()["id"]
        t0 = time.perf_counter()
        task = http.post(
            f"/api/integrations/{iid}/tasks",
            json={
                "type": "sync_stripe_charges",
                "options": {"model": model.public_id, "charge_id_field": "stripe_charge_id"},
            },
        )
        task.raise_for_status()
        tid = task.json()["id"]
        while True:
            got = http.get(f"/api/integrations/{iid}/tasks/{tid}").json()
            if got["status"] == "live":
                break
            if got["status"] == "error" or time.perf_counter() - t0 > 600:
                raise SystemExit(f"backfill failed: {got}")
            time.sleep(0.05)
        backfill_s = time.perf_counter() - t0
        assert got["progress"]["synced"] == args.charges, got
        backfill_rate = args.charges / backfill_s
        print(
            f"backfill: {args.charges} charges in {backfill_s:.2f}s = {backfill_rate:,.0f}/s "
            f"(runner's own rate {got['progress']['rate']:,.0f}/s); "
            f"{backfill_rate / yard_rate:.0%} of the yardstick, "
            f"{backfill_rate / raw_rate:.0%} of raw paging",
            flush=True,
        )
        sample = http.get(f"/api/models/{model.public_id}/records/o7").json()
        assert sample["stripe_charge"]["id"] == ids[7], sample

        # 3. Webhooks: refund W charges; time delivery start -> visible in the records API.
        refundable = [
            i
            for i, cid in enumerate(ids)
            if (c := emu.get_charge(cid))["status"] == "succeeded" and not c["refunded"]
        ]
        w = min(args.webhooks, len(refundable))
        seen: dict[str, float] = {}
        queue_ = list(refundable[:w])
        lock = threading.Lock()

        def lane():
            api = httpx.Client(base_url=base, headers={"Authorization": f"Token {key}"}, timeout=30)
            sdk = stripe.StripeClient(DEFAULT_KEY, base_addresses={"api": emu.url})
            while True:
                with lock:
                    if not queue_:
                        return
                    i = queue_.pop(0)
                cid = ids[i]
                sdk.v1.refunds.create({"charge": cid, "amount": 1})
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline:
                    rec = api.get(f"/api/models/{model.public_id}/records/o{i}").json()
                    if (rec.get("stripe_charge") or {}).get("amount_refunded") == 1:
                        seen[cid] = time.time()
                        break
                    time.sleep(args.poll)

        lanes = [threading.Thread(target=lane) for _ in range(args.lanes)]
        for t in lanes:
            t.start()
        for t in lanes:
            t.join()
        by_event_charge = {}
        for event in emu.events.items:
            if event["type"] == "charge.refunded":
                by_event_charge[event["id"]] = event["data"]["object"]["id"]
        sent = {}
        for d in emu.deliveries:
            cid = by_event_charge.get(d["event"])
            if cid and cid not in sent:
                sent[cid] = d["sent_at"]
        lat = [seen[c] - sent[c] for c in seen if c in sent]
        if args.verbose:
            first = min(sent.values())
            worst = sorted(((seen[c] - sent[c], sent[c] - first) for c in seen), reverse=True)
            for latency, offset in worst[:15]:
                print(f"  sent at +{offset:6.2f}s took {latency * 1000:6.0f} ms")
        missing = w - len(lat)
        p50, p95 = percentile(lat, 50), percentile(lat, 95)
        print(
            f"webhooks: {len(lat)}/{w} visible; delivery→visible p50 {p50 * 1000:.0f} ms, "
            f"p95 {p95 * 1000:.0f} ms, max {max(lat) * 1000:.0f} ms"
            + (f"; {missing} not visible within 60 s" if missing else ""),
            flush=True,
        )
        failed = [d for d in emu.deliveries if d["status"] != 200]
        print(
            f"\n| date | machine | db | charges | yardstick (SDK paging) | raw paging | backfill "
            f"| ratio | webhooks | p50 | p95 |\n|---|---|---|---|---|---|---|---|---|---|---|\n"
            f"| {datetime.now(UTC):%Y-%m-%d %H:%M} UTC | {platform.machine()} "
            f"{os.cpu_count()} cores, Python {platform.python_version()} | {args.db} "
            f"| {args.charges:,} | {yard_rate:,.0f}/s | {raw_rate:,.0f}/s | {backfill_rate:,.0f}/s "
            f"| {backfill_rate / yard_rate:.2f} (raw {backfill_rate / raw_rate:.2f}) "
            f"| {len(lat)}/{w} ({len(failed)} failed deliveries)"
            f" | {p50 * 1000:.0f} ms | {p95 * 1000:.0f} ms |",
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
