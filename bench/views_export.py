"""How much memory a view's CSV export takes as the number of rows grows.

    GATHER_HOME=/tmp/bench DATABASE_URL=sqlite:////tmp/bench/bench.db \
        .venv/bin/python bench/views_export.py --rows 200000

Creates a model with N records (once), then streams ``/views/{id}/export.csv`` through
the export code path, consuming the response piece by piece like a client would, and
reports rows/s and the Python heap's peak (tracemalloc) while streaming. Flat peak
memory as N grows is the point: records arrive a keyset page (1,000) at a time.
"""

import argparse
import os
import time
import tracemalloc

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gather.settings")
django.setup()

from django.core.management import call_command  # noqa: E402

from gather.accounts.services import user_init  # noqa: E402
from gather.records.models import DataModel  # noqa: E402
from gather.records.services import model_create, record_upsert_batch  # noqa: E402
from gather.views.export import view_csv  # noqa: E402
from gather.views.selectors import query_spec, view_columns  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--sort", default="", help="e.g. -amount (default: newest first)")
    parser.add_argument("--batch", type=int, default=None, help="records per keyset page")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    password = os.environ.get("BENCH_PASSWORD", "bench-password")
    _, team, _ = user_init(email="bench@example.com", password=password, team_name="Bench")
    name = f"Export {args.rows}"
    model = DataModel.objects.filter(team=team, name=name).first()
    if model is None:
        model = model_create(team=team, name=name, type="custom", id_field="id")
        for start in range(0, args.rows, 5000):
            items = [
                {"id": f"o{i:08d}", "amount": i % 1000, "status": ("paid", "failed")[i % 2],
                 "meta": {"plan": "pro", "seats": i % 9}, "email": f"user{i}@example.com"}
                for i in range(start, min(start + 5000, args.rows))
            ]  # fmt: skip
            record_upsert_batch(team=team, model=model, items=items)
    columns = [p for p, _ in view_columns(model=model, columns=[])]
    sort = [
        {"field": key.lstrip("-"), "dir": "desc" if key.startswith("-") else "asc"}
        for key in args.sort.split(",")
        if key
    ]
    spec = query_spec(filter=[], sort=sort, q=None)
    tracemalloc.start()
    began = time.perf_counter()
    rows = size = 0
    for piece in view_csv(team=team, model=model, spec=spec, columns=columns, batch=args.batch):
        rows += piece.count("\r\n")  # the bench's values hold no line breaks
        size += len(piece)
    took = time.perf_counter() - began
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"sort={args.sort or 'default'} batch={args.batch or 'default'} rows={rows - 1} "
        f"bytes={size} seconds={took:.1f} "
        f"rows/s={(rows - 1) / took:,.0f} "
        f"peak_heap_mib={peak / 2**20:.1f}"
    )


if __name__ == "__main__":
    main()
