"""Input and output nodes: literal values into the graph, results out of it for display.

Each reads its value as Dafthunk's node of the same id does (SPEC §4): a number input reads
the text "42" as 42, a boolean input reads "true" as true; an output node with nothing
connected shows its type's empty value. A port's default is what the node does without a
value: where Dafthunk's node fails without one (`text-input`, `json-input`) or passes on
nothing (`javascript-input`), the port has none, although Dafthunk's editor fills one in.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from lambdas.nodes.jsvalues import js_number
from lambdas.nodes.math import number, to_number
from lambdas.runtime.errors import NodeError
from lambdas.runtime.node_type import NodeContext, NodeFamily, port
from statemachine.model import ParameterType
from statemachine.port_types import fits

family = NodeFamily("Inputs and outputs")

NUMBER = ParameterType.NUMBER
STRING = ParameterType.STRING
GIVEN = "The value: a literal, or a per-run input"


@family.node(
    "number-input",
    "Number Input",
    "A number given in the workflow or per run, within `min` and `max` when they are given",
    inputs=(
        port("value", NUMBER, GIVEN, hidden=True, default=0, lenient=True),
        port("min", NUMBER, "The least value allowed", hidden=True),
        port("max", NUMBER, "The greatest value allowed", hidden=True),
        port("step", NUMBER, "The editor's step; not checked when the node runs", hidden=True),
        port("placeholder", STRING, "The editor's placeholder text", hidden=True),
    ),
    outputs=(port("value", NUMBER, "The value, as a number"),),
)
def number_input(ctx: NodeContext) -> Mapping[str, Any]:
    given = to_number(ctx.inputs.get("value"))
    if given is None:
        raise NodeError("Value must be a number")
    value = number(given)
    low, high = ctx.inputs.get("min"), ctx.inputs.get("max")
    if low is not None and value < low:
        raise NodeError(f"Value must be greater than or equal to {js_number(low)}")
    if high is not None and value > high:
        raise NodeError(f"Value must be less than or equal to {js_number(high)}")
    return {"value": value}


@family.node(
    "text-input",
    "Text Input",
    "A text given in the workflow or per run; a node without one fails",
    inputs=(port("value", STRING, GIVEN, hidden=True, lenient=True),),
    outputs=(port("value", STRING, "The text, unchanged"),),
)
def text_input(ctx: NodeContext) -> Mapping[str, Any]:
    value = ctx.inputs.get("value")
    if not isinstance(value, str):
        raise NodeError("Value must be a string")
    return {"value": value}


@family.node(
    "boolean-input",
    "Boolean Input",
    'A boolean given in the workflow or per run; the text "true" is true, other text false',
    inputs=(port("value", ParameterType.BOOLEAN, GIVEN, hidden=True, default=False, lenient=True),),
    outputs=(port("value", ParameterType.BOOLEAN, "The value, as a boolean"),),
)
def boolean_input(ctx: NodeContext) -> Mapping[str, Any]:
    value = ctx.inputs.get("value", False)
    if isinstance(value, str):
        return {"value": value == "true"}
    return {"value": _truthy(value)}


def _truthy(value: Any) -> bool:
    """JavaScript's Boolean(value) of a JSON value: 0 and "" are false, objects true."""
    if isinstance(value, dict | list):
        return True
    return bool(value)


@family.node(
    "json-input",
    "JSON Input",
    "A JSON value given in the workflow or per run; a node without one fails",
    inputs=(port("json", ParameterType.JSON, GIVEN, hidden=True),),
    outputs=(port("json", ParameterType.JSON, "The value, unchanged"),),
)
def json_input(ctx: NodeContext) -> Mapping[str, Any]:
    if "json" not in ctx.inputs:
        raise NodeError("No JSON value provided")
    return {"json": ctx.inputs["json"]}


@family.node(
    "date-input",
    "Date Input",
    'An ISO-8601 date given in the workflow or per run ("" when none is given)',
    inputs=(port("value", ParameterType.DATE, GIVEN, hidden=True, default="", lenient=True),),
    outputs=(port("value", ParameterType.DATE, 'The date, unchanged ("" for none)', lenient=True),),
)
def date_input(ctx: NodeContext) -> Mapping[str, Any]:
    value = ctx.inputs.get("value", "")
    if value == "":
        return {"value": ""}
    if not fits(value, ParameterType.DATE):
        raise NodeError("Invalid date format")
    return {"value": value}


