"""Ingest benchmark: how fast a running Gather server takes records in.

It starts nothing itself. It measures, against the server at --url:

1. single-record POSTs in the guide's form-encoded shape (``id=..&amount=75&stripe_charge_id=..``)
   with 1 and with 8 concurrent keep-alive clients (each client is its own process, so
   the load generator is not held back by one interpreter's GIL);
2. batch upserts of 1,000 records (a JSON array each) from 1 and 2 clients;
3. the yardstick: the same kind of records merge-upserted straight into the same database
   (--database-url) with one SQL statement per 1,000 rows, as research measured
   (PostgreSQL ``INSERT..SELECT FROM jsonb_array_elements($1) ON CONFLICT DO UPDATE SET
   data = data || EXCLUDED.data``; SQLite ``INSERT..SELECT FROM json_each(?) WHERE true
   ON CONFLICT DO UPDATE SET data = json_patch(data, excluded.data)``).

All records get fresh IDs (the insert path); the yardstick's rows are deleted afterwards.

Start a server on SQLite::

    export GATHER_HOME=/tmp/gather-bench-sqlite
    gather serve --port 8001 &
    gather init --email bench@example.com --password 'bench bench' --team Bench
    KEY=$(gather apikey create --team Bench)
    MODEL=$(curl -s localhost:8001/api/models -H "Authorization: Token $KEY" \\
        -H 'Content-Type: application/json' -d '{"name": "Orders", "id_field": "id"}' \\
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
    python bench/ingest.py --url http://127.0.0.1:8001 --key $KEY --model $MODEL \\
        --database-url sqlite:///$GATHER_HOME/gather.db

On PostgreSQL, the same with ``export DATABASE_URL=postgres://postgres@127.0.0.1:5432/gather_bench``
(create the database first: ``createdb -h 127.0.0.1 -U postgres gather_bench``) and
``--database-url $DATABASE_URL``. Results go to stdout as a table and, with --json, to a file.
"""

import argparse
import http.client
import json
import multiprocessing as mp
import os
import platform
import sqlite3
import time
import uuid
from datetime import UTC, datetime
from urllib.parse import urlencode, urlsplit

BATCH = 1000


def record(run: str, n: int) -> dict:
    """A record like research's: 8 top-level fields, about 250 bytes of JSON."""
    return {
        "id": f"{run}-{n}",
        "amount": 1000 + n % 9000,
        "currency": "usd",
        "status": ("paid", "open", "failed")[n % 3],
        "email": f"customer{n}@example.com",
        "created": f"2026-11-{1 + n % 28:02d}T12:00:00Z",
        "profile": {"city": "Lyon", "plan": "pro", "tags": ["a", "b"], "score": n % 100},
        "stripe_charge_id": f"ch_{run}_{n}",
    }


def connect(url: str) -> http.client.HTTPConnection:
    parts = urlsplit(url)
    return http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=120)


def post(conn, path: str, body: bytes, content_type: str, key: str) -> int:
    conn.request(
        "POST", path, body, {"Content-Type": content_type, "Authorization": f"Token {key}"}
    )
    resp = conn.getresponse()
    resp.read()
    return resp.status


def single_client(args, run: str, client: int, count: int, start_at: float, out) -> None:
    conn = connect(args.url)
    path = f"/api/models/{args.model}/records"
    bodies = [
        urlencode(
            {"id": f"{run}-c{client}-{i}", "amount": "75", "stripe_charge_id": f"ch_{i}"}
        ).encode()
        for i in range(count)
    ]
    post(conn, path, b"id=warmup&amount=1", "application/x-www-form-urlencoded", args.key)
    while time.time() < start_at:
        time.sleep(0.001)
    t0 = time.perf_counter()
    bad = 0
    for body in bodies:
        if post(conn, path, body, "application/x-www-form-urlencoded", args.key) not in (200, 201):
            bad += 1
    out.put((time.perf_counter() - t0, count, bad))


def batch_client(args, run: str, client: int, batches: int, start_at: float, out) -> None:
    conn = connect(args.url)
    path = f"/api/models/{args.model}/records/batch"
    bodies = [
        json.dumps([record(f"{run}-b{client}-{b}", n) for n in range(BATCH)]).encode()
        for b in range(batches)
    ]
    while time.time() < start_at:
        time.sleep(0.001)
    t0 = time.perf_counter()
    bad = 0
    for body in bodies:
        if post(conn, path, body, "application/json", args.key) != 200:
            bad += 1
    out.put((time.perf_counter() - t0, batches * BATCH, bad))


