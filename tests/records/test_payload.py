"""parse_json: the checked path agrees with orjson wherever orjson keeps the value."""

import orjson
import pytest

from gather.core.errors import InvalidInput
from gather.records.payload import parse_json, parse_json_items


@pytest.mark.parametrize(
    "body",
    [
        b'{"sha": "3e1234567890123456789012345", "n": 1e100, "m": -2.5E-300}',
        b'{"ns": 1700000000000000000, "big": 9223372036854775807, "t": "1e999"}',
        b'[{"a": 0.000000000000000000001}, {"b": [1, 2.5, "x"]}]',
    ],
)
def test_parse_json_checked_path_matches_orjson(body):
    assert parse_json(body) == orjson.loads(body)


def test_parse_json_error_names_the_path_printably():
    with pytest.raises(InvalidInput) as caught:
        parse_json(b'{"a\\ud800": {"b": 1}}')
    assert caught.value.code == "invalid_text"
    assert caught.value.field == "a\\ud800"
    with pytest.raises(InvalidInput) as caught:
        parse_json(b'{"a": [{"b": 1e-400}]}')
    assert (caught.value.code, caught.value.field) == ("number_out_of_range", "a.0.b")


def test_parse_json_items_replaces_only_the_bad_items():
    items = parse_json_items(b'[{"id": 1}, {"id": 99999999999999999999999}, {"id": 3}]')
    assert items[0] == {"id": 1} and items[2] == {"id": 3}
    assert isinstance(items[1], InvalidInput) and items[1].field == "id"
