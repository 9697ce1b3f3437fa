"""Conformance of the random nodes: Dafthunk's own cases (what a draw may be, and the
errors) and ours, on both engines."""

from __future__ import annotations

import re
import sys
import uuid
from typing import Any

import pytest

from tests.conformance.conftest import Engine, Result
from tests.support.workflows import node, workflow


def run_node(engine: Engine, node_type: str, /, **literals: Any) -> Result:
    """Run a workflow of one node `n` with the given literal inputs."""
    return engine.run(workflow(node("n", node_type, **literals)))


def draws(engine: Engine, node_type: str, count: int, /, **literals: Any) -> list[Any]:
    """The outputs of `count` nodes of `node_type` with the same inputs, in one run."""
    output = {"random-uuid": "uuid"}.get(node_type, "value")
    nodes = [node(f"r{i}", node_type, **literals) for i in range(count)]
    result = engine.run(workflow(*nodes))
    return [result.output(f"r{i}", output) for i in range(count)]


# random-number


@pytest.mark.parametrize(
    ("literals", "low", "high", "integer"),
    [
        ({}, 0, 1, False),
        ({"min": 5, "max": 10}, 5, 10, False),
        ({"min": 1, "max": 10, "integer": True}, 1, 9, True),
        ({"min": 0, "max": 100, "integer": True}, 0, 99, True),
        ({"min": -10, "max": -5, "integer": True}, -10, -6, True),
        ({"min": "2", "max": "4", "integer": "yes"}, 2, 3, True),
    ],
)
def test_random_number_draws_in_the_range(engine, literals, low, high, integer):
    for value in draws(engine, "random-number", 5, **literals):
        assert low <= value <= high
        assert isinstance(value, int) is integer


def test_random_number_draws_differ(engine):
    assert len(set(draws(engine, "random-number", 3, min=0, max=1000000))) > 1


@pytest.mark.parametrize(
    ("literals", "message"),
    [
        ({"min": 10, "max": 5}, "min (10) must be less than max (5)"),
        ({"min": 5, "max": 5}, "min (5) must be less than max (5)"),
        ({"min": "invalid", "max": 10}, "Invalid min value: expected number, got string"),
        ({"min": 0, "max": "invalid"}, "Invalid max value: expected number, got string"),
        ({"min": 0.2, "max": 0.8, "integer": True}, "There is no integer in [0.2, 0.8)"),
        # an integer's text beyond a double is Infinity, as "1e400" is
        ({"min": 0, "max": "1" + "0" * 400}, "Invalid max value: expected number, got string"),
        ({"min": "-1e400", "max": 1}, "Invalid min value: expected number, got string"),
    ],
)
def test_random_number_refuses_a_bad_range(engine, literals, message):
    assert run_node(engine, "random-number", **literals).error("n") == message


LARGEST = int(sys.float_info.max)  # the largest integer a double holds


@pytest.mark.parametrize(
    ("low", "high"),
    [(-LARGEST, LARGEST), (-sys.float_info.max, sys.float_info.max)],
    ids=["integers", "doubles"],
)
def test_random_number_over_a_range_wider_than_a_double_says_it_is_not_finite(engine, low, high):
    # max - min is Infinity in JavaScript; with exact integers Python raised OverflowError
    result = run_node(engine, "random-number", min=low, max=high)
    assert result.error("n") == "The result is not a finite number"


def test_random_number_draws_an_integer_over_the_widest_range(engine):
    value = run_node(engine, "random-number", min=-LARGEST, max=LARGEST, integer=True).output(
        "n", "value"
    )
    assert isinstance(value, int)
    assert -LARGEST <= value < LARGEST


# random-choice


def test_random_choice_of_one_is_one_of_the_options(engine):
    options = ["apple", "banana", "cherry"]
    assert all(value in options for value in draws(engine, "random-choice", 5, options=options))


@pytest.mark.parametrize(
    "options", [[1, 2, 3, 4, 5], [{"id": 1}, {"id": 2}, {"id": 3}], ["only", "only"]]
)
def test_random_choice_draws_options_of_any_kind(engine, options):
    assert run_node(engine, "random-choice", options=options).output("n", "value") in options


def test_random_choice_of_several_unique_items_draws_different_options(engine):
    options = ["a", "b", "c", "d", "e"]
    value = run_node(engine, "random-choice", options=options, count=3, unique=True).output(
        "n", "value"
    )
    assert len(value) == 3
    assert set(value) <= set(options)
    assert len(set(value)) == 3


def test_random_choice_of_every_option_draws_them_all(engine):
    value = run_node(engine, "random-choice", options=["a", "b", "c"], count=3).output("n", "value")
    assert sorted(value) == ["a", "b", "c"]


def test_random_choice_may_repeat_when_not_unique(engine):
    value = run_node(engine, "random-choice", options=["x"], count=5, unique=False).output(
        "n", "value"
    )
    assert value == ["x"] * 5


def test_random_choice_of_a_single_value_is_that_value(engine):
    assert run_node(engine, "random-choice", options="only-option").output("n", "value") == (
        "only-option"
    )


