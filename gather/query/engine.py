"""Compiles a ``QuerySpec`` for one model into one SQL statement and runs it.

The same compiler serves the records API, views, the grid and CSV export. Pagination is
keyset-based: the cursor carries the last row's sort values and id, so page 1,000 costs
what page 1 costs and concurrent inserts never make a page skip or repeat a record.
"""

import base64
import copy
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation

import orjson
from django.db import connection

from gather.core.errors import InvalidInput, NotFound
from gather.records import catalogue
from gather.records.fields import DATETIME_RE, NUMBER_RE
from gather.records.selectors import record_out

from . import indexes
from .joins import JoinSpec, joins_for_model
from .spec import MAX_LIMIT, Condition, Group, QuerySpec, SortKey
from .sql import PostgresSql, SqliteSql, check_segment

META_FIELDS = ("created_at", "updated_at")
MAX_IN_VALUES = 500
TEXT_OPS = ("contains", "ncontains", "startswith")


def _sql():
    return PostgresSql() if connection.vendor == "postgresql" else SqliteSql()


@dataclass(frozen=True)
class Ref:
    """A resolved field path: where its value lives and which type compares it."""

    name: str
    type: str
    src: str  # "r.data", "j0.data", or a column for metadata / the key
    path: tuple[str, ...]
    column: bool = False  # src is a plain column (record key or timestamp)
    default: object = None  # the value when nothing is joined (a rollup's count: 0)


