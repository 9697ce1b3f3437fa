"""Large values are judged and printed in time proportional to their size with small
constants: a depth check that walks a level of scalars in one pass, and `--json` output that
writes a large array or object on one line (json indents in Python)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from local.display import ONE_LINE_ITEMS, terminal_json
from statemachine.port_types import MAX_DEPTH, within_depth


def nested(levels: int, leaf: Any = 1) -> Any:
    value = leaf
    for _ in range(levels):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("value", "limit", "within"),
    [
        (5, 0, True),
        ([], 0, False),
        ([], 1, True),
        (nested(MAX_DEPTH), MAX_DEPTH, True),
        (nested(MAX_DEPTH + 1), MAX_DEPTH, False),
        ({"a": [{"b": 1}]}, 2, False),
        ({"a": [{"b": 1}]}, 3, True),
        ([1] * 100_000 + [nested(3)], 4, True),
        ([1] * 100_000 + [nested(4)], 4, False),
        ({"k": "v", "deep": {"x": nested(2, {})}}, 5, True),
        ({"k": "v", "deep": {"x": nested(2, {})}}, 4, False),
    ],
)
def test_the_depth_is_counted_in_arrays_and_objects_alike(
    value: Any, limit: int, within: bool
) -> None:
    assert within_depth(value, limit) is within


def test_a_large_array_is_printed_on_one_line_within_the_indented_record() -> None:
    record = {
        "nodeExecutions": [
            {"nodeId": "j", "outputs": {"value": [1] * (ONE_LINE_ITEMS + 1)}},
            {"nodeId": "k", "outputs": {"value": {str(i): "\u009b" for i in range(2000)}}},
            {"nodeId": "small", "outputs": {"value": [1, 2]}},
        ]
    }
    text = terminal_json(record)
    assert json.loads(text) == record
    lines = text.splitlines()
    assert '      "outputs": {' in lines  # still indented around the large values
    assert f'        "value": [{", ".join(["1"] * (ONE_LINE_ITEMS + 1))}]' in lines
    assert '        "value": {"0": "\\u009b", "1": "\\u009b",' in text  # escaped as before
    assert "\u009b" not in text
    assert '        "value": [\n          1,\n          2\n        ]' in text


def test_a_string_like_the_mark_of_a_large_value_prints_as_written() -> None:
    record = {"a": "stepthunk-one-line-" + "0" * 36, "b": list(range(ONE_LINE_ITEMS + 1))}
    assert json.loads(terminal_json(record)) == record
