"""Keeping state and records small: large values move to a value store, carried by reference.

Step Functions caps state at 256 KiB and DynamoDB items at 400 KB; a user's data has no such
cap. A value whose JSON exceeds VALUE_LIMIT is stored once (content-addressed) and replaced by
`{"@stepthunk/ref": key}`; a map of results still over MAP_LIMIT, or of per-run inputs over
INPUTS_LIMIT, moves out as a whole. Together with what the compiler lets a task's Parameters
carry (statemachine.limits.TASK_PARAMETERS_BUDGET), a task's input stays under 256 KiB.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from lambdas.runtime.ports import ValueStore
from lambdas.runtime.record import ExecutionRecord, NodeExecution

REFERENCE = "@stepthunk/ref"
VALUE_LIMIT = 8 * 1024
MAP_LIMIT = 96 * 1024
INPUTS_LIMIT = 32 * 1024


def is_reference(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and REFERENCE in value


def holds_reference(execution: NodeExecution) -> bool:
    """Whether any of a node execution's input or output values is stored by reference."""
    return any(
        is_reference(value)
        for values in (execution.inputs, execution.outputs)
        if values
        for value in values.values()
    )


def value_key(organization_id: str, digest: str) -> str:
    """Where the value store keeps an organization's value of content hash `digest`."""
    return f"{value_prefix(organization_id)}{digest}"


def value_prefix(organization_id: str) -> str:
    """The keys of an organization's values start so: a reference elsewhere is not its own."""
    return f"values/{organization_id}/"


def encode(value: Any) -> bytes:
    """Compact UTF-8 JSON, as values are stored and measured."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _small(value: Any) -> bool:
    """A cheap answer for most values, without encoding them."""
    if value is None or isinstance(value, bool | int | float):
        return True
    return isinstance(value, str) and len(value) * 4 <= VALUE_LIMIT


class Payloads:
    """Packs and unpacks the values of one organization's executions."""

    def __init__(self, store: ValueStore, organization_id: str) -> None:
        self.store = store
        self.organization_id = organization_id
        self._loaded: dict[str, Any] = {}

    def pack_value(self, value: Any) -> Any:
        if _small(value) or is_reference(value):
            return value
        data = encode(value)
        if len(data) <= VALUE_LIMIT:
            return value
        return {REFERENCE: self.store.put_value(self.organization_id, data)}

    def unpack_value(self, value: Any) -> Any:
        """A value as stored; a reference is loaded only from the organization's own values
        (one a user wrote naming another's key stays the object it is)."""
        if not is_reference(value):
            return value
        key = value[REFERENCE]
        if not isinstance(key, str) or not key.startswith(value_prefix(self.organization_id)):
            return value
        if key not in self._loaded:
            self._loaded[key] = json.loads(self.store.get_value(key))
        return self._loaded[key]

    def pack_map(self, mapping: dict[str, Any], limit: int = MAP_LIMIT) -> dict[str, Any]:
        """`mapping` itself, or a reference to it in the store when over `limit` bytes."""
        data = encode(mapping)
        if len(data) <= limit:
            return mapping
        return {REFERENCE: self.store.put_value(self.organization_id, data)}

    def unpack_map(self, packed: dict[str, Any]) -> dict[str, Any]:
        unpacked = self.unpack_value(packed)
        return dict(unpacked) if isinstance(unpacked, dict) else {}

    def pack_inputs(self, inputs: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
        """Per-run overrides (node -> input -> value) as the state carries them."""
        packed = {
            node: {name: self.pack_value(value) for name, value in values.items()}
            for node, values in inputs.items()
        }
        return self.pack_map(packed, INPUTS_LIMIT)

    def unpack_inputs(
        self, packed: dict[str, Any], node_ids: Iterable[str] | None = None
    ) -> dict[str, Any]:
        """The overrides of `node_ids` (all when None), their values loaded."""
        inputs = self.unpack_map(packed)
        wanted = inputs if node_ids is None else [n for n in node_ids if n in inputs]
        return {
            node: {name: self.unpack_value(value) for name, value in inputs[node].items()}
            for node in wanted
        }

    def pack_execution(self, execution: NodeExecution) -> dict[str, Any]:
        packed = execution.to_json()
        for part in ("inputs", "outputs"):
            if part in packed:
                packed[part] = {k: self.pack_value(v) for k, v in packed[part].items()}
        return packed

    def unpack_results(self, packed: dict[str, Any]) -> dict[str, NodeExecution]:
        """Node executions by id, in execution order; large values stay references."""
        return {
            node_id: NodeExecution.model_validate(execution)
            for node_id, execution in self.unpack_map(packed).items()
        }

    def with_outputs(self, execution: NodeExecution, names: Iterable[str]) -> NodeExecution:
        """`execution` with the outputs called `names` loaded (what downstream nodes read)."""
        outputs = execution.outputs
        if not outputs or not any(is_reference(outputs.get(n)) for n in names):
            return execution
        loaded = {k: self.unpack_value(v) if k in names else v for k, v in outputs.items()}
        return execution.model_copy(update={"outputs": loaded})

    def loaded(self, execution: NodeExecution) -> NodeExecution:
        """`execution` with every value loaded (itself when none is a reference)."""
        if not holds_reference(execution):
            return execution
        update = {
            part: {k: self.unpack_value(v) for k, v in values.items()}
            for part, values in (("inputs", execution.inputs), ("outputs", execution.outputs))
            if values
        }
        return execution.model_copy(update=update)

    def loaded_record(self, record: ExecutionRecord) -> ExecutionRecord:
        """`record` as users read it: every value in place."""
        return record.model_copy(
            update={"node_executions": [self.loaded(e) for e in record.node_executions]}
        )

    def packed_record(self, record: ExecutionRecord) -> ExecutionRecord:
        """`record` with its large values by reference, as it is stored."""
        executions = [
            NodeExecution.model_validate(self.pack_execution(e)) for e in record.node_executions
        ]
        return record.model_copy(update={"node_executions": executions})