def run_clients(target, args, clients: int, per_client: int) -> tuple[float, int, int]:
    """Run `clients` processes at once; returns (wall seconds, items, failures)."""
    run = uuid.uuid4().hex[:8]
    out = mp.Queue()
    start_at = time.time() + 1.5 + 0.2 * clients  # every process is ready (bodies built)
    procs = [
        mp.Process(target=target, args=(args, run, c, per_client, start_at, out))
        for c in range(clients)
    ]
    for p in procs:
        p.start()
    results = [out.get() for _ in procs]
    for p in procs:
        p.join()
    wall = max(r[0] for r in results)
    return wall, sum(r[1] for r in results), sum(r[2] for r in results)


def yardstick_postgres(database_url: str, model: str, batches: int) -> float:
    import psycopg

    run = uuid.uuid4().hex[:8]
    sql = """
        INSERT INTO gather_record (model_id, key, data, created_at, updated_at)
        SELECT %s, e->>'id', e, now(), now() FROM jsonb_array_elements(%s::jsonb) AS e
        ON CONFLICT (model_id, key) DO UPDATE
           SET data = gather_record.data || EXCLUDED.data, updated_at = now()
    """
    bodies = [json.dumps([record(f"{run}-y{b}", n) for n in range(BATCH)]) for b in range(batches)]
    with psycopg.connect(database_url, autocommit=True) as conn:
        model_pk = conn.execute("SELECT id FROM gather_model WHERE public_id = %s", [model])
        model_pk = model_pk.fetchone()[0]
        t0 = time.perf_counter()
        for body in bodies:
            conn.execute(sql, [model_pk, body])
        elapsed = time.perf_counter() - t0
        conn.execute("DELETE FROM gather_record WHERE key LIKE %s", [f"{run}-y%"])
    return batches * BATCH / elapsed


def yardstick_sqlite(path: str, model: str, batches: int) -> float:
    run = uuid.uuid4().hex[:8]
    sql = """
        INSERT INTO gather_record (model_id, key, data, created_at, updated_at)
        SELECT ?, json_extract(e.value, '$.id'), e.value, ?, ? FROM json_each(?) AS e WHERE true
        ON CONFLICT (model_id, key) DO UPDATE
           SET data = json_patch(data, excluded.data), updated_at = excluded.updated_at
    """
    bodies = [json.dumps([record(f"{run}-y{b}", n) for n in range(BATCH)]) for b in range(batches)]
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    model_pk = conn.execute("SELECT id FROM gather_model WHERE public_id = ?", [model])
    model_pk = model_pk.fetchone()[0]
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    t0 = time.perf_counter()
    for body in bodies:
        conn.execute(sql, [model_pk, now, now, body])
    elapsed = time.perf_counter() - t0
    conn.execute("DELETE FROM gather_record WHERE key LIKE ?", [f"{run}-y%"])
    conn.close()
    return batches * BATCH / elapsed


def yardstick(database_url: str, model: str, batches: int) -> float:
    if database_url.startswith("sqlite:///"):
        return yardstick_sqlite(database_url[len("sqlite:///") - 1 :], model, batches)
    return yardstick_postgres(database_url, model, batches)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="the server, e.g. http://127.0.0.1:8001")
    parser.add_argument("--key", required=True, help="an API key of the model's team")
    parser.add_argument("--model", required=True, help="Model ID (or slug)")
    parser.add_argument("--database-url", required=True, help="the server's DATABASE_URL")
    parser.add_argument("--requests", type=int, default=2000, help="single POSTs per run")
    parser.add_argument("--batches", type=int, default=20, help="1,000-record batches per run")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()

    results = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "database": args.database_url.split(":", 1)[0],
    }
    rows = []
    for clients in (1, 8):
        wall, n, bad = run_clients(single_client, args, clients, args.requests // clients)
        results[f"single_{clients}_rps"] = round(n / wall)
        rows.append((f"single POST, {clients} client(s)", n, bad, wall, n / wall, "req/s"))
    for clients in (1, 2):
        wall, n, bad = run_clients(batch_client, args, clients, max(1, args.batches // clients))
        results[f"batch_{clients}_records_s"] = round(n / wall)
        rows.append((f"batch of 1,000, {clients} client(s)", n, bad, wall, n / wall, "records/s"))
    ystick = yardstick(args.database_url, args.model, args.batches)
    results["yardstick_records_s"] = round(ystick)
    best_batch = max(results["batch_1_records_s"], results["batch_2_records_s"])
    results["batch_vs_yardstick"] = round(best_batch / ystick, 3)
    rows.append(
        ("yardstick: 1 SQL statement / 1,000 rows", args.batches * BATCH, 0, 0, ystick, "rows/s")
    )

    print(f"{'case':44} {'items':>8} {'failed':>6} {'seconds':>8} {'rate':>10}")
    for name, n, bad, wall, rate, unit in rows:
        print(f"{name:44} {n:8} {bad:6} {wall:8.2f} {rate:10,.0f} {unit}")
    print(f"batch / yardstick: {results['batch_vs_yardstick']:.0%}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
