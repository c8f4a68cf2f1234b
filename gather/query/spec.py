"""The query language's data: what to filter, how to sort, what to search.

A ``QuerySpec`` is parsed from query-string parameters (``filter[amount][gte]=250``),
from JSON (``POST .../records/query`` and saved views), and compiled to SQL by
``gather.query.engine``. Parsing checks shape only; field names and value types are
checked against the model when the spec is compiled.
"""

import re
from dataclasses import dataclass, field, replace
from typing import Any

from gather.core.errors import InvalidInput

OPS = (
    "eq", "ne", "gt", "gte", "lt", "lte", "contains", "ncontains", "startswith", "in",
    "nin", "empty", "between", "within_days",
)  # fmt: skip
DEFAULT_LIMIT = 50
MAX_LIMIT = 500
MAX_CONDITIONS = 100
MAX_DEPTH = 4

_FILTER_KEY = re.compile(r"^filter\[(?P<path>.*?)\](?:\[(?P<op>[^\[\]]*)\])?$", re.S)


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: Any


@dataclass(frozen=True)
class Group:
    kind: str  # "and" | "or"
    items: tuple


@dataclass(frozen=True)
class SortKey:
    field: str
    desc: bool = False


@dataclass(frozen=True)
class QuerySpec:
    where: Group | None = None
    sort: tuple[SortKey, ...] = ()
    q: str | None = None
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None
    count: bool = False
    given: frozenset = field(default=frozenset(), compare=False)  # which keys were given


def no_nul(text: str, where: str, code: str | None = None) -> str:
    """Text as given, unless it holds NUL, which PostgreSQL text cannot hold (no stored
    value can contain it, so no query needs it)."""
    if "\x00" in text:
        raise InvalidInput(
            f"{where} cannot contain the NUL character (\\u0000).", field=where, code=code
        )
    return text


def _condition(path, op, value, where: str) -> Condition:
    if not isinstance(path, str) or not path:
        raise InvalidInput("A filter needs a field.", field=where)
    if op not in OPS:
        raise InvalidInput(
            f"Unknown operator {op!r} for {path!r}; use one of {', '.join(OPS)}.", field=where
        )
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, str):
            no_nul(item, where)
    return Condition(path, op, value)


def _limit(value, where="limit") -> int:
    try:
        limit = int(value)
    except (TypeError, ValueError):
        raise InvalidInput("limit must be a whole number.", field=where) from None
    if isinstance(value, bool) or not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}.", field=where)
    return limit


def _bool(value, where: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no", ""):
        return False
    raise InvalidInput(f"{where} must be true or false.", field=where)


def parse_sort(value) -> tuple[SortKey, ...]:
    """``-created,amount`` -> (created desc, amount asc)."""
    keys = []
    for part in str(value).split(","):
        part = part.strip()
        if not part:
            continue
        desc = part.startswith("-")
        name = part[1:] if desc or part.startswith("+") else part
        if not name:
            raise InvalidInput("A sort key needs a field name.", field="sort")
        keys.append(SortKey(name, desc))
    if len(keys) > 8:
        raise InvalidInput("Sort by at most 8 fields.", field="sort")
    return tuple(keys)


def spec_from_params(params) -> QuerySpec:
    """From query-string parameters (a QueryDict or a mapping of lists)."""
    items = params.lists() if hasattr(params, "lists") else params.items()
    conditions: list[Condition] = []
    kwargs: dict[str, Any] = {}
    for key, values in items:
        values = values if isinstance(values, list | tuple) else [values]
        if key.startswith("filter"):
            match = _FILTER_KEY.match(key)
            if not match:
                raise InvalidInput(
                    f"Malformed filter parameter {key!r}; use filter[field][op]=value.",
                    field=key,
                )
            op = match.group("op") or "eq"
            for value in values:
                conditions.append(_condition(match.group("path"), op, value, key))
        elif key == "sort":
            kwargs["sort"] = parse_sort(",".join(values))
        elif key == "q":
            kwargs["q"] = no_nul(values[-1], "q") or None
        elif key == "limit":
            kwargs["limit"] = _limit(values[-1])
        elif key == "cursor":
            kwargs["cursor"] = no_nul(values[-1], "cursor", "invalid_cursor") or None
        elif key == "count":
            kwargs["count"] = _bool(values[-1], "count")
        else:
            # A typo (`filters[…]`, `order=`) would otherwise be ignored without a word.
            raise InvalidInput(
                f"Unknown query parameter {key!r}: lists take filter[<path>][<op>], sort, q,"
                " limit, cursor and count.",
                field=key,
            )
    if len(conditions) > MAX_CONDITIONS:
        raise InvalidInput(f"At most {MAX_CONDITIONS} filter conditions.", field="filter")
    if conditions:
        kwargs["where"] = Group("and", tuple(conditions))
    return QuerySpec(**kwargs, given=frozenset(kwargs))


def _item_from_json(item, where: str, depth: int):
    if depth > MAX_DEPTH:
        raise InvalidInput(f"Filter groups nest at most {MAX_DEPTH} deep.", field=where)
    if not isinstance(item, dict):
        raise InvalidInput("Each filter item must be an object.", field=where)
    for kind in ("or", "and"):
        if kind in item:
            children = item[kind]
            if not isinstance(children, list) or not children:
                raise InvalidInput(f"'{kind}' takes a non-empty list.", field=f"{where}.{kind}")
            return Group(
                kind,
                tuple(
                    _item_from_json(c, f"{where}.{kind}[{i}]", depth + 1)
                    for i, c in enumerate(children)
                ),
            )
    unknown = set(item) - {"field", "op", "value"}
    if unknown:
        raise InvalidInput(
            f"Unknown keys in a filter item: {', '.join(sorted(unknown))}.", field=where
        )
    return _condition(item.get("field"), item.get("op", "eq"), item.get("value"), where)


def filter_from_json(items) -> Group | None:
    if items is None:
        return None
    if not isinstance(items, list):
        raise InvalidInput("filter must be a list of conditions.", field="filter")
    if not items:
        return None
    group = Group(
        "and", tuple(_item_from_json(it, f"filter[{i}]", 1) for i, it in enumerate(items))
    )
    if _count(group) > MAX_CONDITIONS:
        raise InvalidInput(f"At most {MAX_CONDITIONS} filter conditions.", field="filter")
    return group


def _count(node) -> int:
    if isinstance(node, Condition):
        return 1
    return sum(_count(i) for i in node.items)


def sort_from_json(items) -> tuple[SortKey, ...]:
    if items is None:
        return ()
    if isinstance(items, str):
        return parse_sort(items)
    if not isinstance(items, list):
        raise InvalidInput("sort must be a list of {field, dir}.", field="sort")
    keys = []
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("field"), str):
            raise InvalidInput("Each sort item needs a field.", field=f"sort[{i}]")
        if set(item) - {"field", "dir"}:
            unknown = ", ".join(sorted(set(item) - {"field", "dir"}))
            raise InvalidInput(f"Unknown keys in a sort item: {unknown}.", field=f"sort[{i}]")
        direction = item.get("dir", "asc")
        if direction not in ("asc", "desc"):
            raise InvalidInput("dir must be 'asc' or 'desc'.", field=f"sort[{i}].dir")
        keys.append(SortKey(item["field"], direction == "desc"))
    if len(keys) > 8:
        raise InvalidInput("Sort by at most 8 fields.", field="sort")
    return tuple(keys)


