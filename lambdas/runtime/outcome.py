"""How an execution ends: its final record from its last state, and its one charge.

Finalize ends an execution this way, and so does a cancel, from the last state the
execution's history holds.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from lambdas.runtime.payload import Payloads
from lambdas.runtime.ports import OrganizationStore
from lambdas.runtime.record import (
    ExecutionRecord,
    ExecutionStatus,
    NodeExecution,
    NodeStatus,
    derive_status,
    total_usage,
    utc_now,
)
from lambdas.runtime.state import Failure, WorkflowState
from statemachine.error_names import WORKFLOW_VALIDATION_ERROR

CANCELLED = "Cancelled"


def final_record(
    state: WorkflowState,
    node_ids: Iterable[str],
    payloads: Payloads,
    kept: Iterable[dict[str, Any]] = (),
    *,
    cancelled: bool = False,
) -> ExecutionRecord:
    """The record as the execution ended: unreached nodes idle, usage of completed nodes.

    `kept` are the units' results (ProgressStore), in plan order; the results a retried
    execution started with count too while Initialize has not handed them out.
    """
    execution = state.execution
    results = payloads.unpack_results(state.reused)
    for packed in kept:
        results.update(payloads.unpack_results(packed))
    node_executions = [
        _ended(results[node_id], cancelled=cancelled)
        if node_id in results
        else NodeExecution(node_id=node_id, status=NodeStatus.IDLE)
        for node_id in node_ids
    ]
    error: str | None
    if cancelled:
        status, error = ExecutionStatus.CANCELLED, CANCELLED
    elif state.failure is not None:
        status, error = ExecutionStatus.ERROR, describe_failure(state.failure)
    else:
        status, error = derive_status(node_executions)
    return ExecutionRecord(
        id=execution.id,
        workflow_id=execution.workflow_id,
        workflow_name=execution.workflow_name,
        organization_id=execution.organization_id,
        status=status,
        error=error,
        started_at=state.started_at,
        ended_at=utc_now(),
        usage=total_usage(node_executions),
        node_executions=node_executions,
    )


def end_wait(execution: NodeExecution) -> NodeExecution:
    """A wait node once its Wait state has passed: `executing` becomes `completed`."""
    return execution.model_copy(update={"status": NodeStatus.COMPLETED})


def _ended(execution: NodeExecution, *, cancelled: bool) -> NodeExecution:
    """A node as the execution ended: a wait node still `executing` has waited, unless the
    execution was cancelled during its wait: then it never completed (idle, not charged)."""
    if execution.status != NodeStatus.EXECUTING:
        return execution
    if cancelled:
        return NodeExecution(node_id=execution.node_id, status=NodeStatus.IDLE)
    return end_wait(execution)


def charge(organizations: OrganizationStore, record: ExecutionRecord) -> bool:
    """Charge the usage of the record's completed nodes, once per execution.

    False when there was nothing to charge or the execution was charged before.
    """
    if record.usage <= 0:
        return False
    return organizations.charge(record.organization_id, record.id, record.usage)


def describe_failure(failure: Failure) -> str:
    """A readable message from what a Catch captured.

    Lambda errors carry JSON `{errorType, errorMessage}` as cause; Step Functions' own errors
    (a timeout) carry text. A validation error's message already names every problem.
    """
    message = failure.Cause
    try:
        cause = json.loads(failure.Cause)
    except ValueError:
        cause = None
    if isinstance(cause, dict) and isinstance(cause.get("errorMessage"), str):
        message = cause["errorMessage"]
    if failure.Error == WORKFLOW_VALIDATION_ERROR:
        return message
    return f"{failure.Error}: {message}" if message else failure.Error
