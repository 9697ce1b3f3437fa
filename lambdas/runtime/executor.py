"""Running nodes: skip check, typed inputs, the node's code, typed outputs, usage (SPEC §4)."""

from __future__ import annotations

import threading
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any

from lambdas.runtime.blobs import Blob
from lambdas.runtime.errors import NodeError, TransientError
from lambdas.runtime.inputs import gather_inputs, skip_check
from lambdas.runtime.node_type import ExecutionEnvironment, NodeContext, NodeType
from lambdas.runtime.record import NodeExecution, NodeStatus
from lambdas.runtime.registry import Registry
from statemachine.catalog import NodeTypeSpec
from statemachine.graph import inbound_edges
from statemachine.model import Edge, InputOverrides, Node, ParameterType, Workflow
from statemachine.port_types import BLOB_TYPES, ValueTypeError, coerce, describe, fits


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
    # the node type's declaration as this node has it (with its schema's ports)
    spec: NodeTypeSpec
    inbound: list[Edge]
    ports: dict[str, InputPort]
    required: tuple[str, ...]
    repeated: frozenset[str]

    def port(self, name: str) -> InputPort | None:
        """Input `name`: listed on the node, or a dynamic one a per-run override names."""
        port = self.ports.get(name)
        spec = self.spec.input(name) if port is None else None
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
    declared = node_type.spec.for_node(node)
    ports = {
        p.name: InputPort(p.name, p.type, bool(p.required), bool(p.repeated))
        for p in node.inputs
        if p.type is not None
    }
    for edge in inbound:  # dynamic ports fed by an edge but not listed on the node
        spec = declared.input(edge.target_input)
        if edge.target_input not in ports and spec is not None:
            ports[spec.name] = InputPort(spec.name, spec.type, spec.required, spec.repeated)
    return PreparedNode(
        node=node,
        node_type=node_type,
        spec=declared,
        inbound=inbound,
        ports=ports,
        required=tuple(
            p.name for p in ports.values() if p.required and not _falls_back(declared, p.name)
        ),
        repeated=frozenset(p.name for p in ports.values() if p.repeated),
    )


def _falls_back(declared: NodeTypeSpec, name: str) -> bool:
    """Whether the node type itself handles a missing value of input `name`."""
    spec = declared.input(name)
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
        given: dict[int, tuple[Blob, dict[str, Any]]] = {}
        context = NodeContext(
            node_id,
            prepared.spec,
            _resolve_blobs(prepared, inputs, environment, given),
            environment,
        )
        produced = _run_code(prepared, context)
        outputs = _typed_outputs(prepared.spec, produced, environment, context.stored_blobs, given)
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


def _run_code(prepared: PreparedNode, context: NodeContext) -> Mapping[str, Any]:
    """What the node's code produces; a node with a timeout fails once it is over.

    Python cannot stop a thread: the code of a node past its timeout runs on, unseen, while
    the node fails and the execution goes on (its requests end by their own timeouts)."""
    seconds = prepared.node.timeout_seconds
    if seconds is None:
        return prepared.node_type.run(context)
    outcome: list[tuple[Mapping[str, Any] | None, BaseException | None]] = []

    def run() -> None:
        try:
            outcome.append((prepared.node_type.run(context), None))
        except BaseException as error:  # noqa: BLE001 - handed to the waiting thread
            outcome.append((None, error))

    worker = threading.Thread(target=run, name=f"node {prepared.node.id}", daemon=True)
    worker.start()
    worker.join(seconds * context.environment.time_scale)
    if not outcome:
        raise NodeError(f"Timed out after {seconds} s (the node's timeoutSeconds)")
    produced, error = outcome[0]
    if error is not None:
        raise error
    assert produced is not None
    return produced


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
            if port.repeated:
                keep_nulls = _is_lenient(prepared.spec, name)
                typed[name] = _typed_list(value, port.type, keep_nulls=keep_nulls)
            else:
                typed[name] = coerce(value, port.type)
        except ValueTypeError as error:
            if not _is_lenient(prepared.spec, name):
                raise NodeError(f"Input '{name}' {error}") from None
            typed[name] = value
    return typed


def _is_lenient(declared: NodeTypeSpec, name: str) -> bool:
    """Whether the node type itself handles a value of another type on input `name`."""
    spec = declared.input(name)
    return spec is not None and spec.lenient


def _typed_list(value: Any, port_type: ParameterType, *, keep_nulls: bool = False) -> list[Any]:
    """A repeated input's items; a single value that coerces to a list (a JSON string) is one.

    A null item is dropped, unless the input is lenient: its node defines what a null item
    means (Dafthunk's `aggregate-items` keeps it).
    """
    items = value if isinstance(value, list) else coerce(value, port_type)
    if not isinstance(items, list):
        return [items]
    return [
        item if item is None else coerce(item, port_type)
        for item in items
        if keep_nulls or item is not None
    ]


def _resolve_blobs(
    prepared: PreparedNode,
    inputs: dict[str, Any],
    environment: ExecutionEnvironment,
    given: dict[int, tuple[Blob, dict[str, Any]]],
) -> dict[str, Any]:
    """The inputs with each blob reference replaced by its blob; `given` gets each blob
    loaded with its reference (by the blob's identity)."""
    blob_ports = [n for n in inputs if (p := prepared.port(n)) and p.type in BLOB_TYPES]
    if not blob_ports:
        return inputs

    def load(reference: dict[str, Any]) -> Blob:
        blob = environment.blobs.get(reference)
        given[id(blob)] = (blob, reference)
        return blob

    resolved = dict(inputs)
    for name in blob_ports:
        value = inputs[name]
        resolved[name] = [load(v) for v in value] if isinstance(value, list) else load(value)
    return resolved


def _typed_outputs(
    declared: NodeTypeSpec,
    produced: Mapping[str, Any],
    environment: ExecutionEnvironment,
    stored_blobs: Mapping[str, int],
    given: Mapping[int, tuple[Blob, dict[str, Any]]] | None = None,
) -> dict[str, Any]:
    """The declared outputs, checked against their types, then against the output limits
    (`stored_blobs`: the blobs the node stored, by id, with their sizes) before a blob among
    them is stored. A blob the node was given (`given`) and returns as it came keeps its
    reference: it is not stored again."""
    outputs: dict[str, Any] = {}
    blobs: list[str] = []
    for name, value in produced.items():
        port = declared.output(name)
        if port is None or (value is None and not port.nullable):
            continue  # undeclared outputs are dropped; None is "not produced"
        shown = value
        if isinstance(value, Blob):
            kept = (given or {}).get(id(value))
            if kept is not None and kept[0] is value:  # a blob it was given, passed on as is:
                value = shown = kept[1]  # the same reference, not a copy
            else:
                shown = _reference_shape(value)
                blobs.append(name)
        items = shown if port.repeated and isinstance(shown, list) else [shown]
        for item in () if port.lenient else items:  # a lenient output is the node type's to shape
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
