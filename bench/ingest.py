"""Ingest benchmark: how fast a running Gather server takes records in.

It starts nothing itself; it measures a server you started, and writes the yardstick
straight into that server's database. Start a server on each database first, e.g.:

    # SQLite (the embedded default)
    export GATHER_HOME=/tmp/bench-sqlite
    .venv/bin/gather init --email bench@example.com --password bench-password --team Bench
    KEY=$(.venv/bin/gather apikey create --team Bench)
    .venv/bin/gather serve --port 8101 &

    # PostgreSQL
    createdb -h 127.0.0.1 -U postgres gather_bench
    export GATHER_HOME=/tmp/bench-pg DATABASE_URL=postgres://postgres@127.0.0.1:5432/gather_bench
    .venv/bin/gather init ... ; KEY=$(.venv/bin/gather apikey create --team Bench)
    .venv/bin/gather serve --port 8102 &

Then, for each server (the model is created through the API when absent):

    .venv/bin/python bench/ingest.py --url http://127.0.0.1:8101 --key "$KEY" \\
        --model bench-orders --database-url sqlite:////tmp/bench-sqlite/gather.db

What it measures, one after the other:

1. single-record upserts, form-encoded in the guide's shape
   (``id=…&amount=…&stripe_charge_id=…``), with 1 and then 8 concurrent keep-alive
   clients; each client is its own process (the load generator shares the machine's
   cores with the server, so one Python process could not saturate it), sending
   requests built before the clock starts over a plain keep-alive socket and reading
   each response whole (status and Content-Length checked) — the least client CPU per
   request Python allows; it reports that CPU, and p50/p95 latency;
2. batch upserts of 1,000 records a request (JSON arrays of new records, then the same
   IDs again as partial merges);
3. the yardstick: the same records merge-upserted straight into the same database, one
   SQL statement per 1,000 rows (PostgreSQL: ``INSERT … SELECT … FROM
   jsonb_array_elements(…) ON CONFLICT … DO UPDATE SET data = data || excluded.data``,
   autocommit; SQLite: ``INSERT … SELECT … FROM json_each(?) … ON CONFLICT … DO UPDATE``,
   with the same top-level merge function the server registers), into another model of
   the same team so the two never touch the same rows.

It prints one JSON object with every figure and the ratios the targets are stated in.
"""

import argparse
import json
import multiprocessing
import os
import socket
import sqlite3
import time
import urllib.parse
import uuid

import httpx
import orjson

BATCH = 1000


def guide_record(prefix: str, n: int) -> dict:
    return {
        "id": f"{prefix}{n}",
        "amount": str(10 + n % 990),
        "stripe_charge_id": f"ch_{prefix}{n}",
    }


def batch_record(prefix: str, n: int) -> dict:
    return {
        "id": f"{prefix}{n}",
        "amount": 10 + n % 990,
        "currency": "usd",
        "status": ("paid", "refunded", "failed")[n % 3],
        "email": f"customer{n}@example.com",
        "stripe_charge_id": f"ch_{prefix}{n}",
    }


def merge_record(prefix: str, n: int) -> dict:
    return {"id": f"{prefix}{n}", "status": "refunded", "note": f"merge {n}"}


# -- single-record clients ------------------------------------------------------------


def _read_response(sock, buf: bytearray) -> tuple[int, bytearray]:
    """One HTTP/1.1 response off a keep-alive socket: (status, bytes after it)."""
    while (end := buf.find(b"\r\n\r\n")) < 0:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("server closed the connection")
        buf += chunk
    head = bytes(buf[:end]).decode("latin-1").split("\r\n")
    status = int(head[0].split(" ", 2)[1])
    fields = dict(line.split(":", 1) for line in head[1:])
    lengths = [v for k, v in fields.items() if k.lower() == "content-length"]
    if not lengths:
        raise ConnectionError(f"response without Content-Length: {head[0]}")
    length = int(lengths[0])
    body_end = end + 4 + length
    while len(buf) < body_end:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("server closed the connection")
        buf += chunk
    return status, buf[body_end:]


