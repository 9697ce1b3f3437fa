"""What an execution's record says at each point of its life, built here and nowhere else.

- `submitted`: stored before it starts (every node idle, but those a retry reuses);
- `refused`: a workflow validation refused, never started;
- `unstarted`: started, before any node ran (`executing`), or refused for want of credits
  (`exhausted`);
- `final`: how it ended, from its last state and what its units kept (Finalize, a cancel);
- `interrupted`: ended by its host's stop (a local server), as its units left it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from lambdas.runtime.payload import Payloads
from lambdas.runtime.record import (
    WAITING_FOR_WORKFLOW,
    ExecutionRecord,
    ExecutionStatus,
    ExecutionSummary,
    NodeExecution,
    NodeStatus,
    derive_status,
    total_usage,
    utc_now,
)
from lambdas.runtime.state import ExecutionContext, Failure, WorkflowState
from statemachine.error_names import INSUFFICIENT_CREDITS, WORKFLOW_VALIDATION_ERROR
from statemachine.identifiers import MAX_ID_LENGTH, MAX_NAME_LENGTH

# The record's error of a cancelled execution.
CANCELLED = "Cancelled"
# A run-workflow node's error when its execution ended before its child did.
CALL_UNFINISHED = "The execution ended before the workflow this node ran did"


def nodes_as_known(
    node_ids: Iterable[str], known: Mapping[str, NodeExecution]
) -> list[NodeExecution]:
    """One entry per node, in the order given: what is known of it, else idle."""
    return [
        known.get(node_id) or NodeExecution(node_id=node_id, status=NodeStatus.IDLE)
        for node_id in node_ids
    ]


# What a record says of the execution it is of, as its context says it.
SHARED_WITH_CONTEXT = frozenset(
    {
        "id",
        "workflow_id",
        "workflow_name",
        "organization_id",
        "parent_execution_id",
        "parent_node_id",
    }
)


def record_of(
    execution: ExecutionContext,
    status: ExecutionStatus,
    node_executions: list[NodeExecution],
    **fields: Any,
) -> ExecutionRecord:
    """The record of `execution` with `status`, its nodes and the other `fields` given."""
    shared = execution.model_dump(include=set(SHARED_WITH_CONTEXT))
    return ExecutionRecord(status=status, node_executions=node_executions, **shared, **fields)


def execution_of(record: ExecutionSummary, session_id: str | None = None) -> ExecutionContext:
    """The execution a record is of (its live updates go to `session_id`, if any)."""
    shared = record.model_dump(include=set(SHARED_WITH_CONTEXT))
    return ExecutionContext(session_id=session_id, **shared)


def submitted(
    execution: ExecutionContext,
    node_ids: Iterable[str],
    reused: Mapping[str, NodeExecution] | None = None,
) -> ExecutionRecord:
    """Before it starts: every node idle, but those whose results a retry reuses."""
    return record_of(execution, ExecutionStatus.SUBMITTED, nodes_as_known(node_ids, reused or {}))


def unstarted(
    execution: ExecutionContext,
    status: ExecutionStatus,
    node_ids: Iterable[str],
    reused: Mapping[str, NodeExecution],
    now: str,
) -> ExecutionRecord:
    """`executing` as no node has run yet (started at `now`), or `exhausted` (ended at `now`,
    its credits short); its nodes as `submitted` shows them."""
    exhausted = status == ExecutionStatus.EXHAUSTED
    return record_of(
        execution,
        status,
        nodes_as_known(node_ids, reused),
        error=INSUFFICIENT_CREDITS if exhausted else None,
        started_at=None if exhausted else now,
        ended_at=now if exhausted else None,
    )


def refused(
    workflow: Any, execution_id: str, organization_id: str, message: str
) -> ExecutionRecord:
    """The record of an execution that validation refused: status error, every problem in
    `message`, each node it could identify idle, and no start time. Ids and the name are cut
    to their lengths (a refused one may be any length: the record must fit its store)."""
    header = workflow if isinstance(workflow, dict) else {}
    workflow_id, name, nodes = header.get("id"), header.get("name"), header.get("nodes")
    node_ids = [
        node["id"][:MAX_ID_LENGTH]
        for node in (nodes if isinstance(nodes, list) else [])
        if isinstance(node, dict) and isinstance(node.get("id"), str)
    ]
    execution = ExecutionContext(
        id=execution_id,
        workflow_id=workflow_id[:MAX_ID_LENGTH] if isinstance(workflow_id, str) else "",
        workflow_name=name[:MAX_NAME_LENGTH] if isinstance(name, str) else "",
        organization_id=organization_id,
    )
    return record_of(
        execution,
        ExecutionStatus.ERROR,
        nodes_as_known(dict.fromkeys(node_ids), {}),
        error=message,
        ended_at=utc_now(),  # never started: no startedAt, as on Step Functions
    )


def final(
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
    results = payloads.unpack_results(state.reused)
    for packed in kept:
        results.update(payloads.unpack_results(packed))
    ended = {node_id: _ended(result, cancelled=cancelled) for node_id, result in results.items()}
    node_executions = nodes_as_known(node_ids, ended)
    error: str | None
    if cancelled:
        status, error = ExecutionStatus.CANCELLED, CANCELLED
    elif state.failure is not None:
        status, error = ExecutionStatus.ERROR, describe_failure(state.failure)
    else:
        status, error = derive_status(node_executions)
    return record_of(
        state.execution,
        status,
        node_executions,
        error=error,
        started_at=state.started_at,
        ended_at=utc_now(),
        usage=total_usage(node_executions),
    )


def interrupted(
    record: ExecutionRecord, ran: Mapping[str, NodeExecution], message: str, now: str
) -> ExecutionRecord:
    """An execution nothing runs any more (its host stopped): `error` with `message`, its nodes
    as its units kept them (`ran`), a node still executing failed with the same message."""
    nodes = [
        node.model_copy(update={"status": NodeStatus.ERROR, "error": message})
        if node.status == NodeStatus.EXECUTING
        else node
        for node in (ran.get(n.node_id, n) for n in record.node_executions)
    ]
    update = {
        "status": ExecutionStatus.ERROR,
        "error": message,
        "ended_at": now,
        "node_executions": nodes,
    }
    return record.model_copy(update=update)


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
    if execution.waiting_for == WAITING_FOR_WORKFLOW:  # the execution failed during the call
        update = {"status": NodeStatus.ERROR, "waiting_for": None, "outputs": None}
        return execution.model_copy(update={**update, "error": CALL_UNFINISHED})
    return end_wait(execution)


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
