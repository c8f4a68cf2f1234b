"""The state of a view's grid as the browser holds it: filter rows, sort, search, columns.

Until a view is saved its state lives in the URL, in parameters a plain GET form can
produce without JavaScript:

- one filter row per index: ``ff`` field, ``fo`` operator, ``fv`` value, ``fv2`` second
  value (``between``) and ``fg`` group (0 = ANDed with everything, k > 0 = the k-th OR
  group, itself ANDed); rows without a field are ignored;
- ``fx``: JSON of saved conditions the row editor cannot show (deeper nesting), kept;
- ``sort=-amount,created``, ``q=``, ``col`` (repeated, visible columns in order);
- ``edit=1`` marks that the URL carries the whole state (so "no filters" is expressible).

Rows use the editor's operators (labelled per field type) and translate to and from the
view's stored filter (the query language's JSON plus ``between`` and ``within_days``).
"""

from dataclasses import dataclass, field

import orjson

from gather.views.money import SCALED_OPS, is_money_path

TEXT, NUMBER, BOOLEAN, DATETIME, OBJECT = "string", "number", "boolean", "datetime", "object"

EMPTY_OPS = [("empty", "is empty"), ("notempty", "is not empty")]
OPS_BY_TYPE: dict[str, list[tuple[str, str]]] = {
    TEXT: [
        ("eq", "is"),
        ("ne", "is not"),
        ("contains", "contains"),
        ("ncontains", "does not contain"),
        ("startswith", "starts with"),
        *EMPTY_OPS,
        ("in", "is one of"),
    ],
    NUMBER: [
        ("eq", "="),
        ("ne", "≠"),
        ("gt", ">"),
        ("gte", "≥"),
        ("lt", "<"),
        ("lte", "≤"),
        ("between", "between"),
        *EMPTY_OPS,
        ("in", "is one of"),
    ],
    BOOLEAN: [("true", "is true"), ("false", "is false"), *EMPTY_OPS],
    DATETIME: [
        ("before", "before"),
        ("after", "after"),
        ("between", "between"),
        ("within", "within the last … days"),
        *EMPTY_OPS,
        ("in", "is one of"),
    ],
    OBJECT: [("contains", "contains"), ("ncontains", "does not contain"), *EMPTY_OPS],
}
NO_VALUE = {"empty", "notempty", "true", "false"}
TWO_VALUES = {"between"}
MAX_ROWS = 50

# editor operator -> (stored operator, fixed value or None)
_TO_STORED = {
    "empty": ("empty", True),
    "notempty": ("empty", False),
    "true": ("eq", True),
    "false": ("eq", False),
    "before": ("lt", None),
    "after": ("gt", None),
    "within": ("within_days", None),
}


def ops_for(type_: str) -> list[tuple[str, str]]:
    return OPS_BY_TYPE.get(type_, OPS_BY_TYPE[TEXT])


def op_label(type_: str, op: str) -> str:
    return dict(ops_for(type_)).get(op, op)


@dataclass
class Row:
    field: str
    op: str
    value: str = ""
    value2: str = ""
    group: int = 0


@dataclass
class GridState:
    rows: list[Row] = field(default_factory=list)
    extra: list[dict] = field(default_factory=list)
    sort: list[dict] = field(default_factory=list)
    q: str = ""
    columns: list[str] = field(default_factory=list)

    # -- to the stored form ----------------------------------------------------------
    def filter(self, types: dict[str, str]) -> list[dict]:
        """The stored filter: top-level rows, then one ``or`` item per group."""
        top: list[dict] = []
        groups: dict[int, list[dict]] = {}
        for row in self.rows:
            cond = row_to_condition(row, types.get(row.field, TEXT))
            if row.group <= 0:
                top.append(cond)
            else:
                groups.setdefault(row.group, []).append(cond)
        ors = [{"or": conds} for _, conds in sorted(groups.items())]
        return top + ors + self.extra

    def sort_param(self) -> str:
        return ",".join(("-" if s["dir"] == "desc" else "") + s["field"] for s in self.sort)

    def canonical(self, types: dict[str, str], all_columns: list[str]) -> tuple:
        columns = [] if self.columns == all_columns else self.columns
        return (orjson.dumps(self.filter(types)), tuple(self.sort_param()), self.q, columns)

    def params(self) -> list[tuple[str, str]]:
        """URL parameters that carry the whole state (see the module docstring)."""
        out: list[tuple[str, str]] = [("edit", "1")]
        if self.q:
            out.append(("q", self.q))
        for row in self.rows:
            out += [
                ("ff", row.field),
                ("fo", row.op),
                ("fv", row.value),
                ("fv2", row.value2),
                ("fg", str(row.group)),
            ]
        if self.extra:
            out.append(("fx", orjson.dumps(self.extra).decode()))
        if self.sort:
            out.append(("sort", self.sort_param()))
        out += [("col", c) for c in self.columns]
        return out


def row_to_condition(row: Row, type_: str) -> dict:
    cond = _row_to_condition(row)
    if is_money_path(row.field) and cond["op"] in SCALED_OPS:
        cond["unit"] = "major"  # the amount as the grid shows it (decision 019)
    return cond


