"""Workflows calling workflows, on every host: a run-workflow node's child execution is
prepared here (the workflow resolved in the organization, the child's submitted record
stored with its caller), and the child's final record becomes the node's outputs or error.

On Step Functions the node's task prepares the child (`DeferredCalls`), the next states
start it and wait for it (`states:startExecution.sync:2`), and the task after them
completes the node (`finish_call`); the in-process engine runs the child in between itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lambdas.lifecycle.children import (
    CallPorts,
    Child,
    WorkflowLookup,
    resolve_callee,
    submit_child,
)
from lambdas.lifecycle.idempotency import execution_id_for, execution_key
from lambdas.lifecycle.ports import UnitPorts
from lambdas.lifecycle.records import describe_failure
from lambdas.lifecycle.unit import UnitRunner
from lambdas.lifecycle.unit_task import UnitWork
from lambdas.runtime.errors import NodeError
from lambdas.runtime.payload import Payloads
from lambdas.runtime.ports import ExecutionStore, ValueStore
from lambdas.runtime.record import (
    FINAL_STATUSES,
    ExecutionStatus,
    NodeExecution,
    NodeStatus,
    utc_now,
)
from lambdas.runtime.state import ExecutionContext, Failure, WorkflowState
from statemachine.calls import called_ids
from statemachine.catalog import Catalog, estimate_usage
from statemachine.errors import WorkflowValidationError
from statemachine.model import Workflow
from statemachine.validation import validate_overrides

# What names a child execution: its caller's execution and node (a retried task prepares
# the same child, whose submitted record exists already).
CALL_SCOPE = "call"
# The output an output node shows its value in (Dafthunk's output nodes).
DISPLAY_OUTPUT = "displayValue"


def child_id(parent: ExecutionContext, node_id: str) -> str:
    """The id of the execution node `node_id` of `parent` starts: always the same one."""
    key = execution_key(CALL_SCOPE, parent.organization_id, parent.id, node_id)
    return execution_id_for(key)


def prepare_child(
    ports: CallPorts,
    parent: ExecutionContext,
    node_id: str,
    workflow_id: str,
    raw_inputs: Mapping[str, Any],
) -> Child:
    """Resolve `workflow_id` among the organization's workflows, check the child's inputs
    and the depth of calls, and store the child's submitted record (once: a repeated
    preparation finds it); the child to start, or NodeError saying why it cannot run."""
    callee = resolve_callee(ports, parent, workflow_id)
    try:
        overrides = validate_overrides(callee.workflow, dict(raw_inputs), ports.catalog)
    except WorkflowValidationError as error:
        raise NodeError(f"Inputs for workflow '{workflow_id}' do not fit it: {error}") from None
    return submit_child(ports, parent, node_id, callee, overrides, child_id(parent, node_id))


def child_outputs(
    executions: ExecutionStore,
    values: ValueStore,
    child: str,
    workflow_id: str,
    failure: Failure | None = None,
) -> dict[str, Any]:
    """The outputs of the node that ran execution `child` of `workflow_id`: the value of
    each of its output nodes by node id, and its id; NodeError with the child's error when
    it did not complete (`failure`: what stopped waiting for it, if anything did)."""
    record = executions.get(child)
    if record is None or record.status not in FINAL_STATUSES:
        why = describe_failure(failure) if failure is not None else "it has no final record"
        message = f"Workflow '{workflow_id}' (execution {child}) did not end: {why}"
        if record is not None and record.status == ExecutionStatus.SUBMITTED:
            # never started (its machine refused the start): its record ends here too
            update = {"status": ExecutionStatus.ERROR, "error": why, "ended_at": utc_now()}
            executions.put(record.model_copy(update=update))
        raise NodeError(message)
    if record.status != ExecutionStatus.COMPLETED:
        raise NodeError(
            f"Workflow '{workflow_id}' ended {record.status} (execution {child}): "
            f"{record.error or record.status}"
        )
    loaded = Payloads(values, record.organization_id).loaded_record(record)
    outputs = {
        node.node_id: node.outputs[DISPLAY_OUTPUT]
        for node in loaded.node_executions
        if node.status == NodeStatus.COMPLETED and node.outputs and DISPLAY_OUTPUT in node.outputs
    }
    return {"outputs": outputs, "executionId": child}


@dataclass
class DeferredCalls:
    """Calls made in a Step Functions task: each child is prepared and left for the
    states that follow the task to start and wait for (`started`)."""

    ports: CallPorts
    parent: ExecutionContext
    started: dict[str, dict[str, Any]] = field(default_factory=dict)

    def call(self, node_id: str, workflow_id: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
        child = prepare_child(self.ports, self.parent, node_id, workflow_id, inputs)
        self.started[node_id] = child.to_json()
        return {"executionId": child.execution_id}


@dataclass
class InlineCalls:
    """Calls made where nothing waits for a child but the caller (the in-process engine):
    each child is prepared and run (`run_child`) before the node returns."""

    ports: CallPorts
    parent: ExecutionContext
    run_child: Callable[[Child], None]
    started: dict[str, dict[str, Any]] = field(default_factory=dict)

    def call(self, node_id: str, workflow_id: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
        child = prepare_child(self.ports, self.parent, node_id, workflow_id, inputs)
        self.run_child(child)
        return child_outputs(
            self.ports.executions, self.ports.values, child.execution_id, workflow_id
        )


def finish_call(
    ports: UnitPorts, executions: ExecutionStore, state: WorkflowState, work: UnitWork
) -> WorkflowState:
    """The task after a child's execution ended: the run-workflow node (left `executing`
    by its task) completes with the child's outputs or fails with its error."""

    def outputs(call: dict[str, Any]) -> dict[str, Any]:
        failure = Failure.model_validate(call["failure"]) if "failure" in call else None
        return child_outputs(
            executions, ports.values, call["executionId"], call["workflowId"], failure
        )

    return finish_child_node(ports, state, work, outputs, counted="executionId")