def test_random_choice_draws_differ(engine):
    options = list(range(100))
    values = draws(engine, "random-choice", 3, options=options, count=10)
    assert len({tuple(value) for value in values}) > 1


@pytest.mark.parametrize(
    ("literals", "message"),
    [
        ({}, "Missing required input: options"),
        ({"options": []}, "options cannot be empty"),
        (
            {"options": ["a", "b"], "count": 5, "unique": True},
            "Cannot select 5 unique items from 2 options",
        ),
        ({"options": ["a"], "count": "invalid"}, "Invalid count: expected number, got string"),
        ({"options": ["a"], "count": 0}, "Invalid count: must be at least 1, got 0"),
        ({"options": ["a"], "count": 2.5}, "Invalid count: must be an integer, got 2.5"),
    ],
)
def test_random_choice_refuses_bad_input(engine, literals, message):
    assert run_node(engine, "random-choice", **literals).error("n") == message


# random-string


@pytest.mark.parametrize(
    ("literals", "length", "pattern"),
    [
        ({"length": 10}, 10, r"[A-Za-z0-9]+"),
        ({"length": 15, "charset": "alpha"}, 15, r"[A-Za-z]+"),
        ({"length": 8, "charset": "numeric"}, 8, r"[0-9]+"),
        ({"length": 16, "charset": "hex"}, 16, r"[0-9a-f]+"),
        ({"length": 20, "charset": "base64"}, 20, r"[A-Za-z0-9+/]+"),
        ({"length": 10, "charset": "custom", "customCharset": "ABC"}, 10, r"[ABC]+"),
        ({"length": "4", "charset": "custom", "customCharset": "é"}, 4, r"é+"),
    ],
)
def test_random_string_draws_from_the_charset(engine, literals, length, pattern):
    value = run_node(engine, "random-string", **literals).output("n", "value")
    assert len(value) == length
    assert re.fullmatch(pattern, value)


def test_random_string_of_length_zero_is_empty(engine):
    assert run_node(engine, "random-string", length=0).output("n", "value") == ""


def test_random_string_draws_differ(engine):
    assert len(set(draws(engine, "random-string", 2, length=20))) == 2


@pytest.mark.parametrize(
    ("literals", "message"),
    [
        ({}, "Missing required input: length"),
        ({"length": "invalid"}, "Invalid length: expected number, got string"),
        ({"length": -5}, "Invalid length: must be non-negative, got -5"),
        ({"length": 5.5}, "Invalid length: must be an integer, got 5.5"),
        (
            {"length": 10, "charset": "invalid"},
            "Invalid charset: 'invalid'. "
            "Must be one of: alphanumeric, alpha, numeric, hex, base64, custom",
        ),
        ({"length": 10, "charset": "custom"}, "customCharset is required when charset is 'custom'"),
        ({"length": 10, "charset": "custom", "customCharset": ""}, "customCharset cannot be empty"),
        ({"length": 10, "charset": "custom", "customCharset": 7}, "customCharset must be a string"),
    ],
)
def test_random_string_refuses_bad_input(engine, literals, message):
    assert run_node(engine, "random-string", **literals).error("n") == message


def test_random_string_longer_than_an_output_may_be_fails_before_drawing(engine):
    error = run_node(engine, "random-string", length=10**12).error("n")
    assert error.startswith("Output 'value' would be at least 1,000,000,000,002 bytes")


# random-uuid


@pytest.mark.parametrize(
    ("literals", "version"),
    [({}, 4), ({"version": 1}, 1), ({"version": 4}, 4), ({"version": 7}, 7)],
)
def test_random_uuid_is_a_valid_uuid_of_the_version(engine, literals, version):
    text = run_node(engine, "random-uuid", **literals).output("n", "uuid")
    parsed = uuid.UUID(text)
    assert str(parsed) == text
    assert parsed.version == version
    assert parsed.variant == uuid.RFC_4122


def test_random_uuids_differ(engine):
    assert len(set(draws(engine, "random-uuid", 2))) == 2


def test_version_7_uuids_start_with_the_time(engine):
    first, second = draws(engine, "random-uuid", 2, version=7)
    assert first[:8] <= second[:8]


@pytest.mark.parametrize(
    ("version", "message"),
    [
        ("invalid", "Invalid version: expected number, got string"),
        (3, "Invalid UUID version: 3. Must be 1, 4, or 7"),
        (-1, "Invalid UUID version: -1. Must be 1, 4, or 7"),
    ],
)
def test_random_uuid_refuses_other_versions(engine, version, message):
    assert run_node(engine, "random-uuid", version=version).error("n") == message


@pytest.mark.parametrize(
    ("node_type", "literals", "message"),
    [
        ("random-string", {"length": "1e400"}, "Invalid length: must be an integer, got Infinity"),
        (
            "random-choice",
            {"options": [1], "count": "1e400"},
            "Invalid count: must be an integer, got Infinity",
        ),
        (
            "random-uuid",
            {"version": "-1e400"},
            "Invalid UUID version: -Infinity. Must be 1, 4, or 7",
        ),
    ],
)
def test_a_count_read_from_text_as_infinity_is_named_as_javascript_prints_it(
    engine, node_type, literals, message
):
    assert run_node(engine, node_type, **literals).error("n") == message