def spec_from_json(body) -> QuerySpec:
    """From a JSON object: {"filter", "sort", "q", "limit", "cursor", "count"}; a key
    that is null counts as not given."""
    if not isinstance(body, dict):
        raise InvalidInput("The query must be a JSON object (`{}` for every record).")
    unknown = set(body) - {"filter", "sort", "q", "limit", "cursor", "count"}
    if unknown:
        raise InvalidInput(f"Unknown query keys: {', '.join(sorted(unknown))}.", field=min(unknown))
    kwargs: dict[str, Any] = {}
    if body.get("filter") is not None:
        kwargs["where"] = filter_from_json(body["filter"])
    if body.get("sort") is not None:
        kwargs["sort"] = sort_from_json(body["sort"])
    if body.get("q") is not None:
        if not isinstance(body["q"], str):
            raise InvalidInput("q must be text.", field="q")
        kwargs["q"] = no_nul(body["q"], "q") or None
    if body.get("limit") is not None:
        if type(body["limit"]) is not int:
            raise InvalidInput("limit must be a whole number.", field="limit")
        kwargs["limit"] = _limit(body["limit"])
    if body.get("cursor") is not None:
        if not isinstance(body["cursor"], str):
            raise InvalidInput("cursor must be text.", field="cursor")
        kwargs["cursor"] = no_nul(body["cursor"], "cursor", "invalid_cursor") or None
    if body.get("count") is not None:
        if not isinstance(body["count"], bool):
            raise InvalidInput("count must be true or false.", field="count")
        kwargs["count"] = body["count"]
    return QuerySpec(**kwargs, given=frozenset(kwargs))


def _node_to_json(node):
    if isinstance(node, Condition):
        return {"field": node.field, "op": node.op, "value": node.value}
    return {node.kind: [_node_to_json(i) for i in node.items]}


def filter_to_json(where: Group | None) -> list:
    if where is None:
        return []
    if where.kind == "and":
        return [_node_to_json(i) for i in where.items]
    return [_node_to_json(where)]


def spec_to_json(spec: QuerySpec) -> dict:
    return {
        "filter": filter_to_json(spec.where),
        "sort": [{"field": k.field, "dir": "desc" if k.desc else "asc"} for k in spec.sort],
        "q": spec.q,
    }


def spec_and(saved: QuerySpec, extra: QuerySpec) -> QuerySpec:
    """The saved spec's filter AND the extra one's; the extra's sort/q/limit/cursor win."""
    parts = [g for g in (saved.where, extra.where) if g is not None]
    if not parts:
        where = None
    elif len(parts) == 1:
        where = parts[0]
    else:
        where = Group("and", tuple(parts))
    merged = replace(saved, where=where)
    for name in ("sort", "q", "limit", "cursor", "count"):
        if name in extra.given:
            merged = replace(merged, **{name: getattr(extra, name)})
    return replace(merged, given=saved.given | extra.given)