def _row_to_condition(row: Row) -> dict:
    stored_op, fixed = _TO_STORED.get(row.op, (row.op, None))
    if fixed is not None:
        return {"field": row.field, "op": stored_op, "value": fixed}
    if row.op == "between":
        return {"field": row.field, "op": "between", "value": [row.value, row.value2]}
    if row.op == "in":
        values = [v.strip() for v in row.value.split(",") if v.strip()]
        return {"field": row.field, "op": "in", "value": values}
    return {"field": row.field, "op": stored_op, "value": row.value}


def condition_to_row(cond: dict, type_: str, group: int) -> Row:
    op, value = cond["op"], cond.get("value")
    if op == "empty":
        return Row(cond["field"], "empty" if value else "notempty", group=group)
    if op == "eq" and (
        isinstance(value, bool) or (type_ == BOOLEAN and value in ("true", "false"))
    ):
        truth = value is True or value == "true"
        return Row(cond["field"], "true" if truth else "false", group=group)
    if op == "between":
        low, high = (list(value) + ["", ""])[:2] if isinstance(value, list) else ("", "")
        return Row(cond["field"], "between", _text(low), _text(high), group)
    if op == "within_days":
        return Row(cond["field"], "within", _text(value), group=group)
    if type_ == DATETIME and op in ("lt", "lte"):
        op = "before"
    elif type_ == DATETIME and op in ("gt", "gte"):
        op = "after"
    if op == "in" and isinstance(value, list):
        return Row(cond["field"], "in", ", ".join(_text(v) for v in value), group=group)
    return Row(cond["field"], op, _text(value), group=group)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _is_condition(item: dict) -> bool:
    return "field" in item and "op" in item


def _minor_money(item: dict) -> bool:
    """A condition on a charge amount in minor units (set through the API): the editor
    takes amounts as shown, so it keeps this one as it is rather than as a row."""
    return is_money_path(item["field"]) and item["op"] in SCALED_OPS and item.get("unit") != "major"


def state_from_view(view, types: dict[str, str]) -> GridState:
    rows: list[Row] = []
    extra: list[dict] = []
    group = 0

    def flatten_and(items: list[dict]) -> None:
        nonlocal group
        for item in items:
            if _is_condition(item) and not _minor_money(item):
                rows.append(condition_to_row(item, types.get(item["field"], TEXT), 0))
            elif "and" in item:
                flatten_and(item["and"])
            elif "or" in item and all(_is_condition(c) and not _minor_money(c) for c in item["or"]):
                group += 1
                for c in item["or"]:
                    rows.append(condition_to_row(c, types.get(c["field"], TEXT), group))
            else:
                extra.append(item)

    flatten_and(view.filter or [])
    return GridState(
        rows=rows, extra=extra, sort=list(view.sort or []), q=view.q or "", columns=view.columns
    )


def parse_sort(text: str) -> list[dict]:
    keys = []
    for part in (text or "").split(","):
        part = part.strip()
        if part and part.lstrip("-"):
            keys.append(
                {"field": part.lstrip("-"), "dir": "desc" if part.startswith("-") else "asc"}
            )
    return keys


def state_from_params(params, types: dict[str, str]) -> GridState:
    """The state a URL carries (``edit=1``); the query engine checks the field names."""
    fields = params.getlist("ff")
    n = len(fields)

    def column(name: str) -> list[str]:
        values = params.getlist(name)
        return values + [""] * (n - len(values))

    ops, values, values2, groups = column("fo"), column("fv"), column("fv2"), column("fg")
    rows: list[Row] = []
    for i in range(n):
        name = fields[i].strip()
        if not name:
            continue
        type_ = types.get(name, TEXT)  # nested paths (meta.plan) filter as text
        op = ops[i] if ops[i] in dict(ops_for(type_)) else ops_for(type_)[0][0]
        try:
            group = max(0, int(groups[i] or 0))
        except ValueError:
            group = 0
        value, value2 = values[i].strip(), values2[i].strip()
        if op not in NO_VALUE and not value and not (op in TWO_VALUES and value2):
            continue  # a row still being written: no value yet
        rows.append(Row(name, op, value, value2, group))
        if len(rows) >= MAX_ROWS:
            break
    extra: list[dict] = []
    if raw := params.get("fx"):
        try:
            loaded = orjson.loads(raw)
        except orjson.JSONDecodeError:
            loaded = None  # a mangled URL: drop what cannot be read
        if isinstance(loaded, list):
            extra = [x for x in loaded if isinstance(x, dict)]
    columns = [c for c in params.getlist("col") if c in types]
    return GridState(
        rows=_renumber(rows),
        extra=extra,
        sort=[k for k in parse_sort(params.get("sort", "")) if _known(k["field"], types)],
        q=params.get("q", "").strip(),
        columns=list(dict.fromkeys(columns)),
    )


def _known(path: str, types: dict[str, str]) -> bool:
    """A column, or a nested path into one (``meta.plan``)."""
    return path in types or path.split(".", 1)[0] in types


def _renumber(rows: list[Row]) -> list[Row]:
    """OR groups numbered 1..n in order of appearance (gaps from removed groups close)."""
    mapping: dict[int, int] = {}
    for row in rows:
        if row.group > 0 and row.group not in mapping:
            mapping[row.group] = len(mapping) + 1
        row.group = mapping.get(row.group, 0)
    return rows
