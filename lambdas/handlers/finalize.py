"""Finalize: the final record, the charge and the last live update; reached on every path.

It returns the small outcome the state machine ends on: `Succeeded` for completed, its
`Failed` state (WorkflowExecutionError, with the error as cause) otherwise.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from lambdas.handlers.entry import Invocation, lambda_handler
from lambdas.handlers.notify import notify
from lambdas.handlers.observability import logger, metrics
from lambdas.handlers.settings import (
    BlobBucket,
    Connections,
    ExecutionsTable,
    Mode,
    OrganizationsTable,
)
from lambdas.handlers.wiring import Clients, executions, live_updates, organizations, values
from lambdas.runtime.payload import Payloads
from lambdas.runtime.ports import ExecutionStore, LiveUpdates, OrganizationStore, ValueStore
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
from statemachine.model import WireModel

# A Fail state's cause is shown in the console; the record keeps the whole message.
CAUSE_LIMIT = 1000


class Settings(ExecutionsTable, OrganizationsTable, BlobBucket, Connections, Mode):
    pass


@dataclass(frozen=True)
class Deps:
    executions: ExecutionStore
    organizations: OrganizationStore
    values: ValueStore
    updates: LiveUpdates | None
    development: bool


def deps_from(settings: Settings, clients: Clients) -> Deps:
    return Deps(
        executions=executions(settings, settings, clients),
        organizations=organizations(settings, clients),
        values=values(settings, clients),
        updates=live_updates(settings, clients),
        development=settings.development,
    )


class Event(WireModel):
    state: WorkflowState
    node_ids: list[str]


def process(event: dict[str, Any], deps: Deps, invocation: Invocation) -> dict[str, Any]:
    request = Event.model_validate(event)
    record = final_record(request.state, request.node_ids, deps)
    execution = request.state.execution
    if not deps.development and record.usage > 0:
        charged = deps.organizations.charge(execution.organization_id, execution.id, record.usage)
        if not charged:
            logger.info("Already charged", extra={"executionId": execution.id})
    deps.executions.put(record, session_id=execution.session_id)
    nodes = [e.to_json() for e in record.node_executions]
    notify(deps.updates, execution, record.status, nodes, record.error)
    return {
        "executionId": record.id,
        "status": record.status,
        "error": (record.error or "")[:CAUSE_LIMIT],
    }


def final_record(state: WorkflowState, node_ids: list[str], deps: Deps) -> ExecutionRecord:
    """The record as the execution ended: unreached nodes idle, usage of completed nodes."""
    execution = state.execution
    payloads = Payloads(deps.values, execution.organization_id)
    results = payloads.unpack_results(state.results)
    node_executions = [
        results.get(node_id) or NodeExecution(node_id=node_id, status=NodeStatus.IDLE)
        for node_id in node_ids
    ]
    error: str | None
    if state.failure is not None:
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


def count_outcome(outcome: dict[str, Any]) -> None:
    """One metric per final status, for dashboards and alarms on failed executions."""
    metrics.add_dimension(name="status", value=str(outcome["status"]))
    metrics.add_metric(name="ExecutionsFinished", unit=MetricUnit.Count, value=1)


handler = lambda_handler(lambda: deps_from(Settings(), Clients()), process, count_outcome)