def finish_child_node(
    ports: UnitPorts,
    state: WorkflowState,
    work: UnitWork,
    outputs: Callable[[dict[str, Any]], dict[str, Any]],
    *,
    counted: str,
) -> WorkflowState:
    """The task after the children a node started ended (a call's, a for-each's): the node,
    left `executing` by its task, completes with `outputs(state.call)` or fails with the
    NodeError it raises; kept and announced as its unit's result. Nothing to do when it
    started no child (it failed or was skipped before, or a retried execution reused its
    result). The output named `counted` (the children's ids) was held to the limits on node
    outputs by the task; the others are here, as the node's code is."""
    call = state.call
    [node] = work.nodes
    runner = UnitRunner(state, ports, None, work.reads, [work.unit, *work.wait_units])
    if call is not None:
        waiting = runner.results.get(node.id)
        inputs = waiting.inputs if waiting is not None else None
        try:
            produced = outputs(call)
            runner.environment.budget.admit(
                {name: value for name, value in produced.items() if name != counted}, {}
            )
            settled = NodeExecution(
                node_id=node.id, status=NodeStatus.COMPLETED, inputs=inputs, outputs=produced
            )
        except NodeError as error:
            settled = NodeExecution(
                node_id=node.id, status=NodeStatus.ERROR, inputs=inputs, error=str(error)
            )
        runner.settle(settled)
    # Resolve the waits of the Wait states that follow (their inputs may come from the
    # node), keep and announce what changed.
    waits = runner.resolve_waits(work.waits)
    runner.keep(work.unit, [node.id for node in work.nodes], work.wait_units, work.waits)
    runner.announce(ports)
    update = {
        "call": None,
        "waits": waits,
        "waiting": runner.waiting,
        "output_bytes": runner.output_bytes,
    }
    return state.model_copy(update=update)


def called_estimate(
    workflows: WorkflowLookup, organization_id: str, calls: Iterable[str], catalog: Catalog
) -> int:
    """What one run of each workflow `calls` names costs by the estimate (SPEC §6), and of
    each workflow those call in turn, each counted once; a workflow not deployed counts 0
    (its call fails without running anything)."""
    total = 0
    pending = list(calls)
    seen: set[str] = set()
    while pending:
        workflow_id = pending.pop(0)
        if workflow_id in seen:
            continue
        seen.add(workflow_id)
        stored = workflows.get(organization_id, workflow_id)
        if stored is None:
            continue
        workflow = Workflow.model_validate(stored.definition)
        total += estimate_usage(workflow, catalog)
        pending += called_ids(workflow)
    return total
