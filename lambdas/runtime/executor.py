"""Running nodes: skip check, typed inputs, the node's code, typed outputs, usage (SPEC §4)."""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any

from lambdas.runtime.blobs import Blob
from lambdas.runtime.errors import NodeError, TransientError
from lambdas.runtime.inputs import gather_inputs, skip_check
from lambdas.runtime.node_type import ExecutionEnvironment, NodeContext, NodeType
from lambdas.runtime.record import NodeExecution, NodeStatus
from lambdas.runtime.registry import Registry
from statemachine.graph import inbound_edges
from statemachine.model import Edge, InputOverrides, Node, ParameterType, Workflow
from statemachine.values import BLOB_TYPES, ValueTypeError, as_given, coerce, describe, fits


@dataclass(frozen=True, slots=True)
class InputPort:
    name: str
    type: ParameterType
    required: bool
    repeated: bool


@dataclass(frozen=True, slots=True)
class PreparedNode:
    """A node with everything running it needs, computed once per workflow."""

    node: Node
    node_type: NodeType
    inbound: list[Edge]
    ports: dict[str, InputPort]
    required: tuple[str, ...]
    repeated: frozenset[str]
    # inputs whose node type reads values of any type itself (`loose` ports)
    loose: frozenset[str]

    def port(self, name: str) -> InputPort | None:
        """Input `name`: listed on the node, or a dynamic one a per-run override names."""
        port = self.ports.get(name)
        spec = self.node_type.spec.input(name) if port is None else None
        if spec is not None:
            port = InputPort(spec.name, spec.type, spec.required, spec.repeated)
        return port


class PreparedWorkflow:
    """A validated workflow indexed for execution: nodes by id with their inbound edges."""

    def __init__(self, workflow: Workflow, registry: Registry) -> None:
        self.workflow = workflow
        inbound = inbound_edges(workflow)
        self.nodes = {
            node.id: _prepare(node, registry[node.type], inbound[node.id])
            for node in workflow.nodes
        }


def _prepare(node: Node, node_type: NodeType, inbound: list[Edge]) -> PreparedNode:
    ports = {
        p.name: InputPort(p.name, p.type, bool(p.required), bool(p.repeated))
        for p in node.inputs
        if p.type is not None
    }
    for edge in inbound:  # dynamic ports fed by an edge but not listed on the node
        spec = node_type.spec.input(edge.target_input)
        if edge.target_input not in ports and spec is not None:
            ports[spec.name] = InputPort(spec.name, spec.type, spec.required, spec.repeated)
    return PreparedNode(
        node=node,
        node_type=node_type,
        inbound=inbound,
        ports=ports,
        required=tuple(
            p.name for p in ports.values() if p.required and not _falls_back(node_type, p.name)
        ),
        repeated=frozenset(p.name for p in ports.values() if p.repeated),
        loose=frozenset(p.name for p in node_type.spec.inputs if p.loose),
    )


def _falls_back(node_type: NodeType, name: str) -> bool:
    """Whether the node type itself handles a missing value of input `name`."""
    spec = node_type.spec.input(name)
    return spec is not None and spec.fallback


def run_unit(
    workflow: PreparedWorkflow,
    node_ids: Sequence[str],
    results: MutableMapping[str, NodeExecution],
    overrides: InputOverrides,
    environment: ExecutionEnvironment,
) -> list[NodeExecution]:
    """Run the nodes of one unit in order, each seeing the results of those before it.

    A member's failure never stops the unit: later members run or are skipped by the rules.
    Only infrastructure errors (TransientError) escape, so the whole unit can be retried.
    """
    executions = []
    for node_id in node_ids:
        execution = run_node(
            workflow.nodes[node_id], results, overrides.get(node_id, {}), environment
        )
        results[node_id] = execution
        executions.append(execution)
    return executions


