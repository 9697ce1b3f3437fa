"""Calling another workflow: `run-workflow` runs a deployed workflow of the organization as
an execution of its own (a child) and gives its output nodes' values."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lambdas.runtime.errors import NodeError
from lambdas.runtime.node_type import NodeContext, NodeFamily, port
from statemachine.calls import INPUTS_INPUT, RUN_WORKFLOW_TYPE, WORKFLOW_ID_INPUT
from statemachine.model import ParameterType

family = NodeFamily("Workflows")


@family.node(
    RUN_WORKFLOW_TYPE,
    "Run Workflow",
    "Runs another workflow of the organization as an execution of its own and waits for it: "
    "`outputs` holds the value of each of its output nodes by node id",
    inputs=(
        port(
            WORKFLOW_ID_INPUT,
            ParameterType.STRING,
            "The id of the workflow to run (deployed in the same organization)",
            required=True,
        ),
        port(
            INPUTS_INPUT,
            ParameterType.JSON,
            "Its per-run inputs: node id -> input name -> value, as a start request's `inputs`",
        ),
    ),
    outputs=(
        port("outputs", ParameterType.JSON, "The value of each output node, by node id"),
        port("executionId", ParameterType.STRING, "The id of the workflow's execution"),
    ),
    inlinable=False,
    # The child execution is charged for its own nodes, once: the call itself costs nothing.
    usage=0,
)
def run_workflow(ctx: NodeContext) -> Mapping[str, Any]:
    calls = ctx.environment.calls
    if calls is None:
        raise NodeError("This engine cannot run another workflow")
    overrides = ctx.inputs.get(INPUTS_INPUT)
    if overrides is None:
        overrides = {}
    if not isinstance(overrides, dict):
        raise NodeError(
            "Input 'inputs' must be an object: node id -> input name -> value, "
            f"not {type(overrides).__name__}"
        )
    return calls.call(ctx.node_id, ctx.inputs[WORKFLOW_ID_INPUT], overrides)
