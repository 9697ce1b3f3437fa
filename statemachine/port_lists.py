"""Completing a node's port lists from its catalog declaration and checking its literals."""

from __future__ import annotations

from typing import Any

from statemachine.catalog import DynamicPorts, NodeTypeSpec, PortSpec
from statemachine.model import Node, Parameter
from statemachine.port_types import MAX_DEPTH, fits, unheld_number, unheld_text, within_depth
from statemachine.problems import ProblemCode, ValidationProblem


def complete_node(node: Node, spec: NodeTypeSpec) -> tuple[Node, list[ValidationProblem]]:
    """The node with every declared port, typed by the catalog, and its literal-value problems.

    The catalog decides each port's type, `required` and `repeated`; the workflow supplies
    literal values (falling back to the declared default) and may add numbered dynamic ports.
    """
    problems: list[ValidationProblem] = []
    given = {p.name: p for p in node.inputs}
    inputs = []
    for port in _ports(spec.inputs, spec.dynamic_inputs, given):
        supplied = given.get(port.name)
        value = port.default if supplied is None or supplied.value is None else supplied.value
        if value is not None and not _literal_fits(value, port):
            problems.append(_invalid_value(node, port, value))
        hidden = port.hidden if supplied is None or supplied.hidden is None else supplied.hidden
        inputs.append(
            Parameter(
                name=port.name,
                type=port.type,
                value=value,
                required=port.required,
                repeated=port.repeated,
                hidden=hidden,
                null=True if port.nullable and _null_given(supplied) else None,
            )
        )
    for param in node.inputs:
        if param.value is not None and spec.input(param.name) is None:
            problems.append(
                ValidationProblem(
                    code=ProblemCode.INVALID_VALUE,
                    message=(
                        f"Node '{node.id}' gives a value for input '{param.name}', "
                        f"which node type '{spec.id}' does not have"
                    ),
                    node_id=node.id,
                )
            )
    given_outputs = {p.name: p for p in node.outputs}
    outputs = [
        Parameter(name=port.name, type=port.type, repeated=port.repeated or None)
        for port in _ports(spec.outputs, spec.dynamic_outputs, given_outputs)
    ]
    completed = node.model_copy(
        update={"name": node.name or node.id, "inputs": inputs, "outputs": outputs}
    )
    return completed, problems


def _null_given(supplied: Parameter | None) -> bool:
    """Whether the workflow gives JSON null as this port's literal on purpose (`"value":
    null`, or a port marked so by an earlier validation), rather than no literal."""
    if supplied is None or supplied.value is not None:
        return False
    return bool(supplied.null) or "value" in supplied.model_fields_set


def duplicate_ports(node: Node, index: int) -> list[ValidationProblem]:
    """A problem for each port name a node lists more than once (one of the copies' values
    would silently win), located at its second entry."""
    problems = []
    for kind, code, ports in (
        ("input", ProblemCode.DUPLICATE_INPUT, node.inputs),
        ("output", ProblemCode.DUPLICATE_OUTPUT, node.outputs),
    ):
        seen: set[str] = set()
        reported: set[str] = set()
        for j, param in enumerate(ports):
            if param.name in seen and param.name not in reported:
                reported.add(param.name)
                problems.append(
                    ValidationProblem(
                        code=code,
                        message=f"Node '{node.id}' lists {kind} '{param.name}' more than once",
                        node_id=node.id,
                        path=f"nodes[{index}].{kind}s[{j}]",
                    )
                )
            seen.add(param.name)
    return problems


def _ports(
    declared: tuple[PortSpec, ...], dynamic: DynamicPorts | None, given: dict[str, Parameter]
) -> list[PortSpec]:
    """Declared ports first, then the numbered dynamic ones in numeric order."""
    ports = list(declared)
    if dynamic is not None:
        names = {p.name for p in declared}
        numbered = sorted(
            (n for n in given if n not in names and dynamic.matches(n)),
            key=lambda n: int(n.rsplit("_", 1)[1]),
        )
        defaults = [p for p in dynamic.defaults() if p.name not in names]
        ports += [dynamic.port(n) for n in numbered] if numbered else defaults
    return ports


def _literal_fits(value: Any, port: PortSpec) -> bool:
    if port.lenient:  # the node type says what a value of another type means
        return within_depth(value) and unheld_number(value) is None
    if unheld_number(value) is not None:  # on a json port too, which takes any value
        return False
    if port.repeated and isinstance(value, list):
        return all(fits(item, port.type) for item in value)
    return fits(value, port.type)


def _invalid_value(node: Node, port: PortSpec, value: Any) -> ValidationProblem:
    where = f"Node '{node.id}' input '{port.name}'"
    if not within_depth(value):  # quoting it would show only its opening brackets
        message = (
            f"{where} has a value nested deeper than {MAX_DEPTH} levels "
            f"(JSON values nest at most {MAX_DEPTH})"
        )
    elif (unheld := unheld_number(value)) is not None:
        message = f"{where} holds {unheld_text(unheld)}"
    else:
        shown = repr(value)
        if len(shown) > 60:
            shown = shown[:57] + "..."
        kind = f"list of {port.type}" if port.repeated else str(port.type)
        message = f"{where} expects {kind}, got {shown}"
    return ValidationProblem(code=ProblemCode.INVALID_VALUE, message=message, node_id=node.id)
