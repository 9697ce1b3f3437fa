"""Conformance of the array nodes: gathering values and taking one out; Dafthunk's own
cases and ours, good and bad input."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conformance.conftest import Engine, Result
from tests.support.workflows import edge, node, workflow


def run_node(engine: Engine, node_type: str, /, **literals: Any) -> Result:
    """Run a workflow of one node `n` with the given literal inputs."""
    return engine.run(workflow(node("n", node_type, **literals)))


# aggregate-items


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["a", "b", "c"], ["a", "b", "c"]),
        ([1, 2, 3, 4, 5], [1, 2, 3, 4, 5]),
        (["string", 42, True, {"key": "value"}], ["string", 42, True, {"key": "value"}]),
        ("single", ["single"]),
        ({"name": "test", "value": 42}, [{"name": "test", "value": 42}]),
        (42, [42]),
        (None, []),
        ([], []),
        ([None, "b", None], [None, "b", None]),
        ([[1, 2], [3, 4]], [[1, 2], [3, 4]]),
        (list(range(1000)), list(range(1000))),
    ],
)
def test_aggregate_items_gathers_the_values(engine, values, expected):
    result = run_node(engine, "aggregate-items", values=values)
    assert result.output("n") == expected
    assert result.output("n", "count") == len(expected)


def test_aggregate_items_without_values_is_empty(engine):
    result = run_node(engine, "aggregate-items")
    assert result.output("n") == []
    assert result.output("n", "count") == 0


def test_aggregate_items_gathers_every_edge_in_edge_order(engine):
    result = engine.run(
        workflow(
            node("a", "text-input", value="first"),
            node("b", "number-input", value=2),
            node("c", "json-input", json=[3, 4]),
            node("n", "aggregate-items"),
            edges=[
                edge("a.value", "n.values"),
                edge("b.value", "n.values"),
                edge("c.json", "n.values"),
            ],
        )
    )
    assert result.output("n") == ["first", 2, 3, 4]
    assert result.output("n", "count") == 4


# extract-item


@pytest.mark.parametrize(
    ("values", "index", "expected"),
    [
        (["a", "b", "c"], 0, "a"),
        (["a", "b", "c"], 1, "b"),
        (["a", "b", "c"], 2, "c"),
        (["a", "b", "c"], -1, "c"),
        (["a", "b", "c"], -2, "b"),
        ("single", 0, "single"),
        ([{"name": "test", "value": 42}, {"other": "item"}], 0, {"name": "test", "value": 42}),
        ([10, 20, 30], 1, 20),
        ([10, 20, 30], 1.0, 20),
    ],
)
def test_extract_item_takes_the_item_at_the_index(engine, values, index, expected):
    assert run_node(engine, "extract-item", values=values, index=index).output("n") == expected


def test_extract_item_of_a_null_item_completes_without_a_result(engine):
    # A null never travels as a value (SPEC §1): Dafthunk's result null is no output here.
    result = run_node(engine, "extract-item", values=[None, "b", "c"], index=0)
    assert result.node("n")["status"] == "completed"
    assert "result" not in (result.node("n")["outputs"] or {})


@pytest.mark.parametrize(
    ("literals", "message"),
    [
        ({"index": 0}, "No values provided to extract from"),
        ({"values": ["a", "b"]}, "Index is required"),
        ({"values": ["a", "b"], "index": 1.5}, "Index must be an integer"),
        ({"values": ["a", "b"], "index": "0"}, "Index must be an integer"),
        ({"values": ["a", "b", "c"], "index": 5}, "Index 5 is out of bounds for array of length 3"),
        (
            {"values": ["a", "b", "c"], "index": -5},
            "Index -5 is out of bounds for array of length 3",
        ),
        ({"values": [], "index": 0}, "Cannot extract from empty array"),
    ],
)
def test_extract_item_refuses_bad_input(engine, literals, message):
    assert run_node(engine, "extract-item", **literals).error("n") == message


def test_extract_item_takes_from_aggregated_items(engine):
    result = engine.run(
        workflow(
            node("all", "aggregate-items", values=["x", "y", "z"]),
            node("n", "extract-item", index=-1),
            edges=[edge("all.result", "n.values")],
        )
    )
    assert result.output("n") == "z"