class Compiler:
    def __init__(self, model, joins: list[JoinSpec] | None = None):
        self.model = model
        self.sql = _sql()
        self.joins = joins_for_model(model) if joins is None else joins
        # Joins whose values ``q`` searches (links are not: decision 023).
        self.searched_joins = [spec for spec in self.joins if spec.searched]
        fields = catalogue.current(model)
        self.catalogue = fields.types
        self.field_pks = fields.pks
        self.params: list = []
        self.uses: list[tuple[str, bool]] = []  # (top-level field, descending) worth indexing
        self.seek_terms: list[str] = []  # WHERE terms (no parameters) from from_clause
        self.sort_types: list[str] = []  # the type of each sort key, as sort_expr saw it
        self._candidates: tuple | None = None  # (term, search_candidates answer)

    # -- fields --------------------------------------------------------------------
    def resolve(self, name: str, where: str) -> Ref:
        if not isinstance(name, str) or not name:
            raise InvalidInput("A field name is required.", field=where)
        parts = tuple(check_segment(p, where) for p in name.split("."))
        head = parts[0]
        if len(parts) == 1 and (head in self.catalogue or head == self.model.id_field):
            self.uses.append((head, False))
        if head == self.model.id_field and len(parts) == 1:
            return Ref(name, "string", "r.key", parts, column=True)
        # A join's name as a prefix reaches the joined record (``account.plan``), even
        # where the record has a field of the same name.
        for i, spec in enumerate(self.joins):
            if head == spec.name and len(parts) >= 2:
                if parts[1] not in spec.fields:
                    raise InvalidInput(f"{spec.name} has no field {parts[1]!r}.", field=where)
                kind = spec.fields[parts[1]] if len(parts) == 2 else "string"
                default = spec.defaults.get(parts[1]) if len(parts) == 2 else None
                return Ref(name, kind, f"j{i}.{spec.data_column}", parts[1:], default=default)
        if head in self.catalogue:
            kind = self.catalogue[head] if len(parts) == 1 else "string"
            return Ref(name, kind, "r.data", parts)
        if name in META_FIELDS:
            return Ref(name, "datetime", f"r.{name}", parts, column=True)
        raise InvalidInput(f"Unknown field {name!r} in model {self.model.name!r}.", field=where)

    def typed(self, ref: Ref) -> str:
        s = self.sql
        if ref.column:
            return s.column_ts(ref.src) if ref.type == "datetime" else ref.src
        if ref.type == "number":
            expr = s.number(ref.src, ref.path)
            if isinstance(ref.default, int) and not isinstance(ref.default, bool):
                expr = f"COALESCE({expr}, {int(ref.default)})"
            return expr
        if ref.type == "boolean":
            return s.boolean(ref.src, ref.path)
        if ref.type == "datetime":
            return s.datetime(ref.src, ref.path)
        return s.text(ref.src, ref.path)

    def text(self, ref: Ref, where: str) -> str:
        if ref.column:
            if ref.type != "string":
                raise InvalidInput(
                    f"{ref.name} is a timestamp; use before/after (lt/gt) instead.", field=where
                )
            return ref.src
        return self.sql.text(ref.src, ref.path)

    # -- values --------------------------------------------------------------------
    def value(self, ref: Ref, value, where: str):
        kind = ref.type
        if value is None or isinstance(value, dict | list):
            raise InvalidInput(f"{where} needs a single value.", field=where)
        if kind == "number":
            text = str(value).strip()
            if isinstance(value, bool) or not NUMBER_RE.match(text):
                raise InvalidInput(f"{where}: {value!r} is not a number.", field=where)
            try:
                number = Decimal(text)
            except InvalidOperation:
                raise InvalidInput(f"{where}: {value!r} is not a number.", field=where) from None
            if not number_in_range(number):
                raise InvalidInput(
                    f"{where}: {value!r} is out of range (at most {MAX_NUMBER_DIGITS:,} "
                    f"digits before the decimal point and {MAX_NUMBER_SCALE:,} after).",
                    field=where,
                )
            return self.sql.number_param(number)
        if kind == "boolean":
            text = str(value).strip().lower()
            if text not in ("true", "false"):
                raise InvalidInput(f"{where}: {value!r} is not true or false.", field=where)
            return self.sql.bool_param(text == "true")
        if kind == "datetime":
            return _epoch(value, where)
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    # -- conditions ----------------------------------------------------------------
    def condition(self, cond: Condition, where: str) -> str:
        ref = self.resolve(cond.field, where)
        op, value = cond.op, cond.value
        if op == "empty":
            expr = self.typed(ref)
            empty = _truthy(value, where)
            return f"({expr} IS NULL)" if empty else f"({expr} IS NOT NULL)"
        if op in TEXT_OPS:
            if value is None or isinstance(value, dict | list):
                raise InvalidInput(f"{where} needs a text value.", field=where)
            text = self.sql.lower(self.text(ref, where))
            needle = _like_escape(str(value).lower())
            pattern = f"{needle}%" if op == "startswith" else f"%{needle}%"
            self.params.append(pattern)
            like = f"{text} LIKE %s ESCAPE '\\'"
            if op == "ncontains":
                return f"({text} IS NULL OR NOT ({like}))"
            return f"({like})"
        expr = self.typed(ref)
        if ref.type == "string" and not ref.column:
            expr = self.sql.sort_text(expr)
        if op in ("in", "nin"):
            items = value if isinstance(value, list) else str(value).split(",")
            if not items or len(items) > MAX_IN_VALUES:
                raise InvalidInput(f"{where} takes 1 to {MAX_IN_VALUES} values.", field=where)
            values = [self.value(ref, v.strip() if isinstance(v, str) else v, where) for v in items]
            self.params.extend(values)
            marks = ", ".join(["%s"] * len(values))
            if op == "nin":  # like ne: an empty value is "not one of" them
                return f"({expr} IS NULL OR {expr} NOT IN ({marks}))"
            return f"({expr} IN ({marks}))"
        if op == "between":
            items = value if isinstance(value, list) else str(value).split(",")
            if len(items) != 2:
                raise InvalidInput(f"{where} takes two values: low,high.", field=where)
            low, high = (
                self.value(ref, v.strip() if isinstance(v, str) else v, where) for v in items
            )
            self.params.extend([low, high])
            return f"({expr} BETWEEN %s AND %s)"
        if op == "within_days":
            if ref.type != "datetime":
                raise InvalidInput(f"{where}: within_days applies to dates.", field=where)
            try:
                days = float(value)
            except (TypeError, ValueError):
                days = math.nan
            if isinstance(value, bool) or not math.isfinite(days):
                message = f"{where}: {value!r} is not a number of days."
                raise InvalidInput(message, field=where)
            self.params.append(time.time() - days * 86400)
            return f"({expr} >= %s)"
        if ref.type == "string" and op in ("eq", "ne") and value == "":
            return f"({expr} IS NULL)" if op == "eq" else f"({expr} IS NOT NULL)"
        param = self.value(ref, value, where)
        self.params.append(param)
        if op == "eq":
            return f"({expr} = %s)"
        if op == "ne":
            return f"({expr} IS NULL OR {expr} <> %s)"
        symbol = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}[op]
        return f"({expr} {symbol} %s)"

    def group(self, group: Group, where: str = "filter") -> str:
        parts = []
        for i, item in enumerate(group.items):
            label = _label(item, where, i)
            if isinstance(item, Group):
                parts.append(self.group(item, label))
            else:
                parts.append(self.condition(item, label))
        joiner = " AND " if group.kind == "and" else " OR "
        return "(" + joiner.join(parts) + ")" if parts else "(1=1)"

    def search(self, q: str) -> str:
        term = q.lower()
        sources = ["r.data"] + [
            f"j{i}.{s.data_column}" for i, s in enumerate(self.joins) if s.searched
        ]
        exact = " OR ".join(self.sql.search_exact(src) for src in sources)
        exact_params = [self.sql.search_exact_param(term)] * len(sources)
        if not self.searched_joins:
            # The model's text index, built in the background on first use, covers the
            # record's own values (a joined value can match too: joined models scan).
            # On PostgreSQL it serves the prefilter below; SQLite names it.
            indexes.search_wanted(self.model)
            found = self.search_candidates(term)
            if found:
                index, phrase = found
                self.params.append(phrase)
                self.params.extend(exact_params)
                return f"({self.sql.text_index_match(index)} AND ({exact}))"
        cheap = [self.sql.search_prefilter(src, q) for src in sources]
        if None in cheap:
            self.params.extend(exact_params)
            return f"({exact})"
        # A cheap scan of the stored JSON text first (it holds keys too, so it can only
        # over-match); the exact match on values alone runs on what passes.
        self.params.extend(param for _, param in cheap)
        self.params.extend(exact_params)
        return f"(({' OR '.join(sql for sql, _ in cheap)}) AND ({exact}))"

    def sort_expr(self, key: SortKey) -> str:
        ref = self.resolve(key.field, "sort")
        self.sort_types.append(ref.type)
        if self.uses and self.uses[-1][0] == key.field:
            self.uses[-1] = (key.field, key.desc)
        expr = self.typed(ref)
        if ref.type in ("string", "object"):
            expr = self.sql.sort_text(expr)
        return expr

    def search_candidates(self, term: str):
        """SQLite: the model's text table and phrase when it holds few candidates for the
        term (asked once per query and term: the count it runs is not free)."""
        if self._candidates is None or self._candidates[0] != term:
            self._candidates = (term, indexes.search_candidates(self.model, term))
        return self._candidates[1]

    def from_clause(
        self, sort: tuple[SortKey, ...] = (), where: Group | None = None, q: str = ""
    ) -> str:
        sql = "FROM gather_record r"
        # SQLite, a rare term: its few candidates come from the model's text table and
        # get sorted; walking a sort index would read the whole model to find them.
        rare = bool(q) and not self.searched_joins and self.search_candidates(q.lower()) is not None
        if not rare and sort and self.sql.vendor == "sqlite" and sort[0].field in self.field_pks:
            narrow = self.narrow_filter_index(where, sort)
            if narrow is not None:
                name, seek = narrow
                self.seek_terms.append(seek)
            else:
                name = indexes.sort_index(self.model, self.field_pks[sort[0].field], sort[0].desc)
            if name:
                sql += f" INDEXED BY {name}"
        for i, spec in enumerate(self.joins):
            key = self.sql.join_key("r.data", spec.record_field)
            sql += (
                f" LEFT JOIN {spec.table} j{i} ON j{i}.{spec.scope_column} = %s"
                f" AND j{i}.{spec.key_column} = {key}"
            )
            self.params.append(spec.scope_value)
        return sql

    def seekable(self, where: Group | None) -> list[tuple[str, list[Condition], str]]:
        """SQLite: (field, its conditions, its index) for each top-level catalogued field
        the AND of ``where`` filters with conditions an index can seek, and that has an
        index (either direction), in the order the filter names them."""
        if self.sql.vendor != "sqlite" or where is None or where.kind != "and":
            return []
        by_field: dict[str, list[Condition]] = {}  # a range is often two conditions
        for item in where.items:
            if isinstance(item, Condition) and item.op in SEEK_OPS:
                by_field.setdefault(item.field, []).append(item)
        found = []
        for field, conditions in by_field.items():
            pk = self.field_pks.get(field)
            if pk is None or field == self.model.id_field:
                continue
            name = indexes.sort_index(self.model, pk, False) or indexes.sort_index(
                self.model, pk, True
            )
            if name is not None:
                found.append((field, conditions, name))
        return found

    def seek_terms_for(self, where: Group | None) -> list[str]:
        """SQLite: the pinning term (see ``_pinned``) for every seekable filtered field,
        so SQLite can seek its index and count from it alone. Each such condition already
        implies the field is not empty: the terms change no result."""
        return [self._pinned(field) for field, _, _ in self.seekable(where)]

    def _pinned(self, field: str) -> str:
        """The term pinning a field index's leading "is it empty" column (SQLite)."""
        probe = self._fork()
        return f"(({probe.typed(probe.resolve(field, 'filter'))}) IS NULL) = 0"

    def _fork(self) -> "Compiler":
        """A copy that compiles into its own parameters (for side queries)."""
        probe = copy.copy(self)
        probe.params, probe.uses = [], []
        return probe

    def narrow_filter_index(self, where: Group | None, sort) -> tuple[str, str] | None:
        """SQLite: the index of a filtered field when the filter leaves few records, with
        the term that lets SQLite seek it; None to walk the sort field's index instead.

        SQLite keeps no statistics here, so the compiler names the index to use. Walking
        the sort's index is right when many records match (the page fills at once) and
        slow when few do (a 0.1 % range at 1M records read ~50,000 of them). One bounded
        probe through the filter's own index tells the two apart.
        """
        for field, conditions, name in self.seekable(where):
            if field == sort[0].field:
                continue
            probe = self._fork()
            condition = " AND ".join(probe.condition(c, "filter") for c in conditions)
            seek = self._pinned(field)
            with connection.cursor() as cur:
                cur.execute(
                    f"SELECT count(*) FROM (SELECT 1 FROM gather_record r INDEXED BY {name} "
                    f"WHERE r.model_id = {int(self.model.pk)} AND {seek} AND {condition} "
                    f"LIMIT {SEEK_PROBE_LIMIT})",
                    probe.params,
                )
                if cur.fetchone()[0] < SEEK_PROBE_LIMIT:
                    return name, seek
        return None


