"""Input and output nodes: literal values into the graph, results out of it for display."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lambdas.runtime.node_type import NodeContext, NodeFamily, port
from statemachine.model import ParameterType

family = NodeFamily("Inputs and outputs")


def _input(id: str, name: str, port_name: str, type: ParameterType, default: Any) -> None:
    @family.node(
        id,
        name,
        f"A {type} value given in the workflow or per run",
        inputs=(
            port(
                port_name,
                type,
                "The value: a literal, or a per-run input",
                required=True,
                hidden=True,
                default=default,
            ),
        ),
        outputs=(port(port_name, type, "The value, unchanged"),),
    )
    def run(ctx: NodeContext) -> Mapping[str, Any]:
        return {port_name: ctx.inputs[port_name]}


_input("number-input", "Number Input", "value", ParameterType.NUMBER, 0)
_input("text-input", "Text Input", "value", ParameterType.STRING, "")
_input("boolean-input", "Boolean Input", "value", ParameterType.BOOLEAN, False)
_input("json-input", "JSON Input", "json", ParameterType.JSON, {})


# What an output node shows when nothing reaches it, as in Dafthunk (`output-any`: nothing).
EMPTY: dict[ParameterType, Any] = {
    ParameterType.STRING: "",
    ParameterType.NUMBER: 0,
    ParameterType.BOOLEAN: False,
    ParameterType.JSON: {},
}


def _output(id: str, name: str, type: ParameterType) -> None:
    @family.node(
        id,
        name,
        f"Shows a {type} result of the workflow",
        inputs=(port("value", type, "The result to show", required=True, fallback=True),),
        outputs=(port("displayValue", type, "The value shown, kept with the record", hidden=True),),
    )
    def run(ctx: NodeContext) -> Mapping[str, Any]:
        return {"displayValue": ctx.inputs.get("value", EMPTY.get(type))}


_output("output-text", "Text Output", ParameterType.STRING)
_output("output-number", "Number Output", ParameterType.NUMBER)
_output("output-boolean", "Boolean Output", ParameterType.BOOLEAN)
_output("output-json", "JSON Output", ParameterType.JSON)
_output("output-any", "Any Output", ParameterType.ANY)
