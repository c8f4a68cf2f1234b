"""Rollups: aggregates on a model's records over the records that link to them.

Values are kept on write (decision 024): every write to a rollup's source model (single,
batch, delete) updates, in the same transaction, the rollups of the records it linked to
before and links to after -- counts, sums and averages by the difference between the old
and new records, minimums and maximums by a grouped aggregate -- in
``gather_rollup_value`` (one JSON object per record key). A definition change rebuilds
the target model's values whole. Reads join the values like any other join: the
``rollups`` ``JoinSpec`` (with defaults: a count of nothing is 0), so record JSON,
``rollups.<name>`` filters and sorts, views and CSV need no code of their own.
"""

from decimal import Decimal

from django.db import connection, transaction

from gather.accounts.models import Team
from gather.core.errors import ValidationFailed
from gather.query.joins import JoinSpec, _as_key

from .dialects import current as dialect
from .fields import field_name_problem, is_number_text
from .models import DataModel, Link, Record, Rollup, RollupValue

NAME = "rollups"  # the join's name: record JSON key and query prefix

# (pk, Model ID) -> (revision, the rollups the model feeds). A rollup's change touches
# its source model too, so a process re-reads this with the model row it just read.
_fed: dict[tuple[int, str], tuple[int, list[Rollup]]] = {}


def forget(model) -> None:
    _fed.pop((model.pk, model.public_id), None)


def rollup_joins(model) -> JoinSpec | None:
    """The provider: the model's rollup values, joined by the record's key."""
    rollups = list(Rollup.objects.filter(model_id=model.pk).order_by("id"))
    if not rollups:
        return None
    return JoinSpec(
        name=NAME,
        table=RollupValue._meta.db_table,
        scope_column="model_id",
        scope_value=model.pk,
        key_column="key",
        data_column="data",
        record_field=model.id_field,
        fields={r.name: "number" for r in rollups},
        searched=False,
        kind="rollup",
        label="Rollups",
        defaults={r.name: 0 if r.fn == "count" else None for r in rollups},
    )


# -- selectors -------------------------------------------------------------------------


def model_rollups(*, model: DataModel) -> list[dict]:
    rows = Rollup.objects.filter(model=model).select_related("source", "link").order_by("id")
    return [
        {
            "name": r.name,
            "model": r.source.public_id,
            "link": r.link.name,
            "fn": r.fn,
            "field": r.field or None,
        }
        for r in rows
    ]


def fed_by(model: DataModel) -> list[Rollup]:
    """The rollups whose source is this model (cached per model revision)."""
    cache_key = (model.pk, model.public_id)
    cached = _fed.get(cache_key)
    if cached is not None and cached[0] == model.revision:
        return cached[1]
    rollups = list(Rollup.objects.filter(source_id=model.pk).select_related("link").order_by("id"))
    _fed[cache_key] = (model.revision, rollups)
    return rollups


# -- keeping values exact --------------------------------------------------------------
#
# A value object holds, besides each rollup's value by name, what keeps it exact without
# reading the source records again: for ``sum`` and ``avg`` the exact sum (decimal text)
# and how many numbers it adds (``~<name>.s``, ``~<name>.n``). Record JSON and queries see
# the names only (the join's fields).


def _number(value):
    if value is None:
        return None
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def as_number(value) -> Decimal | int | None:
    """A stored value read as a number, as the query language reads it (gather_num);
    integers stay integers (exact, and cheap to add)."""
    if type(value) is int:
        return value
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, Decimal):
        return value  # PostgreSQL's numeric sum
    if isinstance(value, int | float):
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if isinstance(value, str) and is_number_text(value):
        return Decimal(value)
    return None


def _hidden(name: str) -> tuple[str, str]:
    return f"~{name}.s", f"~{name}.n"


def _shown(r: Rollup, total: Decimal, n: int):
    if n <= 0:
        return None
    return _number(total if r.fn == "sum" else total / n)