# Conditions a field's index can seek (each implies the field is not empty), and how many
# matches are still cheap to sort rather than walk the sort's index for.
SEEK_OPS = {"eq", "in", "gt", "gte", "lt", "lte", "between", "within_days"}
SEEK_PROBE_LIMIT = 2000


# What PostgreSQL's numeric holds: 131,072 digits before the decimal point, 16,383 after.
# Numbers in filters and cursors are held to it on both databases.
MAX_NUMBER_DIGITS = 131072
MAX_NUMBER_SCALE = 16383


def number_in_range(number: Decimal) -> bool:
    if not number.is_finite():
        return False
    if number.as_tuple().exponent < -MAX_NUMBER_SCALE:
        return False
    return number.is_zero() or number.adjusted() < MAX_NUMBER_DIGITS


def _label(item, where: str, i: int) -> str:
    if isinstance(item, Condition):
        return f"filter[{item.field}][{item.op}]"
    return f"{where}[{i}]"


def _truthy(value, where) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", ""):
        return True
    if text in ("false", "0", "no"):
        return False
    raise InvalidInput(f"{where} must be true or false.", field=where)


def _epoch(value, where) -> float:
    text = str(value).strip()
    if not DATETIME_RE.match(text):
        raise InvalidInput(f"{where}: {value!r} is not an ISO 8601 date or time.", field=where)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{where}: {value!r} is not a valid date.", field=where) from None
    if moment.tzinfo is None:
        from datetime import UTC

        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# -- cursors -------------------------------------------------------------------------