def _single_worker(args) -> tuple[int, float, float, int, float, list[float]]:
    url, key, model, prefix, count, start_at = args
    parts = urllib.parse.urlsplit(url)
    host = f"{parts.hostname}:{parts.port or 80}"
    path = f"/api/models/{model}/records"
    # Requests are built before the clock starts, and sent and read on a plain socket: the
    # load generator shares the cores with the server, so it should spend as little of
    # them as it can (the standard library's http.client costs several times more).
    requests = []
    for n in range(count):
        body = urllib.parse.urlencode(guide_record(prefix, n)).encode()
        requests.append(
            (
                f"POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Token {key}\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\n"
                f"Content-Length: {len(body)}\r\n\r\n"
            ).encode()
            + body
        )
    sock = socket.create_connection((parts.hostname, parts.port or 80), timeout=60)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    buf = bytearray()
    # Warm the connection (and the server's per-process caches) before the clock starts.
    sock.sendall(f"GET /healthz HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    _, buf = _read_response(sock, buf)
    while time.time() < start_at:
        time.sleep(0.001)
    errors = 0
    latencies = []
    cpu = time.process_time()
    began = time.perf_counter()
    for request in requests:
        sent = time.perf_counter()
        sock.sendall(request)
        status, buf = _read_response(sock, buf)
        latencies.append(time.perf_counter() - sent)
        if status not in (200, 201):
            errors += 1
    ended = time.perf_counter()
    cpu = time.process_time() - cpu
    sock.close()
    return count, began, ended, errors, cpu, latencies


def bench_single(url: str, key: str, model: str, clients: int, per_client: int) -> dict:
    run = uuid.uuid4().hex[:6]
    start_at = time.time() + 1.5
    jobs = [(url, key, model, f"s{run}c{c}-", per_client, start_at) for c in range(clients)]
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(clients) as pool:
        results = pool.map(_single_worker, jobs)
    total = sum(r[0] for r in results)
    # perf_counter is system-wide on Linux (CLOCK_MONOTONIC), so processes compare.
    wall = max(r[2] for r in results) - min(r[1] for r in results)
    latencies = sorted(ms for r in results for ms in r[5])
    return {
        "clients": clients,
        "requests": total,
        "errors": sum(r[3] for r in results),
        "seconds": round(wall, 3),
        "requests_per_s": round(total / wall),
        "latency_ms_p50": round(latencies[len(latencies) // 2] * 1000, 2),
        "latency_ms_p95": round(latencies[int(len(latencies) * 0.95)] * 1000, 2),
        # The load generator's own share of the machine, for reading the figure above.
        "client_cpu_ms_per_request": round(sum(r[4] for r in results) / total * 1000, 3),
    }


# -- batches --------------------------------------------------------------------------


def bench_batch(url: str, key: str, model: str, records: int) -> dict:
    run = uuid.uuid4().hex[:6]
    prefix = f"b{run}-"
    headers = {"Authorization": f"Token {key}", "Content-Type": "application/json"}
    out = {}
    with httpx.Client(base_url=url, headers=headers, timeout=120) as client:
        for phase, make in (("insert", batch_record), ("merge", merge_record)):
            bodies = [
                orjson.dumps([make(prefix, n) for n in range(start, min(start + BATCH, records))])
                for start in range(0, records, BATCH)
            ]
            began = time.perf_counter()
            failed = 0
            for body in bodies:
                resp = client.post(f"/api/models/{model}/records/batch", content=body)
                resp.raise_for_status()
                failed += resp.json()["failed"]
            wall = time.perf_counter() - began
            out[phase] = {
                "records": records,
                "failed": failed,
                "seconds": round(wall, 3),
                "records_per_s": round(records / wall),
            }
    return out


# -- yardstick: straight into the database -------------------------------------------

PG_UPSERT = """
INSERT INTO gather_record (model_id, key, data, created_at, updated_at)
SELECT %s, e->>'id', e, now(), now() FROM jsonb_array_elements(%s::jsonb) AS e
ON CONFLICT (model_id, key) DO UPDATE
   SET data = gather_record.data || EXCLUDED.data, updated_at = now()
"""

SQLITE_UPSERT = """
INSERT INTO gather_record (model_id, key, data, created_at, updated_at)
SELECT ?, json_extract(value, '$.id'), value, ?, ? FROM json_each(?) WHERE true
ON CONFLICT (model_id, key) DO UPDATE
   SET data = yardstick_merge(data, excluded.data), updated_at = excluded.updated_at
"""


def _merge(old: str, new: str) -> str:
    merged = orjson.loads(old)
    merged.update(orjson.loads(new))
    return orjson.dumps(merged).decode()


def bench_yardstick(database_url: str, model_pk: int, records: int) -> dict:
    run = uuid.uuid4().hex[:6]
    prefix = f"y{run}-"
    out = {}
    if database_url.startswith("sqlite:"):
        path = database_url.split("sqlite:///", 1)[1]
        db = sqlite3.connect(path, timeout=30, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.create_function("yardstick_merge", 2, _merge, deterministic=True)

        def write(body: bytes) -> None:
            now = time.strftime("%Y-%m-%d %H:%M:%S.000000", time.gmtime())
            db.execute(SQLITE_UPSERT, (model_pk, now, now, body.decode()))

    else:
        import psycopg

        db = psycopg.connect(database_url, autocommit=True)

        def write(body: bytes) -> None:
            db.execute(PG_UPSERT, (model_pk, body.decode()))

    for phase, make in (("insert", batch_record), ("merge", merge_record)):
        bodies = [
            orjson.dumps([make(prefix, n) for n in range(start, min(start + BATCH, records))])
            for start in range(0, records, BATCH)
        ]
        began = time.perf_counter()
        for body in bodies:
            write(body)
        wall = time.perf_counter() - began
        out[phase] = {
            "records": records,
            "seconds": round(wall, 3),
            "records_per_s": round(records / wall),
        }
    db.close()
    return out


def model_pk(database_url: str, public_id: str) -> int:
    sql = "SELECT id FROM gather_model WHERE public_id = "
    if database_url.startswith("sqlite:"):
        db = sqlite3.connect(database_url.split("sqlite:///", 1)[1])
        row = db.execute(sql + "?", (public_id,)).fetchone()
    else:
        import psycopg

        with psycopg.connect(database_url) as db:
            row = db.execute(sql + "%s", (public_id,)).fetchone()
    db.close()
    return row[0]


def ensure_model(url: str, key: str, slug: str) -> str:
    headers = {"Authorization": f"Token {key}"}
    with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
        resp = client.get(f"/api/models/{slug}")
        if resp.status_code == 404:
            resp = client.post("/api/models", json={"name": slug, "id_field": "id"})
        resp.raise_for_status()
        return resp.json()["id"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="base URL of a running Gather")
    parser.add_argument("--key", default=os.environ.get("GATHER_KEY"), help="API key")
    parser.add_argument("--model", default="bench-orders", help="model slug (made if absent)")
    parser.add_argument("--database-url", required=True, help="the server's DATABASE_URL")
    parser.add_argument("--single", type=int, default=3000, help="single requests per run")
    parser.add_argument("--clients", default="1,8", help="comma list of client counts")
    parser.add_argument("--records", type=int, default=50_000, help="records for batches")
    args = parser.parse_args()

    model = ensure_model(args.url, args.key, args.model)
    yard_model = ensure_model(args.url, args.key, args.model + "-yardstick")
    result: dict = {
        "url": args.url,
        "database": "sqlite" if args.database_url.startswith("sqlite:") else "postgresql",
        "nproc": os.cpu_count(),
        "single": [],
    }
    for clients in (int(c) for c in args.clients.split(",")):
        per_client = max(1, args.single // clients)
        result["single"].append(bench_single(args.url, args.key, model, clients, per_client))
    result["batch"] = bench_batch(args.url, args.key, model, args.records)
    result["yardstick"] = bench_yardstick(
        args.database_url, model_pk(args.database_url, yard_model), args.records
    )
    result["batch_vs_yardstick"] = {
        phase: round(
            result["batch"][phase]["records_per_s"] / result["yardstick"][phase]["records_per_s"],
            2,
        )
        for phase in ("insert", "merge")
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