def _recompute(source: DataModel, field: str, rollups: list[Rollup], keys) -> None:
    """Recompute ``rollups`` (all over ``source``'s link ``field``) for target ``keys``
    (None: every key) from the source records, and merge them into the values."""
    from gather.query import indexes
    from gather.query.engine import Compiler

    indexes.wanted(source, [(field, False)])  # built in the background on first use
    c = Compiler(source, joins=[])
    key_expr = c.sql.sort_text(c.typed(c.resolve(field, "link")))
    aggs = []
    for r in rollups:
        number = c.sql.number("r.data", (r.field,)) if r.field else None
        if r.fn == "count":
            aggs.append("COUNT(*)")
        elif r.fn in ("sum", "avg"):
            aggs += [f"SUM({number})", f"COUNT({number})"]
        else:
            aggs.append(f"{r.fn.upper()}({number})")
    # The link field's own index (SQLite: pinned the way the compiler pins it) finds the
    # records of the keys; the same index serves filter[<field>]=<key>.
    pinned = c._pinned(field) if c.sql.vendor == "sqlite" else "1=1"
    sql = (
        f"SELECT {key_expr}, {', '.join(aggs)} FROM gather_record r"
        f" WHERE r.model_id = {int(source.pk)} AND {pinned}"
    )
    chunks = [None] if keys is None else [keys[i : i + 500] for i in range(0, len(keys), 500)]
    values: dict[str, dict] = {}
    for chunk in chunks:
        where, params = f" AND {key_expr} IS NOT NULL", []
        if chunk is not None:  # the expression filter[<field>][in] compiles to
            where, params = f" AND {key_expr} IN ({', '.join(['%s'] * len(chunk))})", chunk
        found: dict[str, tuple] = {}
        with connection.cursor() as cur:
            cur.execute(f"{sql}{where} GROUP BY {key_expr}", params)
            for row in cur.fetchall():
                found[row[0]] = row[1:]
        for key in chunk if chunk is not None else found:
            row = found.get(key)
            out = values.setdefault(key, {})
            i = 0
            for r in rollups:
                if r.fn == "count":
                    out[r.name] = row[i] if row is not None else 0
                    i += 1
                elif r.fn in ("sum", "avg"):
                    total = as_number(row[i]) if row is not None and row[i] is not None else None
                    n = row[i + 1] if row is not None else 0
                    total = total if total is not None else Decimal(0)
                    s_name, n_name = _hidden(r.name)
                    out[s_name], out[n_name] = str(total), n
                    out[r.name] = _shown(r, total, n)
                    i += 2
                else:
                    out[r.name] = _number(row[i]) if row is not None else None
                    i += 1
    if values and rollups:
        _merge(rollups[0].model_id, values)


def _merge(model_id: int, values: dict[str, dict]) -> None:
    rows = sorted(values.items())  # one lock order for every writer
    for i in range(0, len(rows), 1000):
        dialect().merge_rollup_values(model_id=model_id, rows=rows[i : i + 1000])


def _groups(rollups: list[Rollup]) -> dict[str, list[Rollup]]:
    groups: dict[str, list[Rollup]] = {}
    for r in rollups:
        groups.setdefault(r.link.field, []).append(r)
    return groups


def before_write(model: DataModel, keys: list[str]) -> dict[str, dict] | None:
    """Inside the write's transaction, before it: serialise the model's writers and read
    the records as they are (key -> data). None when the model feeds no rollup."""
    if not fed_by(model):
        return None
    dialect().lock_model_writes(model_id=model.pk)
    return dialect().datas(table=Record._meta.db_table, model_id=model.pk, keys=keys)


def after_write(model: DataModel, old: dict[str, dict] | None, new: dict[str, dict | None]):
    """Inside the write's transaction, after it: ``new`` holds each written record as it
    is now (None: deleted). Counts, sums and averages move by the difference between the
    old and new records; minimums and maximums of the keys touched are recomputed."""
    if old is None:
        return
    for field, rollups in _groups(fed_by(model)).items():
        additive = [r for r in rollups if r.fn in ("count", "sum", "avg")]
        extremes = [r for r in rollups if r.fn in ("min", "max")]
        specs = [(r.name, r.fn == "count", r.field) for r in additive]
        deltas: dict[str, dict[str, list]] = {}
        touched: set[str] = set()
        for key, after in new.items():
            before = old.get(key)
            for data, sign in ((before, -1), (after, 1)):
                if data is None or (target := _as_key(data.get(field))) is None:
                    continue
                touched.add(target)
                delta = deltas.get(target)
                if delta is None:
                    delta = deltas[target] = {name: [0, 0] for name, _, _ in specs}
                for name, is_count, value_field in specs:
                    d = delta[name]
                    if is_count:
                        d[1] += sign
                    elif (value := as_number(data.get(value_field))) is not None:
                        d[0] += sign * value
                        d[1] += sign
        changed = {
            key: delta
            for key, delta in deltas.items()
            if any(d[0] != 0 or d[1] != 0 for d in delta.values())
        }
        if changed and additive:
            _apply(additive, changed)
        if touched and extremes:
            _recompute(model, field, extremes, sorted(touched))


