"""Links between models and rollups: what queries through them cost, and what they cost
writes (docs/decisions/023-links-as-joins.md, 024-rollup-maintenance.md).

    GATHER_HOME=/tmp/bench-links DATABASE_URL=sqlite:////tmp/bench-links/gather.db \\
        .venv/bin/python bench/links.py --accounts 10000 --orders 100000

    createdb -h 127.0.0.1 -U postgres gather_links
    GATHER_HOME=/tmp/bench-links-pg \\
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gather_links \\
        .venv/bin/python bench/links.py --accounts 10000 --orders 100000

Makes a team with --accounts accounts (a third "pro") and --orders orders linked to them
through ``account_id``, skewed (account i gets a share ~ 1/(i+1): the first ones have
thousands), with two rollups on Account over them (``orders`` = count, ``revenue`` = sum
of ``amount``), written through the batch service. It runs in-process through the query
engine and the services the API calls (no HTTP), and reports p50/p95 over --repeat runs:

1. orders filtered by ``account.plan`` = pro, sorted by ``amount``, first page of 50,
   and the hand-written SQL join returning the same page;
2. ``q`` with a rare term, the record's own values only (as shipped) and with the linked
   account's values searched too (the other side of the ``q`` decision);
3. ``/related`` for the account with the most orders (its total and newest 10), and for
   the account whose share is nearest 5,000 orders (the issue's case);
4. accounts sorted by ``-rollups.revenue`` and filtered by ``rollups.orders`` >= 10,
   first page of 50;
5. batch ingest (1,000 a call) of new orders into the model with the link and the two
   rollups over it, and into a model with the same records and indexes but neither,
   alternating, rows/s and the ratio.
"""

import argparse
import os
import random
import statistics
import time
from dataclasses import replace

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gather.settings")
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from gather.accounts.services import user_init  # noqa: E402
from gather.query import engine  # noqa: E402
from gather.query.indexes import index_ensure, search_index_ensure  # noqa: E402
from gather.query.joins import joins_for_model  # noqa: E402
from gather.query.spec import Condition, Group, QuerySpec, SortKey  # noqa: E402
from gather.records.links import model_links_set, record_related  # noqa: E402
from gather.records.rollups import model_rollups_set  # noqa: E402
from gather.records.selectors import model_get  # noqa: E402
from gather.records.services import model_create, record_upsert_batch  # noqa: E402

PLANS = ["pro", "free", "team"]


def timings(fn, repeat: int) -> dict:
    fn()  # warm: caches, the background index a first query asks for
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - started) * 1000)
    runs.sort()
    p95 = runs[min(len(runs) - 1, round(0.95 * (len(runs) - 1)))]
    return {"p50_ms": round(statistics.median(runs), 2), "p95_ms": round(p95, 2)}


def order(rng, i: int, accounts: int, weights) -> dict:
    account = rng.choices(range(accounts), cum_weights=weights)[0]
    return {"id": f"o{i:08d}", "amount": rng.randrange(1, 100_000), "account_id": f"a{account:06d}"}


