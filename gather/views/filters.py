"""A view's stored query, in the JSON form of the query language.

A condition on a charge amount may carry ``"unit": "major"`` (the amount as shown, see
``gather.views.money``); the view's query expands it when it runs.

Stored as given and normalised (``in`` as a list, ``empty`` as a boolean, ``within_days``
as a whole number), so a saved "within the last 7 days" stays relative: the engine
evaluates it against the clock each time the view runs.
"""

from typing import Any

from gather.core.errors import InvalidInput
from gather.query.spec import OPS as VIEW_OPS

from .money import UNITS, is_money_path, money_condition

MAX_CONDITIONS = 100


def _condition(item: dict, where: str) -> dict:
    field = item.get("field")
    if not isinstance(field, str) or not field.strip():
        raise InvalidInput("Each condition needs a field.", field=f"{where}.field")
    op = item.get("op", "eq")
    if op not in VIEW_OPS:
        raise InvalidInput(
            f"Unknown operator {op!r}; use one of {', '.join(VIEW_OPS)}.", field=f"{where}.op"
        )
    value = item.get("value")
    if op == "between":
        if not isinstance(value, list | tuple) or len(value) != 2:
            raise InvalidInput("between takes [low, high].", field=f"{where}.value")
        value = list(value)
    elif op == "within_days":
        try:
            value = int(value)
        except (TypeError, ValueError):
            raise InvalidInput(
                "within_days takes a number of days.", field=f"{where}.value"
            ) from None
        if not 0 < value <= 36500:
            raise InvalidInput("within_days is 1 to 36500 days.", field=f"{where}.value")
    elif op in ("in", "nin") and isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    elif op == "empty":
        value = value not in (False, "false", "0", 0)
    cleaned = {"field": field.strip(), "op": op, "value": value}
    if "unit" in item:
        unit = item["unit"]
        if unit not in UNITS:
            raise InvalidInput("unit is major or minor.", field=f"{where}.unit")
        if unit == "major":
            if not is_money_path(cleaned["field"]):
                raise InvalidInput(
                    "unit applies to charge amounts (stripe_charge.amount…).",
                    field=f"{where}.unit",
                )
            money_condition(cleaned, where)  # the value must read as an amount
            cleaned["unit"] = "major"
    return cleaned


def filter_clean(items: Any, where: str = "filter") -> list[dict]:
    """Check a filter's shape and return it normalised; raises InvalidInput naming the part."""
    if items is None:
        return []
    if not isinstance(items, list):
        raise InvalidInput("filter is a list of conditions.", field=where)
    out: list[dict] = []
    for i, item in enumerate(items):
        part = f"{where}[{i}]"
        if not isinstance(item, dict):
            raise InvalidInput("Each filter item is an object.", field=part)
        if "or" in item or "and" in item:
            kind = "or" if "or" in item else "and"
            out.append({kind: filter_clean(item[kind], f"{part}.{kind}")})
        else:
            out.append(_condition(item, part))
    if _count(out) > MAX_CONDITIONS:
        raise InvalidInput(f"A filter has at most {MAX_CONDITIONS} conditions.", field=where)
    return out


def _count(items: list[dict]) -> int:
    return sum(_count(i.get("or") or i.get("and") or []) if "field" not in i else 1 for i in items)


def sort_clean(items: Any) -> list[dict]:
    if items is None:
        return []
    if not isinstance(items, list):
        raise InvalidInput("sort is a list of {field, dir}.", field="sort")
    out = []
    for i, item in enumerate(items):
        if isinstance(item, str):
            item = {"field": item.lstrip("-"), "dir": "desc" if item.startswith("-") else "asc"}
        if not isinstance(item, dict) or not isinstance(item.get("field"), str):
            raise InvalidInput("Each sort key needs a field.", field=f"sort[{i}].field")
        direction = item.get("dir", "asc")
        if direction not in ("asc", "desc"):
            raise InvalidInput("dir is asc or desc.", field=f"sort[{i}].dir")
        out.append({"field": item["field"].strip(), "dir": direction})
    return out