def _apply(rollups: list[Rollup], deltas: dict[str, dict[str, list]]) -> None:
    """Move the values of ``deltas``' keys by them (read, then merged by name)."""
    target = rollups[0].model_id
    keys = sorted(deltas)
    current = dialect().datas(table=RollupValue._meta.db_table, model_id=target, keys=keys)
    values: dict[str, dict] = {}
    for key in keys:
        have, out = current.get(key) or {}, {}
        for r in rollups:
            total_delta, n_delta = deltas[key][r.name]
            if r.fn == "count":
                out[r.name] = int(have.get(r.name) or 0) + n_delta
                continue
            s_name, n_name = _hidden(r.name)
            total = Decimal(have.get(s_name) or 0) + total_delta
            n = int(have.get(n_name) or 0) + n_delta
            out[s_name], out[n_name], out[r.name] = str(total), n, _shown(r, total, n)
        values[key] = out
    _merge(target, values)


def rebuild(*, model: DataModel) -> None:
    """Every value of the model's rollups, from scratch (after a definition change)."""
    with transaction.atomic():
        RollupValue.objects.filter(model=model).delete()
        rollups = list(Rollup.objects.filter(model=model).select_related("link", "source"))
        by_source: dict[int, list[Rollup]] = {}
        for r in rollups:
            by_source.setdefault(r.source_id, []).append(r)
        for group in by_source.values():
            source = group[0].source
            dialect().lock_model_writes(model_id=source.pk)
            for field, same in _groups(group).items():
                _recompute(source, field, same, None)


# -- services --------------------------------------------------------------------------


def model_rollups_set(*, team: Team, model: DataModel, rollups) -> None:
    """Add, replace (``{"model", "link", "fn", "field"?}``) or remove (``None``) rollups."""
    from .selectors import model_get
    from .services import model_touch

    if not isinstance(rollups, dict):
        raise ValidationFailed(
            'rollups is an object: {"<name>": {"model", "link", "fn", "field"}} or null.',
            field="rollups",
        )
    plan: dict[str, dict | None] = {}
    for name, spec in rollups.items():
        where = f"rollups.{name}"[:300]
        if problem := field_name_problem(name):
            raise ValidationFailed(problem.replace("Field names", "Rollup names"), field=where)
        if spec is None:
            plan[name] = None
            continue
        if not isinstance(spec, dict):
            raise ValidationFailed(
                f'{where} needs {{"model", "link", "fn", "field"}} (or null to remove it).',
                field=where,
            )
        if unknown := set(spec) - {"model", "link", "fn", "field"}:
            raise ValidationFailed(f"{where}: unknown key {sorted(unknown)[0]!r}.", field=where)
        if not isinstance(spec.get("model"), str):
            raise ValidationFailed(f"{where}.model: a Model ID or slug.", field=f"{where}.model")
        source = model_get(team=team, ref=spec["model"])  # another team's: model_not_found
        link = Link.objects.filter(model=source, name=spec.get("link")).first()
        if link is None or link.target_id != model.pk:
            raise ValidationFailed(
                f"{where}.link: {source.name} has no link {spec.get('link')!r} to {model.name}.",
                field=f"{where}.link",
            )
        fn = spec.get("fn")
        if fn not in Rollup.FUNCTIONS:
            raise ValidationFailed(
                f"{where}.fn: one of {', '.join(Rollup.FUNCTIONS)}.", field=f"{where}.fn"
            )
        field = spec.get("field")
        if fn == "count":
            if field not in (None, ""):
                raise ValidationFailed(
                    f"{where}.field: count takes no field.", field=f"{where}.field"
                )
            field = ""
        elif not isinstance(field, str) or field_name_problem(field):
            raise ValidationFailed(
                f"{where}.field: the {source.name} field to {fn}.", field=f"{where}.field"
            )
        plan[name] = {"source": source, "link": link, "fn": fn, "field": field}
    if not plan:
        return
    sources = set(Rollup.objects.filter(model=model, name__in=list(plan)).values_list("source"))
    with transaction.atomic():
        Rollup.objects.filter(model=model, name__in=list(plan)).delete()
        for name, spec in plan.items():
            if spec is not None:
                Rollup.objects.create(model=model, name=name, **spec)
                sources.add((spec["source"].pk,))
        rebuild(model=model)
    model_touch(model)
    for source in DataModel.objects.filter(pk__in=[pk for (pk,) in sources]):
        model_touch(source)  # its writes start (or stop) keeping these values