@family.node(
    "slider-input",
    "Slider Input",
    "A number from `min` to `max`, rounded to the nearest `step` (`min` when none is given)",
    inputs=(
        port("min", NUMBER, "The least value", hidden=True, default=0, lenient=True),
        port("max", NUMBER, "The greatest value", hidden=True, default=100, lenient=True),
        port(
            "step", NUMBER, "The step values are rounded to", hidden=True, default=1, lenient=True
        ),
        port("value", NUMBER, GIVEN, hidden=True, lenient=True),
    ),
    outputs=(port("value", NUMBER, "The value, within the range and on a step"),),
)
def slider_input(ctx: NodeContext) -> Mapping[str, Any]:
    low, high, step = (to_number(ctx.inputs.get(n, d)) for n, d in SLIDER_DEFAULTS)
    if low is None or high is None or step is None:
        raise NodeError("Invalid input parameters: min, max, and step must be numbers")
    if low >= high:
        raise NodeError("Min value must be less than max value")
    if step <= 0:
        raise NodeError("Step value must be greater than 0")
    if "value" not in ctx.inputs:
        return {"value": number(low)}
    value = to_number(ctx.inputs["value"])
    if value is None:
        raise NodeError("Value must be a number")
    try:
        held = _on_a_step(value, low, step)
    except OverflowError:  # value - min of exact integers beyond a double: in doubles, as
        held = _on_a_step(float(value), float(low), float(step))  # JavaScript has Infinity
    return {"value": number(min(max(held, low), high))}


def _on_a_step(value: float, low: float, step: float) -> float:
    return low + _round_half_up((value - low) / step) * step


SLIDER_DEFAULTS = (("min", 0), ("max", 100), ("step", 1))


def _round_half_up(value: float) -> int | float:
    """JavaScript's Math.round: halves round towards +∞ (-2.5 gives -2); Infinity and NaN (a
    value read from text such as "1e400") stay as they are."""
    if not math.isfinite(value):
        return value
    whole = int(value // 1)
    return whole + 1 if value - whole >= 0.5 else whole


@family.node(
    "javascript-input",
    "JavaScript Input",
    "JavaScript source given in the workflow or per run, passed on as text",
    inputs=(
        port(
            "javascript",
            STRING,
            "The source (Dafthunk's editor starts with a comment); none passes on nothing",
            hidden=True,
        ),
    ),
    outputs=(port("javascript", STRING, "The source, unchanged"),),
)
def javascript_input(ctx: NodeContext) -> Mapping[str, Any]:
    return {"javascript": ctx.inputs.get("javascript")}  # None: nothing produced


@family.node(
    "secret-input",
    "Secret Input",
    "The NAME of one of the organization's secrets, passed on to nodes that read it "
    "(the secret itself is never read here)",
    inputs=(port("value", ParameterType.SECRET, "The secret's name", hidden=True),),
    outputs=(port("value", ParameterType.SECRET, "The secret's name, unchanged"),),
)
def secret_input(ctx: NodeContext) -> Mapping[str, Any]:
    value = ctx.inputs.get("value")
    if not value:
        raise NodeError("No secret selected")
    return {"value": value}


# What an output node shows when nothing reaches it, as in Dafthunk (`output-any`: nothing;
# `output-date`: the time it runs).
EMPTY: dict[ParameterType, Any] = {
    ParameterType.STRING: "",
    ParameterType.NUMBER: 0,
    ParameterType.BOOLEAN: False,
    ParameterType.JSON: {},
    ParameterType.SECRET: "",
}

# The message of an output node given a value of another type, as Dafthunk words it; an
# output node of a type not listed here refuses such a value as any typed input does.
WRONG_TYPE: dict[ParameterType, str] = {
    ParameterType.NUMBER: "Value must be a number",
    ParameterType.BOOLEAN: "Value must be a boolean",
    ParameterType.DATE: "Value must be an ISO 8601 date string",
    ParameterType.SECRET: "Value must be a secret name reference",
}

_DESCRIPTIONS = {ParameterType.SECRET: "Shows the NAME of a secret (never its value)"}


def _output(id: str, name: str, type: ParameterType, *, inlinable: bool = True) -> None:
    message = WRONG_TYPE.get(type)

    @family.node(
        id,
        name,
        _DESCRIPTIONS.get(type, f"Shows a {type} result of the workflow"),
        inputs=(
            port(
                "value",
                type,
                "The result to show",
                required=True,
                fallback=True,
                lenient=message is not None,
            ),
        ),
        outputs=(port("displayValue", type, "The value shown, kept with the record", hidden=True),),
        inlinable=inlinable,
    )
    def run(ctx: NodeContext) -> Mapping[str, Any]:
        if "value" not in ctx.inputs:
            return {"displayValue": _empty(type)}
        value = ctx.inputs["value"]
        if message is not None and not fits(value, type):
            if type == ParameterType.DATE and isinstance(value, str):
                raise NodeError("Value must be a valid ISO 8601 date string")
            raise NodeError(message)
        return {"displayValue": value}


def _empty(type: ParameterType) -> Any:
    if type == ParameterType.DATE:
        return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return EMPTY.get(type)


_output("output-text", "Text Output", ParameterType.STRING)
_output("output-number", "Number Output", ParameterType.NUMBER)
_output("output-boolean", "Boolean Output", ParameterType.BOOLEAN)
_output("output-json", "JSON Output", ParameterType.JSON)
_output("output-any", "Any Output", ParameterType.ANY)
# With nothing connected it shows the time it runs: a clock, so never inlined (SPEC §3).
_output("output-date", "Date Output", ParameterType.DATE, inlinable=False)
_output("output-secret", "Secret Output", ParameterType.SECRET)
