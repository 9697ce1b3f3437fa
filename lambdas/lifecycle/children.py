"""A child execution prepared, on every host: the workflow a node runs as a child resolved in
the caller's organization (the depth of calls checked), and the child's submitted record
stored with its caller, once. A run-workflow node prepares one child
(lambdas.lifecycle.calls), a for-each node one per item (lambdas.lifecycle.for_each)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from lambdas.runtime.errors import NodeError
from lambdas.runtime.payload import Payloads
from lambdas.runtime.ports import ExecutionStore, StoredWorkflow, ValueStore
from lambdas.runtime.state import ExecutionContext
from statemachine.calls import MAX_CALL_DEPTH
from statemachine.catalog import Catalog
from statemachine.for_each import INLINE_ITEMS
from statemachine.model import Workflow


class WorkflowLookup(Protocol):
    """The organization's deployed workflows, as a call finds them (a WorkflowStore)."""

    def get(self, organization_id: str, workflow_id: str) -> StoredWorkflow | None: ...


@dataclass(frozen=True, kw_only=True)
class CallPorts:
    """What calling a workflow needs: the organization's deployed workflows, the records of
    executions, large values and the node catalog (to check the child's inputs). A for-each
    runs more than `inline_items` items in a Distributed Map, which reads them from the
    value store's bucket, `items_bucket` (None: the host has no Map state to run them)."""

    workflows: WorkflowLookup
    executions: ExecutionStore
    values: ValueStore
    catalog: Catalog
    items_bucket: str | None = None
    inline_items: int = INLINE_ITEMS


@dataclass(frozen=True)
class Child:
    """A child execution prepared to run: its id, its workflow, the state machine (version)
    that runs it and the state it starts from."""

    execution_id: str
    workflow_id: str
    state_machine_arn: str
    state: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """As the parent's state carries it to the task that starts it."""
        return {
            "executionId": self.execution_id,
            "workflowId": self.workflow_id,
            "stateMachineArn": self.state_machine_arn,
            "input": self.state,
        }


@dataclass(frozen=True)
class Callee:
    """A workflow run as a child: as deployed, and the depth of calls its executions run at."""

    stored: StoredWorkflow
    workflow: Workflow
    depth: int


def resolve_callee(ports: CallPorts, parent: ExecutionContext, workflow_id: str) -> Callee:
    """Workflow `workflow_id` to run as a child of `parent`, or NodeError saying why not."""
    depth = (parent.call_depth or 0) + 1
    if depth > MAX_CALL_DEPTH:
        raise NodeError(
            f"Calling workflow '{workflow_id}' would nest calls {depth} deep, past the "
            f"{MAX_CALL_DEPTH} allowed: do the workflows call each other in a cycle?"
        )
    stored = ports.workflows.get(parent.organization_id, workflow_id)
    if stored is None:
        raise NodeError(f"Workflow '{workflow_id}' not found: no deployed workflow has that id")
    workflow = Workflow.model_validate(stored.definition)
    if workflow.short_lived:
        raise NodeError(
            f"Workflow '{workflow_id}' is short-lived: an Express execution cannot be run "
            "as a child; drop its `shortLived` to call it"
        )
    return Callee(stored, workflow, depth)


def submit_child(
    ports: CallPorts,
    parent: ExecutionContext,
    node_id: str,
    callee: Callee,
    overrides: dict[str, dict[str, Any]],
    execution_id: str,
) -> Child:
    """Store child `execution_id`'s submitted record (a repeat finds it); the child to start."""
    # imported here: the start's module loads the compiler, which a task needs only now
    from lambdas.lifecycle.start import Request, context_of, machine_of, start_state, submit

    organization_id, workflow = parent.organization_id, callee.workflow
    caller = {"parent_execution_id": parent.id, "parent_node_id": node_id}
    context = context_of(execution_id, workflow, organization_id).model_copy(
        update={**caller, "call_depth": callee.depth}
    )
    inputs = Payloads(ports.values, organization_id).pack_inputs(overrides)
    request = Request(execution_id=execution_id)
    submit(ports.executions, callee.stored, workflow, context, request, inputs, {})
    state = start_state(context, inputs).to_json()
    return Child(execution_id, workflow.id, machine_of(callee.stored), state)
