"""Branching nodes and conditions: forks produce only the output taken, joins pass on the
one branch that ran, comparisons and boolean connectives compute what a fork branches on."""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any

from lambdas.runtime.errors import NodeError
from lambdas.runtime.node_type import NodeContext, NodeFamily, port
from statemachine.catalog import DynamicPorts
from statemachine.model import ParameterType

family = NodeFamily("Logic")

ANY = ParameterType.ANY


@family.node(
    "conditional-fork",
    "Conditional Fork",
    "Sends `value` to the `true` or the `false` output; the other branch is skipped",
    inputs=(
        port("value", ANY, "The value passed to the branch taken", required=True, fallback=True),
        port(
            "condition",
            ParameterType.BOOLEAN,
            "Which branch to take (anything but a boolean is an error)",
            required=True,
            fallback=True,
            lenient=True,
        ),
    ),
    outputs=(
        port("true", ANY, "`value`, when the condition is true"),
        port("false", ANY, "`value`, when the condition is false"),
    ),
)
def conditional_fork(ctx: NodeContext) -> Mapping[str, Any]:
    condition = ctx.inputs.get("condition")
    if not isinstance(condition, bool):
        raise NodeError("Condition must be a boolean.")
    return {"true" if condition else "false": _value(ctx)}


def _value(ctx: NodeContext) -> Any:
    if "value" not in ctx.inputs:
        raise NodeError("Value input is required.")
    return ctx.inputs["value"]


@family.node(
    "conditional-join",
    "Conditional Join",
    "Passes on the value of whichever branch ran; exactly one of `true` and `false` must arrive",
    inputs=(
        port("true", ANY, "The true branch's value (null counts)", nullable=True),
        port("false", ANY, "The false branch's value (null counts)", nullable=True),
    ),
    outputs=(port("result", ANY, "The value that arrived, null included", nullable=True),),
)
def conditional_join(ctx: NodeContext) -> Mapping[str, Any]:
    arrived = [name for name in ("true", "false") if name in ctx.inputs]
    if len(arrived) == 2:
        raise NodeError(
            "ConditionalJoin node requires exactly one input, but both 'true' and 'false' "
            "were provided. This violates the exclusive join condition."
        )
    if not arrived:
        raise NodeError(
            "ConditionalJoin node requires exactly one input, but neither 'true' nor 'false' "
            "was provided. This suggests an error in the workflow design."
        )
    return {"result": ctx.inputs[arrived[0]]}


def _case_number(name: str) -> int:
    return int(name.rsplit("_", 1)[1])


@family.node(
    "switch-fork",
    "Switch Fork",
    "Sends `value` to the output `case_k` whose key equals `selector`, else to `default`",
    inputs=(
        port("value", ANY, "The value passed to the branch taken", required=True, fallback=True),
        port(
            "selector",
            ParameterType.STRING,
            "The key of the case to take (anything but a string is an error)",
            required=True,
            fallback=True,
            lenient=True,
        ),
    ),
    outputs=(port("default", ANY, "`value`, when no case matches"),),
    dynamic_inputs=DynamicPorts(
        prefix="case", type=ParameterType.STRING, description="Key compared with the selector"
    ),
    dynamic_outputs=DynamicPorts(prefix="case", type=ANY, description="Taken when its key matches"),
)
def switch_fork(ctx: NodeContext) -> Mapping[str, Any]:
    selector = ctx.inputs.get("selector")
    if not isinstance(selector, str):
        raise NodeError("Selector must be a string.")
    value = _value(ctx)
    cases = sorted((n for n in ctx.inputs if n.startswith("case_")), key=_case_number)
    taken = next((name for name in cases if ctx.inputs[name] == selector), "default")
    return {taken: value}


@family.node(
    "switch-join",
    "Switch Join",
    "Passes on the value of whichever branch ran; exactly one of the cases and `default`",
    inputs=(port("default", ANY, "The default branch's value"),),
    outputs=(port("result", ANY, "The value that arrived"),),
    dynamic_inputs=DynamicPorts(prefix="case", type=ANY, description="Value of branch case_k"),
)
def switch_join(ctx: NodeContext) -> Mapping[str, Any]:
    arrived = sorted(ctx.inputs, key=lambda n: -1 if n == "default" else _case_number(n))
    if not arrived:
        raise NodeError(
            "SwitchJoin node requires exactly one input, but none was provided. "
            "This suggests an error in the workflow design."
        )
    if len(arrived) > 1:
        raise NodeError(
            "SwitchJoin node requires exactly one input, but multiple were provided "
            f"({', '.join(arrived)}). This violates the exclusive join condition."
        )
    return {"result": ctx.inputs[arrived[0]]}


# Comparisons and boolean logic (stepthunk's own: Dafthunk has none), so that a fork can
# branch on any condition: `number-compare` then `conditional-fork`.

COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
NUMBER = ParameterType.NUMBER
BOOLEAN = ParameterType.BOOLEAN


@family.node(
    "number-compare",
    "Number Compare",
    "`a operator b` as a boolean; the operator is one of ==, !=, <, <=, >, >= "
    "(integers compare exactly, whatever their size)",
    inputs=(
        port("a", NUMBER, "The left operand", required=True),
        port("b", NUMBER, "The right operand", required=True),
        port("operator", ParameterType.STRING, "==, !=, <, <=, > or >=", default="=="),
    ),
    outputs=(port("result", BOOLEAN, "Whether `a operator b` holds"),),
)
def number_compare(ctx: NodeContext) -> Mapping[str, Any]:
    symbol = ctx.inputs.get("operator", "==")
    compare = COMPARISONS.get(symbol)
    if compare is None:
        known = ", ".join(COMPARISONS)
        raise NodeError(f"Unknown operator {symbol!r}: expected one of {known}")
    return {"result": compare(ctx.inputs["a"], ctx.inputs["b"])}


def _connective(id: str, name: str, description: str, apply: Callable[[bool, bool], bool]) -> None:
    @family.node(
        id,
        name,
        description,
        inputs=(
            port("a", BOOLEAN, "The first condition", required=True),
            port("b", BOOLEAN, "The second condition", required=True),
        ),
        outputs=(port("result", BOOLEAN, "The combined condition"),),
    )
    def run(ctx: NodeContext) -> Mapping[str, Any]:
        return {"result": apply(ctx.inputs["a"], ctx.inputs["b"])}


_connective("boolean-and", "Boolean And", "True when both `a` and `b` are", operator.and_)
_connective("boolean-or", "Boolean Or", "True when `a` or `b` (or both) is", operator.or_)


@family.node(
    "boolean-not",
    "Boolean Not",
    "The opposite of `value`",
    inputs=(port("value", BOOLEAN, "The condition", required=True),),
    outputs=(port("result", BOOLEAN, "True when `value` is false"),),
)
def boolean_not(ctx: NodeContext) -> Mapping[str, Any]:
    return {"result": not ctx.inputs["value"]}
