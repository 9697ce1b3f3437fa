"""Branching nodes: forks produce only the output taken; joins pass on the one branch that ran."""

from __future__ import annotations

from collections.abc import Mapping
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
        port("value", ANY, "The value passed to the branch taken", required=True),
        port("condition", ParameterType.BOOLEAN, "Which branch to take", required=True),
    ),
    outputs=(
        port("true", ANY, "`value`, when the condition is true"),
        port("false", ANY, "`value`, when the condition is false"),
    ),
)
def conditional_fork(ctx: NodeContext) -> Mapping[str, Any]:
    branch = "true" if ctx.inputs["condition"] else "false"
    return {branch: ctx.inputs["value"]}


@family.node(
    "conditional-join",
    "Conditional Join",
    "Passes on the value of whichever branch ran; exactly one of `true` and `false` must arrive",
    inputs=(
        port("true", ANY, "The true branch's value"),
        port("false", ANY, "The false branch's value"),
    ),
    outputs=(port("result", ANY, "The value that arrived"),),
)
def conditional_join(ctx: NodeContext) -> Mapping[str, Any]:
    arrived = [name for name in ("true", "false") if name in ctx.inputs]
    if len(arrived) == 2:
        raise NodeError("Conditional join received both 'true' and 'false'; expected exactly one")
    if not arrived:
        raise NodeError("Conditional join received neither 'true' nor 'false'; expected one")
    return {"result": ctx.inputs[arrived[0]]}


def _case_number(name: str) -> int:
    return int(name.rsplit("_", 1)[1])


@family.node(
    "switch-fork",
    "Switch Fork",
    "Sends `value` to the output `case_k` whose key equals `selector`, else to `default`",
    inputs=(
        port("value", ANY, "The value passed to the branch taken", required=True),
        port("selector", ParameterType.STRING, "The key of the case to take", required=True),
    ),
    outputs=(port("default", ANY, "`value`, when no case matches"),),
    dynamic_inputs=DynamicPorts(
        prefix="case", type=ParameterType.STRING, description="Key compared with the selector"
    ),
    dynamic_outputs=DynamicPorts(prefix="case", type=ANY, description="Taken when its key matches"),
)
def switch_fork(ctx: NodeContext) -> Mapping[str, Any]:
    selector = ctx.inputs["selector"]
    cases = sorted((n for n in ctx.inputs if n.startswith("case_")), key=_case_number)
    taken = next((name for name in cases if ctx.inputs[name] == selector), "default")
    return {taken: ctx.inputs["value"]}


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
        raise NodeError("Switch join received no branch; expected exactly one")
    if len(arrived) > 1:
        listed = ", ".join(f"'{n}'" for n in arrived)
        raise NodeError(f"Switch join received several branches ({listed}); expected exactly one")
    return {"result": ctx.inputs[arrived[0]]}
