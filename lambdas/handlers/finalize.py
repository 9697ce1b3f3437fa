"""Finalize: the final record, the charge and the last live update; reached on every path.

It returns the small outcome the state machine ends on: `Succeeded` for completed, its
`Failed` state (WorkflowExecutionError, with the error as cause) otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from lambdas.handlers.entry import Invocation, lambda_handler
from lambdas.handlers.observability import metrics
from lambdas.handlers.settings import (
    BlobBucket,
    Connections,
    ExecutionsTable,
    Mode,
    OrganizationsTable,
)
from lambdas.handlers.wiring import (
    Clients,
    executions,
    live_updates,
    organizations,
    progress,
    values,
)
from lambdas.lifecycle.finish import finish
from lambdas.lifecycle.ports import ExecutionPorts
from lambdas.runtime.state import WorkflowState
from lambdas.runtime.stored import StoredWorkflows, node_ids_of
from statemachine.model import WireModel

# A Fail state's cause is shown in the console; the record keeps the whole message.
CAUSE_LIMIT = 1000


class Settings(ExecutionsTable, OrganizationsTable, BlobBucket, Connections, Mode):
    pass


@dataclass(frozen=True)
class Deps:
    ports: ExecutionPorts
    stored: StoredWorkflows


def deps_from(
    settings: Settings, clients: Clients, *, stored: StoredWorkflows | None = None
) -> Deps:
    value_store = values(settings, clients)
    ports = ExecutionPorts(
        executions=executions(settings, settings, clients),
        progress=progress(settings, clients),
        organizations=organizations(settings, clients),
        values=value_store,
        updates=live_updates(settings, clients),
        development=settings.development,
    )
    return Deps(ports=ports, stored=stored or StoredWorkflows(value_store))


class Event(WireModel):
    state: WorkflowState
    node_ids: list[str] | None = None  # or those of the workflow stored at workflow_key
    workflow_key: str | None = None


def process(event: dict[str, Any], deps: Deps, invocation: Invocation) -> dict[str, Any]:
    request = Event.model_validate(event)
    state = request.state
    key = request.workflow_key or state.workflow_key
    record = finish(deps.ports, state, node_ids_of(request.node_ids, key, deps.stored))
    return {
        "executionId": record.id,
        "status": record.status,
        "error": (record.error or "")[:CAUSE_LIMIT],
    }


def count_outcome(outcome: dict[str, Any]) -> None:
    """One metric per final status, for dashboards and alarms on failed executions."""
    metrics.add_dimension(name="status", value=str(outcome["status"]))
    metrics.add_metric(name="ExecutionsFinished", unit=MetricUnit.Count, value=1)


handler = lambda_handler(
    lambda: deps_from(Settings.from_environment(), Clients()), process, count_outcome
)
