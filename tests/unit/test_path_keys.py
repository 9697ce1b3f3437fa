"""Object keys carried through a task's Parameters: escaped one to one, restored exactly."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from statemachine.path_keys import escape_keys, unescape_keys

# Keys made of what the escape is made of, so that every shape of key ending comes up.
KEYS = st.text(alphabet="a.$~", max_size=6)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet="a.$~", max_size=4),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(KEYS, children, max_size=4),
    max_leaves=20,
)


def keys(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [*value, *(key for item in value.values() for key in keys(item))]
    if isinstance(value, list):
        return [key for item in value for key in keys(item)]
    return []


@settings(max_examples=300, deadline=None)
@given(JSON)
def test_escaped_keys_never_read_as_paths_and_come_back_exactly(value: Any):
    escaped = escape_keys(value)
    assert not [key for key in keys(escaped) if key.endswith(".$")]
    assert unescape_keys(escaped) == value
    assert len(keys(escaped)) == len(keys(value))  # no two keys escape to one


def test_only_keys_that_end_like_a_path_change():
    value = {"a.$": 1, "b.$~": [{"c.$~~": 2}], "$.d": 3, "e.$x": 4, "values": "a.$"}
    assert escape_keys(value) == {
        "a.$~": 1,
        "b.$~~": [{"c.$~~~": 2}],
        "$.d": 3,
        "e.$x": 4,
        "values": "a.$",
    }