def main() -> None:
    parser = argparse.ArgumentParser(description="Links: queries and write cost")
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--ingest", type=int, default=20_000, help="orders per ingest side")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    _, team, _ = user_init(
        email="bench@example.com",
        password="bench-password",  # noqa: S106
        team_name="Links bench",
    )
    rng = random.Random(20261202)
    account_model = model_get(team=team, ref="account")
    for start in range(0, args.accounts, 1000):
        items = [
            {"id": f"a{i:06d}", "name": f"Account {i}", "plan": PLANS[i % 3]}
            for i in range(start, min(start + 1000, args.accounts))
        ]
        record_upsert_batch(team=team, model=account_model, items=items)
    orders = model_create(team=team, name=f"Orders {int(time.time())}")
    plain = model_create(team=team, name=f"Orders unlinked {int(time.time())}")
    model_links_set(team=team, model=orders, links={"account_id": {"model": "account"}})
    over = {"model": orders.public_id, "link": "account"}
    model_rollups_set(
        team=team,
        model=account_model,
        rollups={
            "orders": {**over, "fn": "count"},
            "revenue": {**over, "fn": "sum", "field": "amount"},
        },
    )
    account_model = model_get(team=team, ref="account")
    weights, total = [], 0.0
    for i in range(args.accounts):
        total += 1 / (i + 1)
        weights.append(total)
    for start in range(0, args.orders, 1000):
        items = [
            order(rng, i, args.accounts, weights)
            for i in range(start, min(start + 1000, args.orders))
        ]
        record_upsert_batch(team=team, model=orders, items=items)
        record_upsert_batch(team=team, model=plain, items=items)
    # What a running server builds in the background on first use (decisions 007, 008):
    # the sort index on amount, the link field's index (related lists, rollups), the
    # orders' text index.
    # The model without link and rollups gets the same, so the ingest comparison differs
    # by the link and the rollups alone.
    for model in (orders, plain):
        for field, desc in (("amount", False), ("account_id", False)):
            index_ensure(model_pk=model.pk, field_name=field, desc=desc)
        search_index_ensure(model_pk=model.pk)
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE gather_record")
            cur.execute("ANALYZE gather_rollup_value")
    orders = model_get(team=team, ref=orders.public_id)
    results = {"vendor": connection.vendor, "accounts": args.accounts, "orders": args.orders}

    spec = QuerySpec(
        where=Group("and", (Condition("account.plan", "eq", "pro"),)),
        sort=(SortKey("amount", False),),
        limit=50,
    )

    def linked_page():
        engine.record_query(team=team, model=orders, spec=spec)

    results["filter_account_plan_sort_amount"] = timings(linked_page, args.repeat)
    num = "gather_num(json_type(r.data, '$.amount'), json_extract(r.data, '$.amount'))"
    key = "+json_extract(r.data, '$.account_id')"
    plan = "json_extract(a.data, '$.plan')"
    if connection.vendor == "postgresql":
        num, key, plan = "gather_num(r.data->>'amount')", "r.data->>'account_id'", "a.data->>'plan'"
    hand = (
        f"SELECT r.id, r.key, r.data, a.data FROM gather_record r JOIN gather_record a"
        f" ON a.model_id = %s AND a.key = {key} WHERE r.model_id = %s AND {plan} = 'pro'"
        f" ORDER BY {num} LIMIT 51"
    )

    def hand_page():
        with connection.cursor() as cur:
            cur.execute(hand, [account_model.pk, orders.pk])
            cur.fetchall()

    results["hand_written_join"] = timings(hand_page, args.repeat)

    rare = QuerySpec(q="o0000123x", limit=50)
    specs = joins_for_model(orders)
    searched = [replace(s, searched=True) for s in specs]
    results["q_rare_own_values"] = timings(
        lambda: engine._page(orders, rare, 50, specs), args.repeat
    )
    results["q_rare_with_linked_values"] = timings(
        lambda: engine._page(orders, rare, 50, searched), args.repeat
    )
    results["related_biggest_account"] = timings(
        lambda: record_related(team=team, model=account_model, key="a000000"), args.repeat
    )
    # The case: an account with about 5,000 orders (share ~ 1/(i+1) of the orders).
    near = max(0, min(args.accounts - 1, round(args.orders / (total * 5000)) - 1))
    results["related_account_with_orders"] = engine.record_query(
        team=team,
        model=orders,
        spec=QuerySpec(
            where=Group("and", (Condition("account_id", "eq", f"a{near:06d}"),)),
            count=True,
            limit=1,
        ),
    )["total"]
    results["related_5000_orders"] = timings(
        lambda: record_related(team=team, model=account_model, key=f"a{near:06d}"), args.repeat
    )

    by_rollups = QuerySpec(
        where=Group("and", (Condition("rollups.orders", "gte", "10"),)),
        sort=(SortKey("rollups.revenue", True),),
        limit=50,
    )
    results["accounts_by_rollups"] = timings(
        lambda: engine.record_query(team=team, model=account_model, spec=by_rollups),
        args.repeat,
    )

    rates = {"linked": [], "plain": []}
    n = args.orders
    for round_ in range(args.ingest // 1000):
        for name, model in (("linked", orders), ("plain", plain))[:: 1 if round_ % 2 else -1]:
            items = [order(rng, n + j, args.accounts, weights) for j in range(1000)]
            started = time.perf_counter()
            record_upsert_batch(team=team, model=model, items=items)
            rates[name].append(1000 / (time.perf_counter() - started))
        n += 1000
    linked, plain_rate = statistics.median(rates["linked"]), statistics.median(rates["plain"])
    results["ingest_rows_per_s"] = {
        "linked": round(linked),
        "plain": round(plain_rate),
        "ratio": round(linked / plain_rate, 2),
    }
    for name, value in results.items():
        print(f"{name}: {value}")


if __name__ == "__main__":
    main()