def _signature(sort: tuple[SortKey, ...]) -> list:
    return [[k.field, k.desc] for k in sort]


def _cursor_encode(sort, values, pk: int) -> str:
    packed = [{"d": str(v)} if isinstance(v, Decimal) else v for v in values]
    raw = orjson.dumps({"s": _signature(sort), "v": packed, "id": pk})
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


MAX_ROW_ID = 2**63 - 1
_BAD = object()


def _cursor_decode(cursor: str, sort, types: list[str], sql) -> tuple[list, int]:
    """The sort values and row id a cursor carries, each checked against the type of its
    sort key: a cursor is opaque, but it arrives from the client and may be tampered with."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        body = orjson.loads(raw)
    except (ValueError, TypeError):  # binascii.Error and orjson's error are ValueErrors
        body = None
    if not isinstance(body, dict):
        body = {}
    values, pk = body.get("v"), body.get("id")
    ok = (
        isinstance(values, list)
        and len(values) == len(sort) == len(types)
        and body.get("s") == _signature(sort)
        and type(pk) is int
        and 0 < pk <= MAX_ROW_ID
    )
    out = [_cursor_value(v, kind, sql) for v, kind in zip(values, types, strict=True)] if ok else []
    if not ok or any(v is _BAD for v in out):
        raise InvalidInput(
            "The cursor is malformed or belongs to another sort order.",
            field="cursor",
            code="invalid_cursor",
        )
    return out, pk


def _cursor_value(value, kind: str, sql):
    """One sort value of a cursor as a query parameter, or _BAD."""
    if value is None:
        return None
    if kind == "number":
        if isinstance(value, dict) and list(value) == ["d"] and isinstance(value["d"], str):
            text = value["d"]
        elif type(value) in (int, float):
            text = repr(value)
        else:
            return _BAD
        try:
            number = Decimal(text)
        except InvalidOperation:
            return _BAD
        return sql.number_param(number) if number_in_range(number) else _BAD
    if kind == "boolean":
        if type(value) is bool or (type(value) is int and value in (0, 1)):
            return sql.bool_param(bool(value))
        return _BAD
    if kind == "datetime":
        if type(value) in (int, float) and math.isfinite(value):
            return float(value)
        return _BAD
    if isinstance(value, str) and "\x00" not in value:
        return value  # text: a string field, an object as text, the record's key
    return _BAD


def _after(exprs: list[str], sort, values: list, pk: int, params: list) -> str:
    """Rows strictly after (values, pk) in ORDER BY exprs NULLS LAST, id DESC."""

    def build(i: int) -> str:
        if i == len(exprs):
            params.append(pk)
            return "(r.id < %s)"
        expr, value = exprs[i], values[i]
        if value is None:
            return f"({expr} IS NULL AND {build(i + 1)})"
        symbol = "<" if sort[i].desc else ">"
        params.append(value)
        head = f"{expr} {symbol} %s OR {expr} IS NULL"
        params.append(value)
        return f"({head} OR ({expr} = %s AND {build(i + 1)}))"

    return build(0)


# -- selectors -----------------------------------------------------------------------


def _check_team(team, model) -> None:
    if model.team_id != team.pk:
        raise NotFound("No such model in this team.", code="model_not_found")


def _page(model, spec: QuerySpec, limit: int, joins=None) -> dict:
    c = Compiler(model, joins)
    sort = spec.sort
    sort_exprs = [c.sort_expr(k) for k in sort]  # validates before any SQL runs
    select = ["r.id", "r.key", c.sql.data("r.data")]
    select += [c.sql.stamp("r.created_at"), c.sql.stamp("r.updated_at")]
    select += [c.sql.data(f"j{i}.{s.data_column}") for i, s in enumerate(c.joins)]
    select += sort_exprs
    from_sql = c.from_clause(sort, spec.where, spec.q or "")
    # A literal (our own integer key), so the model's partial indexes match on both DBs.
    where = [f"r.model_id = {int(model.pk)}", *c.seek_terms]
    if spec.where is not None:
        where.append(c.group(spec.where))
    if spec.q:
        where.append(c.search(spec.q))
    order = [c.sql.order_term(e, k.desc) for e, k in zip(sort_exprs, sort, strict=True)]
    order.append("r.id DESC")
    fetch = int(limit) + 1
    params = c.params
    sql = None
    if spec.cursor:
        values, pk = _cursor_decode(spec.cursor, sort, c.sort_types, c.sql)
        after_params: list = []
        after = _after(sort_exprs, sort, values, pk, after_params)
        if c.sql.vendor == "postgresql" and sort and values[0] is not None:
            sql, params = _split_after(
                c, select, from_sql, where, order, sort, values[0], after, after_params, fetch
            )
        else:
            where.append(after)
            params = params + after_params
    if sql is None:
        sql = (
            f"SELECT {', '.join(select)} {from_sql} WHERE {' AND '.join(where)} "
            f"ORDER BY {', '.join(order)} LIMIT {fetch}"
        )
    with connection.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall()
    if c.uses:
        indexes.wanted(model, c.uses[:4])
    more = len(rows) > limit
    rows = rows[:limit]
    n = len(c.joins)
    data = []
    for row in rows:
        joined = {spec.name: spec.shape(_json(row[5 + i])) for i, spec in enumerate(c.joins)}
        data.append(record_out(row[1], _json(row[2]), row[3], row[4], joined))
    next_cursor = None
    if more and rows:
        last = rows[-1]
        next_cursor = _cursor_encode(sort, list(last[5 + n :]), last[0])
    return {"data": data, "next_cursor": next_cursor}


def _split_after(c, select, from_sql, where, order, sort, first, after, after_params, fetch):
    """PostgreSQL: the page after a cursor whose first sort value is present, as two index
    scans. "Empty values last" makes the cursor's condition an OR (greater, or empty, or
    equal with a later tie-break) that PostgreSQL cannot turn into an index range, so it
    would read the sort index from its start (page 1,000 = 50,000 entries). Split, each
    part is a range: the rows with a value from the cursor's onwards, and the empty ones
    (which all come after any value); the outer query orders at most 2 x fetch rows.
    """
    cols = [f"{e} AS c{i}" for i, e in enumerate(select)]
    first_sort = len(select) - len(sort)
    head = select[first_sort]  # the first sort expression
    bound = "<=" if sort[0].desc else ">="
    base = " AND ".join(where)
    present = (
        f"SELECT {', '.join(cols)} {from_sql} WHERE {base} AND {head} {bound} %s "
        f"AND {after} ORDER BY {', '.join(order)} LIMIT {fetch}"
    )
    empty = (
        f"SELECT {', '.join(cols)} {from_sql} WHERE {base} AND {head} IS NULL "
        f"ORDER BY {', '.join(order)} LIMIT {fetch}"
    )
    outer = [c.sql.order_term(f"c{first_sort + i}", k.desc) for i, k in enumerate(sort)]
    outer.append("c0 DESC")
    sql = (
        f"SELECT * FROM (({present}) UNION ALL ({empty})) AS page "
        f"ORDER BY {', '.join(outer)} LIMIT {fetch}"
    )
    return sql, [*c.params, first, *after_params, *c.params]


def _count(model, spec: QuerySpec, joins=None) -> int:
    c = Compiler(model, joins)
    from_sql = c.from_clause()
    # A literal (our own integer key), so the model's partial indexes match on both DBs.
    where = [f"r.model_id = {int(model.pk)}", *c.seek_terms_for(spec.where)]
    if spec.where is not None:
        where.append(c.group(spec.where))
    if spec.q:
        where.append(c.search(spec.q))
    with connection.cursor() as cur:
        cur.execute(f"SELECT count(*) {from_sql} WHERE {' AND '.join(where)}", c.params)
        return cur.fetchone()[0]


def _json(value):
    if value is None:
        return None
    if isinstance(value, str | bytes):
        return orjson.loads(value)
    return value


def record_query(*, team, model, spec: QuerySpec) -> dict:
    """One page of a model's records matching the spec; ``total`` when asked."""
    _check_team(team, model)
    if not 1 <= spec.limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}.", field="limit")
    joins = joins_for_model(model)
    page = _page(model, spec, spec.limit, joins)
    if spec.count:
        page["total"] = _count(model, spec, joins)
    return page


