"""Finalize: the final record, the charge and the last live update; reached on every path.

It returns the small outcome the state machine ends on: `Succeeded` for completed, its
`Failed` state (WorkflowExecutionError, with the error as cause) otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from lambdas.handlers.entry import Invocation, lambda_handler
from lambdas.handlers.notify import announce
from lambdas.handlers.observability import logger, metrics
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
from lambdas.lifecycle import records
from lambdas.runtime.credits import charge
from lambdas.runtime.payload import Payloads
from lambdas.runtime.ports import (
    ExecutionStore,
    LiveUpdates,
    OrganizationStore,
    ProgressStore,
    ValueStore,
)
from lambdas.runtime.record import FINAL_STATUSES, ExecutionRecord
from lambdas.runtime.state import WorkflowState
from lambdas.runtime.stored import StoredWorkflows, node_ids_of
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
    stored: StoredWorkflows
    progress: ProgressStore


def deps_from(
    settings: Settings, clients: Clients, *, stored: StoredWorkflows | None = None
) -> Deps:
    value_store = values(settings, clients)
    return Deps(
        executions=executions(settings, settings, clients),
        organizations=organizations(settings, clients),
        values=value_store,
        updates=live_updates(settings, clients),
        development=settings.development,
        stored=stored or StoredWorkflows(value_store),
        progress=progress(settings, clients),
    )


class Event(WireModel):
    state: WorkflowState
    node_ids: list[str] | None = None  # or those of the workflow stored at workflow_key
    workflow_key: str | None = None


def process(event: dict[str, Any], deps: Deps, invocation: Invocation) -> dict[str, Any]:
    request = Event.model_validate(event)
    state = request.state
    execution = state.execution
    units = range(state.units)
    written = _written(deps, execution.id)
    if written is None:
        payloads = Payloads(deps.values, execution.organization_id)
        key = request.workflow_key or state.workflow_key
        kept = deps.progress.get(execution.id, units)
        node_ids = node_ids_of(request.node_ids, key, deps.stored)
        record = records.final(state, node_ids, payloads, (kept[u] for u in units if u in kept))
    else:
        record = written
    if not deps.development and not charge(deps.organizations, record):
        logger.info("Nothing charged", extra={"executionId": execution.id})
    if written is None:
        deps.executions.put(record, session_id=execution.session_id)
        deps.progress.delete(execution.id, kept)  # the record holds them now
    else:
        deps.progress.delete(execution.id, units)  # what the first attempt may have left
    announce(deps.updates, execution, record)
    return _outcome(record)


def _written(deps: Deps, execution_id: str) -> ExecutionRecord | None:
    """The final record a Finalize wrote before, when this one is its retry (the units'
    results may be gone then: the record is all that holds them)."""
    handle = deps.executions.handle(execution_id)
    if handle is None or handle.status not in FINAL_STATUSES:
        return None
    return deps.executions.get(execution_id)


def _outcome(record: ExecutionRecord) -> dict[str, Any]:
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
