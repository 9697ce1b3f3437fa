"""Array nodes: gathering values into an array, and taking one item out of it.

Both take a repeated `values` input: several edges into it arrive as one array, as do the
items of an array literal (nulls among them kept); a single value is an array of one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lambdas.nodes.jsvalues import js_integer, js_number
from lambdas.runtime.errors import NodeError
from lambdas.runtime.node_type import NodeContext, NodeFamily, port
from statemachine.model import ParameterType

family = NodeFamily("Array")

ANY = ParameterType.ANY


def _values(description: str) -> Any:
    return port(
        "values",
        ANY,
        description,
        required=True,
        repeated=True,
        fallback=True,
        lenient=True,
    )


@family.node(
    "aggregate-items",
    "Aggregate Items",
    "The values connected to `values`, as one array (an empty one when none arrives)",
    inputs=(_values("The values to gather"),),
    outputs=(
        port("result", ANY, "The values, as an array", repeated=True),
        port("count", ParameterType.NUMBER, "How many values", hidden=True),
    ),
)
def aggregate_items(ctx: NodeContext) -> Mapping[str, Any]:
    values: list[Any] = ctx.inputs.get("values", [])
    return {"result": values, "count": len(values)}


@family.node(
    "extract-item",
    "Extract Item",
    "The item of `values` at `index` (a negative index counts from the end)",
    inputs=(
        _values("The values to take from"),
        port(
            "index",
            ParameterType.NUMBER,
            "The item's position, from 0 (or -1 for the last)",
            required=True,
            fallback=True,
            lenient=True,
        ),
    ),
    outputs=(port("result", ANY, "The item"),),
)
def extract_item(ctx: NodeContext) -> Mapping[str, Any]:
    if "index" not in ctx.inputs:
        raise NodeError("Index is required")
    index = ctx.inputs["index"]
    if not js_integer(index):
        raise NodeError("Index must be an integer")
    if "values" not in ctx.inputs:
        raise NodeError("No values provided to extract from")
    values: list[Any] = ctx.inputs["values"]
    if not values:
        raise NodeError("Cannot extract from empty array")
    position = int(index) + len(values) if index < 0 else int(index)
    if not 0 <= position < len(values):
        raise NodeError(
            f"Index {js_number(index)} is out of bounds for array of length {len(values)}"
        )
    return {"result": values[position]}
