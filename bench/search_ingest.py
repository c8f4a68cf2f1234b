"""What a model's search index costs its writes (docs/decisions/008-search-index.md).

    GATHER_HOME=/tmp/bench-search DATABASE_URL=sqlite:////tmp/bench-search/gather.db \\
        .venv/bin/python bench/search_ingest.py --preload 100000

Makes two models with the same --preload records (the guide's fields plus an email and
a nested profile), builds the search index (PostgreSQL: pg_trgm GIN; SQLite: FTS5
trigram table and its triggers) on one of them, then writes to both, alternating
between them round by round so both see the same machine load:

- single: one record per call of the records service (its own transaction, committed),
  new records, then merges of the same ids (one changed field);
- batch: 1,000 records per call, new records, then merges of the same ids.

It runs in-process through the services the API calls (no HTTP), so the difference
between the two models is the index alone. Prints rows/s per case and the ratio.
"""

import argparse
import json
import os
import statistics
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gather.settings")
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from gather.accounts.services import user_init  # noqa: E402
from gather.query.indexes import search_index_ensure  # noqa: E402
from gather.records.services import model_create, record_upsert, record_upsert_batch  # noqa: E402

WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"]


def record(prefix: str, i: int) -> dict:
    return {
        "id": f"{prefix}{i:08d}",
        "amount": str(i % 100_000),
        "status": ("paid", "failed", "refunded")[i % 3],
        "email": f"{WORDS[i % 8]}{i}@example.com",
        "profile": {"city": WORDS[(i * 7) % 8], "plan": ("free", "pro", "team")[i % 3]},
        "stripe_charge_id": f"ch_{prefix}{i:08d}",
    }


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description="Search index write cost")
    parser.add_argument("--preload", type=int, default=100_000, help="records per model first")
    parser.add_argument("--single", type=int, default=500, help="single upserts per round")
    parser.add_argument("--batches", type=int, default=5, help="1,000-record batches per round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    password = os.environ.get("BENCH_PASSWORD", "bench-password")
    _, team, _ = user_init(email="bench@example.com", password=password, team_name="Bench")
    stamp = f"{time.time():.0f}"
    models = {
        "plain": model_create(team=team, name=f"Plain {stamp}", type="custom", id_field="id"),
        "search": model_create(team=team, name=f"Search {stamp}", type="custom", id_field="id"),
    }
    for model in models.values():
        for start in range(0, args.preload, 5000):
            items = [record("p", i) for i in range(start, min(start + 5000, args.preload))]
            record_upsert_batch(team=team, model=model, items=items)
    built = timed(lambda: search_index_ensure(model_pk=models["search"].pk))
    print(f"preloaded {args.preload:,} records per model; search index built in {built:.1f} s")

    rates: dict[str, dict[str, list[float]]] = {name: {} for name in models}
    for rnd in range(args.rounds):
        for name, model in models.items():
            prefix = f"r{rnd}"

            def single(merge: bool, model=model, prefix=prefix):
                for i in range(args.single):
                    payload = record(prefix, i)
                    if merge:
                        payload = {"id": payload["id"], "status": "merged"}
                    record_upsert(team=team, model=model, payload=payload)

            def batch(merge: bool, model=model, prefix=prefix):
                for b in range(args.batches):
                    items = [record(f"b{prefix}", b * 1000 + i) for i in range(1000)]
                    if merge:
                        items = [{"id": x["id"], "status": "merged"} for x in items]
                    record_upsert_batch(team=team, model=model, items=items)

            cases = {
                "single insert": (lambda: single(False), args.single),
                "single merge": (lambda: single(True), args.single),
                "batch 1000 insert": (lambda: batch(False), args.batches * 1000),
                "batch 1000 merge": (lambda: batch(True), args.batches * 1000),
            }
            for case, (fn, rows) in cases.items():
                rates[name].setdefault(case, []).append(rows / timed(fn))
    result = {
        "database": connection.vendor,
        "preload": args.preload,
        "rounds": args.rounds,
        "rows_per_s (median of rounds)": {},
    }
    for case in rates["plain"]:
        plain = statistics.median(rates["plain"][case])
        search = statistics.median(rates["search"][case])
        result["rows_per_s (median of rounds)"][case] = {
            "without index": round(plain),
            "with search index": round(search),
            "cost": f"{(1 - search / plain) * 100:.0f} %",
        }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