def record_count(*, team, model, spec: QuerySpec) -> int:
    _check_team(team, model)
    return _count(model, spec)


def record_iter(*, team, model, spec: QuerySpec, batch: int = 1000) -> Iterator[dict]:
    """Every matching record in order, fetched a keyset page at a time.

    The first page is read before this returns, so a query that does not compile (an
    unknown field, a value of the wrong type) raises here, before a caller that streams
    the records (CSV export) has sent its first byte.
    """
    _check_team(team, model)
    joins = joins_for_model(model)
    first = _page(model, spec, batch, joins)
    return _pages(model, spec, batch, joins, first)


def _pages(model, spec: QuerySpec, batch: int, joins, page: dict) -> Iterator[dict]:
    while True:
        yield from page["data"]
        cursor = page["next_cursor"]
        if not cursor:
            return
        page = _page(model, replace(spec, cursor=cursor), batch, joins)


def columns_for_model(model) -> list[tuple[str, str]]:
    """Grid columns: the ID field, catalogued fields in arrival order, joined fields."""
    from gather.records.selectors import model_fields

    columns = [(f.name, f.type) for f in model_fields(model=model)]
    for spec in joins_for_model(model):
        columns += [(f"{spec.name}.{name}", kind) for name, kind in spec.fields.items()]
    return columns