def run_node(
    prepared: PreparedNode,
    results: Mapping[str, NodeExecution],
    overrides: Mapping[str, Any],
    environment: ExecutionEnvironment,
) -> NodeExecution:
    """Run one node whose upstream nodes all have results; never raises for a node failure."""
    node_id = prepared.node.id
    skip = skip_check(prepared.inbound, results)
    if skip is not None:
        return NodeExecution(
            node_id=node_id,
            status=NodeStatus.SKIPPED,
            skip_reason=skip.reason,
            blocked_by=skip.blocked_by,
        )
    raw = gather_inputs(prepared.node, prepared.inbound, results, overrides, prepared.repeated)
    inputs: dict[str, Any] = raw
    try:
        inputs = _typed_inputs(prepared, raw)
        context = NodeContext(
            node_id,
            prepared.node_type.spec,
            _resolve_blobs(prepared, inputs, environment),
            environment,
        )
        produced = prepared.node_type.run(context)
        outputs = _typed_outputs(prepared.node_type, produced, environment, context.stored_blobs)
    except TransientError:
        raise
    except NodeError as error:
        return _failed(node_id, inputs, str(error))
    except Exception as error:  # noqa: BLE001 - node code is a boundary: any failure is node data
        return _failed(node_id, inputs, f"{type(error).__name__}: {error}")
    usage = prepared.node_type.spec.usage if context.usage is None else context.usage
    return NodeExecution(
        node_id=node_id, status=NodeStatus.COMPLETED, inputs=inputs, outputs=outputs, usage=usage
    )


def _failed(node_id: str, inputs: dict[str, Any], message: str) -> NodeExecution:
    return NodeExecution(node_id=node_id, status=NodeStatus.ERROR, inputs=inputs, error=message)


def _typed_inputs(prepared: PreparedNode, raw: dict[str, Any]) -> dict[str, Any]:
    for name in prepared.required:
        if name not in raw:
            raise NodeError(f"Required input '{name}' missing")
    typed: dict[str, Any] = {}
    for name, value in raw.items():
        port = prepared.port(name)
        if port is None:
            continue
        try:
            if name in prepared.loose:
                typed[name] = as_given(value)
            elif port.repeated:
                typed[name] = _typed_list(value, port.type)
            else:
                typed[name] = coerce(value, port.type)
        except ValueTypeError as error:
            raise NodeError(f"Input '{name}' {error}") from None
    return typed


def _typed_list(value: Any, port_type: ParameterType) -> list[Any]:
    """A repeated input's items; a single value that coerces to a list (a JSON string) is one."""
    if isinstance(value, list):
        return [coerce(item, port_type) for item in value if item is not None]
    single = coerce(value, port_type)
    if isinstance(single, list):
        return [item for item in single if item is not None]
    return [single]


def _resolve_blobs(
    prepared: PreparedNode, inputs: dict[str, Any], environment: ExecutionEnvironment
) -> dict[str, Any]:
    blob_ports = [n for n in inputs if (p := prepared.port(n)) and p.type in BLOB_TYPES]
    if not blob_ports:
        return inputs
    resolved = dict(inputs)
    for name in blob_ports:
        value = inputs[name]
        resolved[name] = (
            [environment.blobs.get(v) for v in value]
            if isinstance(value, list)
            else environment.blobs.get(value)
        )
    return resolved


def _typed_outputs(
    node_type: NodeType,
    produced: Mapping[str, Any],
    environment: ExecutionEnvironment,
    stored_blobs: Mapping[str, int],
) -> dict[str, Any]:
    """The declared outputs, checked against their types, then against the output limits
    (`stored_blobs`: the blobs the node stored, by id, with their sizes) before a blob among
    them is stored."""
    outputs: dict[str, Any] = {}
    blobs: list[str] = []
    for name, value in produced.items():
        port = node_type.spec.output(name)
        if port is None or (value is None and not port.nullable):
            continue  # undeclared outputs are dropped; None is "not produced"
        shown = value
        if isinstance(value, Blob):
            shown = _reference_shape(value)
            blobs.append(name)
        items = shown if port.repeated and isinstance(shown, list) else [shown]
        for item in () if port.loose else items:  # a loose output is the node type's to shape
            if not fits(item, port.type):
                raise NodeError(f"Output '{name}' must be a {port.type}, got {describe(item)}")
        outputs[name] = value
    environment.budget.admit(outputs, stored_blobs)
    for name in blobs:
        outputs[name] = environment.blobs.put(outputs[name])
    return outputs


def _reference_shape(blob: Blob) -> dict[str, Any]:
    """What the reference of `blob` will look like once stored, to check its port type."""
    return {"id": "", "mimeType": blob.mime_type}
