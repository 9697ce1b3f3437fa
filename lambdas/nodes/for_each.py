"""Looping over a list: `for-each` runs a deployed workflow of the organization once per item,
each run an execution of its own (a child), and gives their outputs in item order."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lambdas.runtime.errors import NodeError
from lambdas.runtime.for_each import ForEachRequest
from lambdas.runtime.node_type import NodeContext, NodeFamily, port
from statemachine.for_each import (
    DEFAULT_MAX_CONCURRENCY,
    FOR_EACH_TYPE,
    ITEM_INPUT,
    ITEMS_INPUT,
    MAX_CONCURRENCY,
    MAX_CONCURRENCY_INPUT,
    MAX_ITEMS,
    TOLERATED_FAILURES_INPUT,
    WORKFLOW_ID_INPUT,
)
from statemachine.model import ParameterType

family = NodeFamily("Workflows")


@family.node(
    FOR_EACH_TYPE,
    "For Each",
    "Runs another workflow of the organization once per item of a list, each run an "
    "execution of its own: `results` holds each run's output node values, in item order",
    inputs=(
        port(ITEMS_INPUT, ParameterType.JSON, "The items: a JSON array", required=True),
        port(
            WORKFLOW_ID_INPUT,
            ParameterType.STRING,
            "The id of the workflow to run for each item (deployed in the same organization)",
            required=True,
        ),
        port(
            ITEM_INPUT,
            ParameterType.STRING,
            "The input of that workflow each item is given to, as `nodeId.inputName`",
            required=True,
        ),
        port(
            MAX_CONCURRENCY_INPUT,
            ParameterType.NUMBER,
            f"How many items run at once: 1 to {MAX_CONCURRENCY}",
            default=DEFAULT_MAX_CONCURRENCY,
        ),
        port(
            TOLERATED_FAILURES_INPUT,
            ParameterType.NUMBER,
            "How many items may fail before the node does",
            default=0,
        ),
    ),
    outputs=(
        port(
            "results",
            ParameterType.JSON,
            "Each item's run: the value of each output node by node id (null for an item "
            "that failed), in item order",
        ),
        port("errors", ParameterType.JSON, "Each item that failed: its index and error"),
        port("executionIds", ParameterType.JSON, "The id of each item's run, in item order"),
    ),
    inlinable=False,
    # Each item's execution is charged for its own nodes, once: the loop costs nothing.
    usage=0,
)
def for_each(ctx: NodeContext) -> Mapping[str, Any]:
    calls = ctx.environment.calls
    if calls is None:
        raise NodeError("This engine cannot run another workflow")
    items = ctx.inputs[ITEMS_INPUT]
    if not isinstance(items, list):
        raise NodeError(f"Input '{ITEMS_INPUT}' must be a JSON array, not {_kind(items)}")
    if len(items) > MAX_ITEMS:
        raise NodeError(
            f"Input '{ITEMS_INPUT}' has {len(items):,} items, more than the {MAX_ITEMS:,} a "
            "for-each runs (each a child execution its task prepares); split the list"
        )
    target = ctx.inputs[ITEM_INPUT]
    target_node, _, target_input = str(target).rpartition(".")
    if not target_node or not target_input:
        raise NodeError(
            f"Input '{ITEM_INPUT}' must name the input each item is given to as "
            f"'nodeId.inputName', not '{target}'"
        )
    concurrency = _whole(ctx, MAX_CONCURRENCY_INPUT, DEFAULT_MAX_CONCURRENCY, 1, MAX_CONCURRENCY)
    tolerated = _whole(ctx, TOLERATED_FAILURES_INPUT, 0, 0, None)
    request = ForEachRequest(
        node_id=ctx.node_id,
        workflow_id=ctx.inputs[WORKFLOW_ID_INPUT],
        items=items,
        target_node=target_node,
        target_input=target_input,
        max_concurrency=concurrency,
        tolerated_failures=tolerated,
    )
    return calls.for_each(request)


def _whole(ctx: NodeContext, name: str, default: int, least: int, most: int | None) -> int:
    """Input `name` as a whole number within bounds (`default` when absent), or NodeError."""
    value = ctx.inputs.get(name)
    if value is None:
        return default
    whole = not isinstance(value, bool) and (
        isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    )
    if not whole or value < least or (most is not None and value > most):
        bounds = f"from {least} to {most}" if most is not None else f"{least} or more"
        raise NodeError(f"Input '{name}' must be a whole number {bounds}, not {value!r}")
    return int(value)


def _kind(value: Any) -> str:
    """The JSON type of `value`, as a message names it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an object"
