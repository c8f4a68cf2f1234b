"""Turns request bodies into record payloads: JSON objects and form-encoded fields."""

import json
import math
import re
from decimal import Decimal
from urllib.parse import parse_qsl

import orjson

from gather.core.errors import InvalidInput, UnsupportedMediaType

MAX_DEPTH = 32


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


INT_MIN, INT_MAX = -(2**63), 2**63 - 1
# A number literal orjson may change without saying so: 19+ digits in a row (an integer
# beyond 64 bits becomes a double; a long run of zeros can underflow) or a three-digit
# exponent (1e-400 becomes 0.0). Rare in practice; such bodies take the checked path.
# (The common first digit is factored out: the search runs on every JSON body.)
_RISKY_NUMBER = re.compile(rb"[0-9](?:[0-9]{18}|[eE][+-]?[0-9]{3})")
_NONZERO_DIGIT = re.compile(r"[1-9]")


class _OutOfRange:
    """A number literal that no stored number equals (see docs/decisions/011)."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text


def _int(text: str):
    value = int(text)
    if INT_MIN <= value <= INT_MAX:
        return value
    # Beyond 64 bits an integer is kept only if a double is the same number: 1e20, or
    # how PostgreSQL writes a large double back (1.5e300 as 15 and 299 zeros).
    try:
        as_float = float(value)
    except OverflowError:
        return _OutOfRange(text)
    return as_float if int(Decimal(repr(as_float))) == value else _OutOfRange(text)


def _float(text: str):
    value = float(text)
    if math.isinf(value):
        return _OutOfRange(text)
    if value == 0.0 and _NONZERO_DIGIT.search(text.lower().partition("e")[0]):
        return _OutOfRange(text)  # underflow: a non-zero literal that reads as 0
    return value


def _loads(body: bytes) -> tuple[object, bool]:
    """Parse JSON; returns (value, checked). orjson takes the common case. What it
    refuses, or may have changed (``_RISKY_NUMBER``), goes to the standard library, which
    keeps every number literal exact and lets lone surrogates (``"\\ud800"``, valid JSON
    grammar but not Unicode text) through: such values come back with checked=False, for
    ``_problem`` to find."""
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        pass
    else:
        if not _RISKY_NUMBER.search(body):
            return value, True
    try:
        value = json.loads(
            body, parse_int=_int, parse_float=_float, parse_constant=_reject_constant
        )
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise InvalidInput(f"The body is not valid JSON: {exc}", code="invalid_json") from None
    return value, False


def _has_surrogate(text: str) -> bool:
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _path_text(path) -> str | None:
    """("meta", ("tags", (None...))) linked pairs -> "meta.tags.1", printable."""
    parts = []
    while path is not None:
        path, key = path
        parts.append(str(key))
    text = ".".join(reversed(parts))
    return text.encode("utf-8", "backslashreplace").decode("utf-8") or None


def _surrogate_error(path) -> InvalidInput:
    where = _path_text(path)
    return InvalidInput(
        f"{where or 'The body'}: text must be valid Unicode, and a lone surrogate "
        "(e.g. \\ud800) is not; characters beyond U+FFFF are sent as a pair "
        "(\\ud83d\\ude00) or as UTF-8.",
        field=where,
        code="invalid_text",
    )


def _number_error(path, text: str) -> InvalidInput:
    where = _path_text(path)
    shown = text if len(text) <= 40 else f"{text[:37]}..."
    return InvalidInput(
        f"{where or 'The body'}: {shown} is out of range. Numbers are stored as 64-bit "
        "integers (-9223372036854775808 to 9223372036854775807) or as doubles (up to about "
        "1.8e308, non-zero down to about 5e-324); send it as text to keep it exactly.",
        field=where,
        code="number_out_of_range",
    )


def _problem(value, path=None) -> InvalidInput | None:
    """The first value the checked path found that no database stores faithfully (a
    lone surrogate in a key or a text, a number out of range), as the error naming it."""
    stack = [(value, path)]
    while stack:
        node, where = stack.pop()
        kind = type(node)
        if kind is str:
            if _has_surrogate(node):
                return _surrogate_error(where)
        elif kind is dict:
            for key, item in node.items():
                if _has_surrogate(key):
                    return _surrogate_error((where, key))
                stack.append((item, (where, key)))
        elif kind is list:
            stack.extend((item, (where, index)) for index, item in enumerate(node))
        elif kind is _OutOfRange:
            return _number_error(where, node.text)
    return None


def parse_json(body: bytes):
    """Parse a JSON body. Refuses NaN/Infinity, lone surrogates and numbers that would be
    stored as a different number (400 naming where)."""
    value, checked = _loads(body)
    if not checked and (problem := _problem(value)) is not None:
        raise problem
    return value


def parse_json_items(body: bytes) -> list:
    """Parse a JSON array of items; an item holding what ``parse_json`` refuses is
    replaced by its error, so a batch fails that item only."""
    value, checked = _loads(body)
    if not isinstance(value, list):
        raise InvalidInput("A batch is a JSON array of records (or NDJSON).")
    if checked:
        return value
    return [problem if (problem := _problem(item)) is not None else item for item in value]


def _split_brackets(name: str) -> list[str] | None:
    """``meta[plan]`` -> ["meta", "plan"]; ``tags[]`` -> ["tags", ""]; None if malformed."""
    if "[" not in name:
        return [name]
    head, _, rest = name.partition("[")
    parts = [head]
    while rest:
        inner, sep, rest = rest.partition("]")
        if not sep:
            return None
        parts.append(inner)
        if not rest:
            break
        if not rest.startswith("["):
            return None
        rest = rest[1:]
    return parts


def parse_form(items: list[tuple[str, str]]) -> dict:
    """Nest bracket keys: ``meta[plan]=pro`` -> {"meta": {"plan": "pro"}}; ``t[]=a`` -> list."""
    result: dict = {}
    for name, value in items:
        parts = _split_brackets(name)
        if parts is None or not parts[0] or len(parts) > MAX_DEPTH:
            raise InvalidInput(f"Malformed form field name {name!r}.", field=name)
        node = result
        for depth, part in enumerate(parts):
            last = depth == len(parts) - 1
            nxt = None if last else parts[depth + 1]
            if isinstance(node, list):
                if part != "":
                    raise InvalidInput(f"Malformed form field name {name!r}.", field=name)
                if last:
                    node.append(value)
                else:
                    child = [] if nxt == "" else {}
                    node.append(child)
                    node = child
                continue
            if last:
                node[part] = value
                continue
            child = node.get(part)
            want_list = nxt == ""
            if child is None or isinstance(child, str):
                child = [] if want_list else {}
                node[part] = child
            elif want_list != isinstance(child, list):
                raise InvalidInput(f"Form field {name!r} mixes a list and an object.", field=name)
            node = child
    return result


def looks_like_json(body: bytes) -> bool:
    """A JSON object or array: ``{…}`` or ``[…]`` around the whole body. Form field names
    never start with ``[``, and one spelled ``{…}`` with a value ending in ``}`` is far
    less likely than a JSON body sent with the wrong label."""
    text = body.strip()
    return len(text) >= 2 and (text[:1], text[-1:]) in ((b"{", b"}"), (b"[", b"]"))


def parse_form_body(body: bytes) -> dict:
    """A form-encoded body as a record payload; bracket keys nest (see ``parse_form``).

    Names and values must be UTF-8 after percent-decoding (``%ff%fe`` is refused, as raw
    invalid UTF-8 is), so nothing is stored as replacement characters. A body that looks
    like JSON (``curl -d '{"id": 1}'`` labels it form-encoded) is refused with a hint
    rather than stored as one field named after the whole body.
    """
    if looks_like_json(body):
        raise UnsupportedMediaType(
            "The body looks like JSON but is labelled application/x-www-form-urlencoded"
            " (curl -d does that): send it with the header 'Content-Type: application/json'."
        )
    try:
        pairs = parse_qsl(
            body.decode("utf-8"), keep_blank_values=True, encoding="utf-8", errors="strict"
        )
    except UnicodeDecodeError:
        raise InvalidInput(
            "Form bodies must be UTF-8, after percent-decoding too (e.g. %C3%A9 for é)."
        ) from None
    return parse_form(pairs)


_SCALARS = (int, bool, type(None))


def check_finite(value, depth: int = 0) -> None:
    """Reject what no database can store faithfully: non-finite numbers, NUL characters
    (PostgreSQL's jsonb refuses them) and absurd nesting."""
    if depth > MAX_DEPTH:
        raise InvalidInput(f"Values nest deeper than {MAX_DEPTH} levels.")
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidInput("Numbers must be finite.")
    if isinstance(value, str):
        if "\x00" in value:
            raise InvalidInput("Text cannot contain the NUL character (\\u0000).")
        return
    if isinstance(value, dict):
        for k, v in value.items():
            if "\x00" in k:
                raise InvalidInput("Field names cannot contain the NUL character (\\u0000).")
            # The common leaves inline: this runs for every value of every record.
            kind = type(v)
            if kind is str:
                if "\x00" in v:
                    raise InvalidInput("Text cannot contain the NUL character (\\u0000).")
            elif kind not in _SCALARS:
                check_finite(v, depth + 1)
    elif isinstance(value, list):
        for v in value:
            check_finite(v, depth + 1)
