"""The execution record of SPEC §1 and the workflow status derived from its nodes."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from statemachine.model import WireModel, Workflow


def iso_utc(moment: datetime) -> str:
    """`moment` as ISO-8601 UTC with milliseconds and a trailing Z, as records carry time
    (JavaScript's toISOString)."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def instant(text: str) -> float:
    """An ISO-8601 time, as `iso_utc` writes it, as a `time.time()` instant."""
    return datetime.fromisoformat(text).timestamp()


def utc_now() -> str:
    """The current time as `iso_utc` writes it."""
    return iso_utc(datetime.now(UTC))


class NodeStatus(StrEnum):
    IDLE = "idle"
    EXECUTING = "executing"
    COMPLETED = "completed"
    ERROR = "error"
    SKIPPED = "skipped"


# What a run-workflow node waits for while its child execution runs (NodeExecution.waiting_for).
WAITING_FOR_WORKFLOW = "workflow"


class ExecutionStatus(StrEnum):
    SUBMITTED = "submitted"
    EXECUTING = "executing"
    COMPLETED = "completed"
    ERROR = "error"
    EXHAUSTED = "exhausted"
    CANCELLED = "cancelled"


# The statuses an execution ends in: its record never changes after one of them.
FINAL_STATUSES = frozenset(
    {
        ExecutionStatus.COMPLETED,
        ExecutionStatus.ERROR,
        ExecutionStatus.EXHAUSTED,
        ExecutionStatus.CANCELLED,
    }
)


class SkipReason(StrEnum):
    UPSTREAM_FAILURE = "upstream_failure"
    CONDITIONAL_BRANCH = "conditional_branch"


class NodeExecution(WireModel):
    """What happened to one node. `usage` is charged only when `status` is completed."""

    node_id: str
    status: NodeStatus
    inputs: dict[str, Any] | None = None
    outputs: dict[str, Any] | None = None
    error: str | None = None
    usage: int = 0
    skip_reason: SkipReason | None = None
    blocked_by: list[str] | None = None
    # How many times a node with a retry policy or a timeout was tried; absent otherwise.
    attempts: int | None = None
    # What an `executing` node waits for outside its task: "workflow", the execution a
    # run-workflow node started (its id in `outputs.executionId`), or "event", the event a
    # wait-for-event node waits for; absent otherwise.
    waiting_for: str | None = None


class ExecutionSummary(WireModel):
    """An execution as listings show it: the record without its node executions."""

    id: str
    workflow_id: str
    workflow_name: str
    organization_id: str
    status: ExecutionStatus
    error: str | None = None
    started_at: str | None = None
    ended_at: str | None = None
    usage: int = 0


class ExecutionRecord(ExecutionSummary):
    """One execution: what the API returns, what is persisted, what `run --json` prints."""

    node_executions: list[NodeExecution]
    # A child execution's caller: the execution and its run-workflow node (absent otherwise).
    parent_execution_id: str | None = None
    parent_node_id: str | None = None

    def node(self, node_id: str) -> NodeExecution:
        """The execution of node `node_id` (KeyError if the workflow has no such node)."""
        for execution in self.node_executions:
            if execution.node_id == node_id:
                return execution
        raise KeyError(node_id)


def in_declaration_order(
    workflow: Workflow, executions: dict[str, NodeExecution]
) -> list[NodeExecution]:
    """One entry per workflow node in declaration order; nodes never reached are `idle`."""
    return [
        executions.get(node.id) or NodeExecution(node_id=node.id, status=NodeStatus.IDLE)
        for node in workflow.nodes
    ]


def derive_status(executions: Iterable[NodeExecution]) -> tuple[ExecutionStatus, str | None]:
    """`error` if a node errored or was skipped for an upstream failure, else `completed`.

    The second value is the record's `error` message: which nodes failed and why.
    """
    failed = [e for e in executions if e.status == NodeStatus.ERROR]
    if failed:
        first = failed[0]
        more = f" (and {len(failed) - 1} more failed node{'s' if len(failed) > 2 else ''})"
        suffix = more if len(failed) > 1 else ""
        return ExecutionStatus.ERROR, f"Node '{first.node_id}' failed: {first.error}{suffix}"
    return ExecutionStatus.COMPLETED, None


def total_usage(executions: Iterable[NodeExecution]) -> int:
    """What an execution is charged: the usage of the nodes that completed."""
    return sum(e.usage for e in executions if e.status == NodeStatus.COMPLETED)
